CREATE FUNCTION greet(name text) RETURNS text LANGUAGE sql AS $$ SELECT 'hello ' || name $$;
CREATE FUNCTION area(w integer, h integer) RETURNS integer LANGUAGE sql AS $$ SELECT w * h $$;
CREATE FUNCTION gone() RETURNS void LANGUAGE sql AS $$ SELECT $$;
