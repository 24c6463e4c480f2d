CREATE FUNCTION from_sql(internal) RETURNS internal AS 'int4recv' LANGUAGE internal IMMUTABLE;
CREATE FUNCTION to_sql(internal) RETURNS int AS 'int4recv' LANGUAGE internal IMMUTABLE;
CREATE TRANSFORM FOR int LANGUAGE sql (FROM SQL WITH FUNCTION from_sql(internal),
  TO SQL WITH FUNCTION to_sql(internal));
CREATE TRANSFORM FOR bigint LANGUAGE sql (FROM SQL WITH FUNCTION from_sql(internal));
COMMENT ON TRANSFORM FOR bigint LANGUAGE sql IS 'through int4recv';
CREATE FUNCTION new_from(internal) RETURNS internal AS 'int4recv' LANGUAGE internal IMMUTABLE;
CREATE TYPE new_pair AS (a int, b int);
CREATE TRANSFORM FOR new_pair LANGUAGE sql (FROM SQL WITH FUNCTION new_from(internal));
