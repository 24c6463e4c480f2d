-- Operators: added (completing a commutator pair whose first member gains the link),
-- dropped (a prefix operator), changed (another function), commented; an equality and
-- inequality pair that are each other's negators, with estimators, HASHES and MERGES.
CREATE FUNCTION int_lt(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1 < $2';
CREATE FUNCTION int_gt(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1 > $2';
CREATE FUNCTION int_eq(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1 = $2';
CREATE FUNCTION int_ne(int, int) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT $1 <> $2';
CREATE FUNCTION negate(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT -$1';
CREATE OPERATOR <<< (FUNCTION = int_lt, LEFTARG = int, RIGHTARG = int);
CREATE OPERATOR @@@ (FUNCTION = int_lt, LEFTARG = int, RIGHTARG = int);
CREATE OPERATOR === (
  FUNCTION = int_eq, LEFTARG = int, RIGHTARG = int, COMMUTATOR = ===, NEGATOR = !==,
  RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES);
CREATE OPERATOR !== (
  FUNCTION = int_ne, LEFTARG = int, RIGHTARG = int, COMMUTATOR = !==, NEGATOR = ===,
  RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR ~- (FUNCTION = negate, RIGHTARG = int);
