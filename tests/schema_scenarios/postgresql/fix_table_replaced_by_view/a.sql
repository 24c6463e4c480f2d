CREATE TABLE items (id int PRIMARY KEY, name text);
CREATE TABLE totals (n int);
CREATE VIEW summary AS SELECT 1 AS n;
CREATE SEQUENCE counter;
CREATE TYPE pair AS (a int, b int);
CREATE MATERIALIZED VIEW cached AS SELECT 1 AS n;
