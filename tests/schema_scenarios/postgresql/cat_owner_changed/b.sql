CREATE SCHEMA app;
CREATE TABLE app.t (id serial PRIMARY KEY, a int);
-- Recreated (another definition), its owner the same: set again once it is created.
CREATE VIEW app.v AS SELECT id, a FROM app.t;
ALTER VIEW app.v OWNER TO dbci_rt_owner;
CREATE MATERIALIZED VIEW app.m AS SELECT 1 AS x;
CREATE FUNCTION app.f(n int) RETURNS int LANGUAGE sql AS 'SELECT n';
CREATE PROCEDURE app.p() LANGUAGE sql AS 'SELECT 1';
CREATE TYPE app.e AS ENUM ('x');
CREATE DOMAIN app.d AS int;
CREATE FOREIGN DATA WRAPPER w;
CREATE SERVER s FOREIGN DATA WRAPPER w;
CREATE FOREIGN TABLE app.ft (id int) SERVER s;
-- A new table, owned by the role from the start.
CREATE TABLE app.added (id int);
ALTER TABLE app.added OWNER TO dbci_rt_owner;
-- Another owner for each kind (the table's serial sequence goes with it).
ALTER SCHEMA app OWNER TO dbci_rt_owner;
ALTER TABLE app.t OWNER TO dbci_rt_owner;
ALTER MATERIALIZED VIEW app.m OWNER TO dbci_rt_owner;
ALTER FUNCTION app.f(int) OWNER TO dbci_rt_owner;
ALTER PROCEDURE app.p() OWNER TO dbci_rt_owner;
ALTER TYPE app.e OWNER TO dbci_rt_owner;
ALTER DOMAIN app.d OWNER TO dbci_rt_owner;
ALTER SERVER s OWNER TO dbci_rt_owner;
ALTER FOREIGN TABLE app.ft OWNER TO dbci_rt_owner;
