-- Aggregates with what uses them and what they use: a view over an aggregate that changes
-- (the view is made again around it), a new aggregate over a new state function used by a
-- new view (function, aggregate, view in that order), and an aggregate dropped with its
-- state function and its view (view, aggregate, function in that order).
CREATE TABLE sales (amount numeric, region text);
CREATE FUNCTION acc(numeric, numeric) RETURNS numeric LANGUAGE sql IMMUTABLE
  AS 'SELECT $1 + $2';
CREATE AGGREGATE sum_all(numeric) (SFUNC = acc, STYPE = numeric, INITCOND = '0');
CREATE VIEW by_region AS SELECT region, sum_all(amount) AS total FROM sales GROUP BY region;
CREATE FUNCTION old_state(text, text) RETURNS text LANGUAGE sql IMMUTABLE
  AS 'SELECT $1 || $2';
CREATE AGGREGATE old_concat(text) (SFUNC = old_state, STYPE = text, INITCOND = '');
CREATE VIEW old_regions AS SELECT old_concat(region) AS regions FROM sales;
