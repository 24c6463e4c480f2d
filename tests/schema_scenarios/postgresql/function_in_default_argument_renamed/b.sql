CREATE FUNCTION scaled(factor integer) RETURNS integer LANGUAGE sql
    AS $$ SELECT factor * 10 $$;
CREATE TABLE t (id int PRIMARY KEY, n int DEFAULT scaled(2));
