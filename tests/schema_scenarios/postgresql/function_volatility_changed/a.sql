CREATE FUNCTION twice(x integer) RETURNS integer LANGUAGE sql AS $$ SELECT x * 2 $$;
CREATE FUNCTION today_text() RETURNS text LANGUAGE sql STABLE AS $$ SELECT current_date::text $$;
