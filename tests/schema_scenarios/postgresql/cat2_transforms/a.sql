-- Transforms (over internal functions, as a superuser may make them): added after the
-- functions and type they use, dropped before them, changed (a TO SQL function added),
-- commented.
CREATE FUNCTION from_sql(internal) RETURNS internal AS 'int4recv' LANGUAGE internal IMMUTABLE;
CREATE FUNCTION to_sql(internal) RETURNS int AS 'int4recv' LANGUAGE internal IMMUTABLE;
CREATE FUNCTION old_from(internal) RETURNS internal AS 'int4recv' LANGUAGE internal IMMUTABLE;
CREATE TYPE old_pair AS (a int, b int);
CREATE TRANSFORM FOR old_pair LANGUAGE sql (FROM SQL WITH FUNCTION old_from(internal));
CREATE TRANSFORM FOR int LANGUAGE sql (FROM SQL WITH FUNCTION from_sql(internal));
CREATE TRANSFORM FOR bigint LANGUAGE sql (FROM SQL WITH FUNCTION from_sql(internal));
