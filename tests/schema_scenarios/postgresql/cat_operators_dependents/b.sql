CREATE TABLE pts (a int, b int);
CREATE FUNCTION plus3(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 + $2 + 3';
CREATE OPERATOR #+# (FUNCTION = plus3, LEFTARG = int, RIGHTARG = int, COMMUTATOR = #+#);
CREATE VIEW sums AS SELECT a #+# b AS s FROM pts;
CREATE FUNCTION distance(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT abs($1 - $2)';
CREATE OPERATOR <-> (FUNCTION = distance, LEFTARG = int, RIGHTARG = int, COMMUTATOR = <->);
CREATE VIEW gaps AS SELECT a <-> b AS gap FROM pts;
