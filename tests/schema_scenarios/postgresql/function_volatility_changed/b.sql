CREATE FUNCTION twice(x integer) RETURNS integer LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT x * 2 $$;
CREATE FUNCTION today_text() RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT current_date::text $$;
