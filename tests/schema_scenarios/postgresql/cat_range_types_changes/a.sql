-- Range types: added (with a named multirange type, with a non-default operator class of
-- the subtype), dropped, changed (a subtype_diff function added), commented.
CREATE FUNCTION float_diff(float8, float8) RETURNS float8 LANGUAGE sql IMMUTABLE
  AS 'SELECT $1 - $2';
CREATE TYPE floatrange AS RANGE (SUBTYPE = float8);
CREATE TYPE gone_range AS RANGE (SUBTYPE = smallint);
CREATE TYPE textrange AS RANGE (SUBTYPE = text, COLLATION = "C");
