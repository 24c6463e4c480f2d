-- Operator classes and families: a class changed (an operator added) and commented, a
-- class dropped with the family it made for itself, a family's loose members changed, a
-- DEFAULT class added (hash, for a type without one), a GiST class added whose ORDER BY
-- operator and distance function GiST makes the family's loose members.
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
  OPERATOR 1 <#, OPERATOR 2 <=#, OPERATOR 3 =#, OPERATOR 4 >=#, FUNCTION 1 abs_cmp(int, int);
CREATE OPERATOR CLASS gone_ops FOR TYPE int USING btree AS
  OPERATOR 1 <#, FUNCTION 1 abs_cmp(int, int);
CREATE OPERATOR FAMILY loose_fam USING btree;
ALTER OPERATOR FAMILY loose_fam USING btree ADD OPERATOR 1 <# (int, int);
