CREATE FUNCTION greet(name text, greeting text DEFAULT 'hello') RETURNS text LANGUAGE sql
    AS $$ SELECT greeting || ' ' || name $$;
CREATE FUNCTION area(width integer, height integer) RETURNS integer LANGUAGE sql
    AS $$ SELECT width * height $$;
CREATE FUNCTION area(side integer) RETURNS integer LANGUAGE sql AS $$ SELECT side * side $$;
