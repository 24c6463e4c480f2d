CREATE SCHEMA app;
CREATE FUNCTION app.check_a(text[], oid) RETURNS void LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE FUNCTION app.check_b(text[], oid) RETURNS void LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE FUNCTION app.handler() RETURNS fdw_handler
  AS '$libdir/postgres_fdw', 'postgres_fdw_handler' LANGUAGE C STRICT;
CREATE FOREIGN DATA WRAPPER w VALIDATOR app.check_a;
CREATE FOREIGN DATA WRAPPER w2 HANDLER app.handler;
CREATE SERVER s TYPE 'remote' VERSION '1.0' FOREIGN DATA WRAPPER w OPTIONS (host 'h');
CREATE SERVER s2 VERSION '9' FOREIGN DATA WRAPPER w2;
CREATE USER MAPPING FOR PUBLIC SERVER s OPTIONS ("user" 'reader', password 'kept');
CREATE USER MAPPING FOR PUBLIC SERVER s2 OPTIONS (password 'kept too');
CREATE FOREIGN TABLE app.ft (id integer) SERVER s;
CREATE VIEW app.v AS SELECT id FROM app.ft;
