CREATE FUNCTION bucket(n integer) RETURNS integer LANGUAGE sql IMMUTABLE
    AS $$ SELECT n / 20 $$;
CREATE FUNCTION wide(n integer) RETURNS bigint LANGUAGE sql IMMUTABLE
    AS $$ SELECT n::bigint * 2 $$;
CREATE FUNCTION kept(n integer) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$ SELECT n > 0 $$;
CREATE TABLE t (id int PRIMARY KEY, n int);
CREATE INDEX t_bucket_idx ON t (bucket(n));
CREATE INDEX t_wide_idx ON t (wide(n)) WHERE kept(id);
CREATE INDEX t_kept_idx ON t (n) WHERE kept(n);
