-- Casts: added (after the type and function they use), dropped, changed (context, method),
-- commented.
CREATE TYPE size AS ENUM ('s', 'm', 'l');
CREATE FUNCTION size_rank(size) RETURNS int LANGUAGE sql IMMUTABLE
  AS $$ SELECT array_position(enum_range(NULL::size), $1) $$;
CREATE CAST (size AS int) WITH FUNCTION size_rank(size);
CREATE DOMAIN code AS text;
CREATE TYPE pair AS (a int, b int);
CREATE CAST (pair AS text) WITH INOUT AS ASSIGNMENT;
