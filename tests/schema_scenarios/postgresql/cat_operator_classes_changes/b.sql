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
  OPERATOR 1 <#, OPERATOR 2 <=#, OPERATOR 3 =#, OPERATOR 4 >=#, OPERATOR 5 >#,
  FUNCTION 1 abs_cmp(int, int);
COMMENT ON OPERATOR CLASS abs_ops USING btree IS 'by absolute value';
CREATE OPERATOR FAMILY loose_fam USING btree;
ALTER OPERATOR FAMILY loose_fam USING btree ADD
  OPERATOR 1 <# (int, int), OPERATOR 3 =# (int, int), FUNCTION 1 (int, int) abs_cmp(int, int);
COMMENT ON OPERATOR FAMILY loose_fam USING btree IS 'loose';
CREATE FUNCTION point_hash(point) RETURNS int LANGUAGE sql IMMUTABLE
  AS 'SELECT hashfloat8($1[0]) # hashfloat8($1[1])';
CREATE OPERATOR FAMILY point_fam USING hash;
CREATE OPERATOR CLASS point_hash_ops DEFAULT FOR TYPE point USING hash FAMILY point_fam AS
  OPERATOR 1 ~= (point, point), FUNCTION 1 point_hash(point);
CREATE OPERATOR CLASS near_ops FOR TYPE point USING gist AS
  OPERATOR 15 <-> (point, point) FOR ORDER BY float_ops,
  FUNCTION 1 gist_point_consistent(internal, point, smallint, oid, internal),
  FUNCTION 2 gist_box_union(internal, internal),
  FUNCTION 3 gist_point_compress(internal),
  FUNCTION 5 gist_box_penalty(internal, internal, internal),
  FUNCTION 6 gist_box_picksplit(internal, internal),
  FUNCTION 7 gist_box_same(box, box, internal),
  FUNCTION 8 gist_point_distance(internal, point, smallint, oid, internal),
  STORAGE box;
