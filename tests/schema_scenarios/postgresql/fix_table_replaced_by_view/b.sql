CREATE TABLE items (id int PRIMARY KEY, name text);
CREATE VIEW totals AS SELECT count(*) AS n FROM items;
CREATE TABLE summary (n int);
CREATE MATERIALIZED VIEW counter AS SELECT 1 AS n;
CREATE VIEW pair AS SELECT 1 AS a, 2 AS b;
CREATE TABLE cached (n int);
