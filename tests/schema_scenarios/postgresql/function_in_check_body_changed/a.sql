CREATE FUNCTION is_valid(n integer) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$ SELECT n > 0 $$;
CREATE TABLE t (id int PRIMARY KEY, n int CONSTRAINT n_valid CHECK (is_valid(n)));
INSERT INTO t VALUES (1, 5);
