-- Operator classes with what uses them and what they use: an index using a class that
-- changes (the index is made again around it), a new class over new operators and a new
-- function used by a new table's index, and a class dropped with its table, operators and
-- function.
CREATE FUNCTION abs_lt(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) < abs($2)';
CREATE FUNCTION abs_le(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) <= abs($2)';
CREATE FUNCTION abs_eq(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) = abs($2)';
CREATE FUNCTION abs_ge(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) >= abs($2)';
CREATE FUNCTION abs_gt(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT abs($1) > abs($2)';
CREATE FUNCTION abs_cmp(int, int) RETURNS int LANGUAGE sql IMMUTABLE
  AS 'SELECT sign(abs($1) - abs($2))::int';
CREATE OPERATOR <# (FUNCTION = abs_lt, LEFTARG = int, RIGHTARG = int);
CREATE OPERATOR <=# (FUNCTION = abs_le, LEFTARG = int, RIGHTARG = int);
CREATE OPERATOR =# (FUNCTION = abs_eq, LEFTARG = int, RIGHTARG = int);
CREATE OPERATOR >=# (FUNCTION = abs_ge, LEFTARG = int, RIGHTARG = int);
CREATE OPERATOR ># (FUNCTION = abs_gt, LEFTARG = int, RIGHTARG = int);
CREATE OPERATOR CLASS abs_ops FOR TYPE int USING btree AS
  OPERATOR 1 <#, OPERATOR 3 =#, FUNCTION 1 abs_cmp(int, int);
CREATE TABLE readings (v int);
CREATE INDEX readings_abs ON readings (v abs_ops);
CREATE FUNCTION rev_cmp(text, text) RETURNS int LANGUAGE sql IMMUTABLE
  AS 'SELECT -bttextcmp($1, $2)';
CREATE FUNCTION rev_lt(text, text) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1 > $2';
CREATE OPERATOR <~ (FUNCTION = rev_lt, LEFTARG = text, RIGHTARG = text);
CREATE OPERATOR CLASS rev_ops FOR TYPE text USING btree AS
  OPERATOR 1 <~, FUNCTION 1 rev_cmp(text, text);
CREATE TABLE names (n text);
CREATE INDEX names_rev ON names (n rev_ops);
