CREATE FUNCTION scaled(a integer) RETURNS integer LANGUAGE sql AS $$ SELECT a * 10 $$;
CREATE TABLE t (id int PRIMARY KEY, n int DEFAULT scaled(2));
