-- A materialized view's columns' compression, storage and statistics target (ALTER
-- MATERIALIZED VIEW … ALTER COLUMN): set on a kept view, reset on another, and on a
-- new view.
CREATE TABLE src (x text, y integer);
CREATE MATERIALIZED VIEW mv AS SELECT x, y FROM src;
CREATE MATERIALIZED VIEW mv_reset AS SELECT x, y FROM src;
ALTER MATERIALIZED VIEW mv_reset ALTER COLUMN x SET STORAGE EXTERNAL;
ALTER MATERIALIZED VIEW mv_reset ALTER COLUMN x SET COMPRESSION pglz;
ALTER MATERIALIZED VIEW mv_reset ALTER COLUMN y SET STATISTICS 50;
