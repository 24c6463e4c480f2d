-- Aggregates: added (ordered-set, hypothetical, moving, with a sort operator, with no
-- arguments), dropped, changed (options added), commented.
CREATE FUNCTION add2(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 + $2';
CREATE FUNCTION sub2(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 - $2';
CREATE FUNCTION mul2(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 * $2';
CREATE AGGREGATE total(int) (SFUNC = add2, STYPE = int, INITCOND = '0');
CREATE AGGREGATE product(int) (SFUNC = mul2, STYPE = int, INITCOND = '1');
CREATE AGGREGATE gone(int) (SFUNC = sub2, STYPE = int);
CREATE AGGREGATE counted(*) (SFUNC = int8inc, STYPE = int8, INITCOND = '0');
