CREATE FUNCTION is_even(n int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT n % 2 = 0 $$;
CREATE DOMAIN even_int AS int CHECK (is_even(VALUE));
CREATE TABLE t (id int PRIMARY KEY, e even_int);
