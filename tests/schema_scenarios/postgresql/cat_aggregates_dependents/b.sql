CREATE TABLE sales (amount numeric, region text);
CREATE FUNCTION acc(numeric, numeric) RETURNS numeric LANGUAGE sql IMMUTABLE
  AS 'SELECT $1 + $2';
CREATE AGGREGATE sum_all(numeric) (SFUNC = acc, STYPE = numeric, INITCOND = '100');
CREATE VIEW by_region AS SELECT region, sum_all(amount) AS total FROM sales GROUP BY region;
CREATE FUNCTION biggest_state(numeric, numeric) RETURNS numeric LANGUAGE sql IMMUTABLE
  AS 'SELECT greatest($1, $2)';
CREATE AGGREGATE biggest(numeric) (SFUNC = biggest_state, STYPE = numeric);
CREATE VIEW peaks AS SELECT region, biggest(amount) AS peak FROM sales GROUP BY region;
