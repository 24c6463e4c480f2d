CREATE SCHEMA app;
CREATE FUNCTION app.check_a(text[], oid) RETURNS void LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE FUNCTION app.check_b(text[], oid) RETURNS void LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE FUNCTION app.handler() RETURNS fdw_handler
  AS '$libdir/postgres_fdw', 'postgres_fdw_handler' LANGUAGE C STRICT;
-- Another validator; a handler taken off and a validator given: ALTER FOREIGN DATA
-- WRAPPER, not DROP and CREATE, which would take the servers, their user mappings (with
-- the passwords dbci never reads) and the foreign tables along.
CREATE FOREIGN DATA WRAPPER w VALIDATOR app.check_b;
CREATE FOREIGN DATA WRAPPER w2 VALIDATOR app.check_a;
-- Another version, no version: ALTER SERVER … VERSION, with the options in the same
-- statement.
CREATE SERVER s TYPE 'remote' VERSION '2.0' FOREIGN DATA WRAPPER w OPTIONS (host 'h2');
CREATE SERVER s2 FOREIGN DATA WRAPPER w2;
CREATE USER MAPPING FOR PUBLIC SERVER s OPTIONS ("user" 'reader', password 'kept');
CREATE USER MAPPING FOR PUBLIC SERVER s2 OPTIONS (password 'kept too');
CREATE FOREIGN TABLE app.ft (id integer) SERVER s;
CREATE VIEW app.v AS SELECT id FROM app.ft;
