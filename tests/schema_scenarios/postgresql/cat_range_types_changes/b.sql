CREATE FUNCTION float_diff(float8, float8) RETURNS float8 LANGUAGE sql IMMUTABLE
  AS 'SELECT $1 - $2';
CREATE TYPE floatrange AS RANGE (SUBTYPE = float8, SUBTYPE_DIFF = float_diff);
CREATE TYPE textrange AS RANGE (SUBTYPE = text, COLLATION = "C");
COMMENT ON TYPE textrange IS 'compared byte by byte';
CREATE TYPE timerange AS RANGE (SUBTYPE = time, MULTIRANGE_TYPE_NAME = time_ranges);
CREATE TYPE patternrange AS RANGE (SUBTYPE = text, SUBTYPE_OPCLASS = text_pattern_ops);
