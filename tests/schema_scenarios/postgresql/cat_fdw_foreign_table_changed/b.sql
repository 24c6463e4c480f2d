CREATE SCHEMA app;
CREATE FOREIGN DATA WRAPPER w;
CREATE SERVER s FOREIGN DATA WRAPPER w;
CREATE SERVER s2 FOREIGN DATA WRAPPER w;
CREATE TYPE app.mood AS ENUM ('ok');
-- Columns dropped, retyped, given a default and options: the foreign table (which holds
-- no rows) is created again, and the view on it with it.
CREATE FOREIGN TABLE app.ft (
  id bigint NOT NULL DEFAULT 0,
  mood app.mood OPTIONS (column_name 'feeling')
) SERVER s;
-- On another server.
CREATE FOREIGN TABLE app.moved (id integer) SERVER s2;
-- A foreign partition of a local table, and a foreign child by inheritance.
CREATE TABLE app.parent (id integer, region text) PARTITION BY LIST (region);
CREATE FOREIGN TABLE app.part PARTITION OF app.parent FOR VALUES IN ('eu') SERVER s
  OPTIONS (table_name 'eu');
ALTER FOREIGN TABLE app.part ALTER COLUMN region OPTIONS (column_name 'r');
CREATE TABLE app.base (id integer);
CREATE FOREIGN TABLE app.child (extra text) INHERITS (app.base) SERVER s;
CREATE VIEW app.v AS SELECT id, mood FROM app.ft;
