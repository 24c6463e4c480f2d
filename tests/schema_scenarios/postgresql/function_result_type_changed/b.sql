CREATE TABLE t (id int PRIMARY KEY, a int);
CREATE FUNCTION answer() RETURNS bigint LANGUAGE sql AS $$ SELECT 42::bigint $$;
CREATE FUNCTION rows_of_t() RETURNS TABLE (id integer, a integer) LANGUAGE sql
    AS $$ SELECT id, a FROM t $$;
CREATE FUNCTION caller() RETURNS integer LANGUAGE plpgsql AS $$ BEGIN RETURN answer(); END $$;
