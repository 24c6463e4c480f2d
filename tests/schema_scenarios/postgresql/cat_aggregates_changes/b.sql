CREATE FUNCTION add2(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 + $2';
CREATE FUNCTION sub2(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 - $2';
CREATE FUNCTION mul2(int, int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 * $2';
CREATE FUNCTION halve(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 / 2';
CREATE AGGREGATE total(int) (
  SFUNC = add2, STYPE = int, INITCOND = '0', FINALFUNC = halve,
  FINALFUNC_MODIFY = SHAREABLE, COMBINEFUNC = add2, SSPACE = 8, PARALLEL = SAFE);
CREATE AGGREGATE product(int) (SFUNC = mul2, STYPE = int, INITCOND = '1');
COMMENT ON AGGREGATE product(int) IS 'multiplies';
CREATE AGGREGATE counted(*) (SFUNC = int8inc, STYPE = int8, INITCOND = '0');
CREATE AGGREGATE pct(float8 ORDER BY anyelement) (
  SFUNC = ordered_set_transition, STYPE = internal, FINALFUNC = percentile_disc_final,
  FINALFUNC_EXTRA);
CREATE AGGREGATE my_rank(VARIADIC "any" ORDER BY VARIADIC "any") (
  SFUNC = ordered_set_transition_multi, STYPE = internal, FINALFUNC = rank_final,
  FINALFUNC_EXTRA, HYPOTHETICAL, PARALLEL = RESTRICTED);
CREATE AGGREGATE moving_total(int) (
  SFUNC = add2, STYPE = int, INITCOND = '0',
  MSFUNC = add2, MINVFUNC = sub2, MSTYPE = int, MINITCOND = '0', MSSPACE = 4);
CREATE AGGREGATE biggest(int) (SFUNC = int4larger, STYPE = int, SORTOP = >);
COMMENT ON AGGREGATE pct(float8 ORDER BY anyelement) IS 'ordered-set';
