-- Operators with what uses them and what they use: a view over an operator that changes
-- (the view is made again around it), a new operator over a new function used by a new
-- view, and a commutator pair dropped with their functions (the operators first).
CREATE TABLE pts (a int, b int);
CREATE FUNCTION plus3(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 + $2 + 3';
CREATE OPERATOR #+# (FUNCTION = plus3, LEFTARG = int, RIGHTARG = int);
CREATE VIEW sums AS SELECT a #+# b AS s FROM pts;
CREATE FUNCTION is_before(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1 < $2';
CREATE FUNCTION is_after(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1 > $2';
CREATE OPERATOR <^ (FUNCTION = is_before, LEFTARG = int, RIGHTARG = int, COMMUTATOR = ^>);
CREATE OPERATOR ^> (FUNCTION = is_after, LEFTARG = int, RIGHTARG = int, COMMUTATOR = <^);
