CREATE SCHEMA app;
CREATE TABLE app.t (id int PRIMARY KEY);
-- A wrapper with a validator of its own (no extension): the function comes first.
CREATE FUNCTION app.check_options(text[], oid) RETURNS void LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE FOREIGN DATA WRAPPER w VALIDATOR app.check_options OPTIONS (debug 'true');
CREATE SERVER s TYPE 'remote' VERSION '1.0' FOREIGN DATA WRAPPER w
  OPTIONS (host 'db.example', port '5432');
CREATE USER MAPPING FOR PUBLIC SERVER s OPTIONS ("user" 'reader');
CREATE USER MAPPING FOR dbci_rt_user SERVER s;
CREATE FOREIGN TABLE app.ft (
  id integer OPTIONS (column_name 'remote_id') NOT NULL,
  name text COLLATE "C" DEFAULT 'none',
  CONSTRAINT ft_id_positive CHECK (id > 0)
) SERVER s OPTIONS (schema_name 'remote', table_name 'things');
-- What uses the foreign table: a view, created after it.
CREATE VIEW app.v AS SELECT ft.id, t.id AS t_id FROM app.ft JOIN app.t ON t.id = ft.id;
