CREATE TABLE t (id int PRIMARY KEY, a int);
CREATE FUNCTION answer() RETURNS integer LANGUAGE sql AS $$ SELECT 42 $$;
CREATE FUNCTION rows_of_t() RETURNS TABLE (id integer) LANGUAGE sql AS $$ SELECT id FROM t $$;
CREATE FUNCTION caller() RETURNS integer LANGUAGE plpgsql AS $$ BEGIN RETURN answer(); END $$;
