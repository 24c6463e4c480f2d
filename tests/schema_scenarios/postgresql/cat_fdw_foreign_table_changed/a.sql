CREATE SCHEMA app;
CREATE FOREIGN DATA WRAPPER w;
CREATE SERVER s FOREIGN DATA WRAPPER w;
CREATE SERVER s2 FOREIGN DATA WRAPPER w;
CREATE TYPE app.mood AS ENUM ('ok');
CREATE FOREIGN TABLE app.ft (id integer NOT NULL, mood app.mood, gone text) SERVER s;
CREATE FOREIGN TABLE app.moved (id integer) SERVER s;
CREATE TABLE app.parent (id integer, region text) PARTITION BY LIST (region);
CREATE VIEW app.v AS SELECT id, mood FROM app.ft;
