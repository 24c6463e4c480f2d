CREATE TYPE size AS ENUM ('s', 'm', 'l');
CREATE FUNCTION size_rank(size) RETURNS int LANGUAGE sql IMMUTABLE
  AS $$ SELECT array_position(enum_range(NULL::size), $1) $$;
CREATE CAST (size AS int) WITH FUNCTION size_rank(size) AS IMPLICIT;
COMMENT ON CAST (size AS int) IS 'by rank';
CREATE TYPE level AS ENUM ('low', 'high');
CREATE FUNCTION level_text(level) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT $1::text $$;
CREATE CAST (level AS text) WITH FUNCTION level_text(level);
