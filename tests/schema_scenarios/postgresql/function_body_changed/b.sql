CREATE TABLE t (id int PRIMARY KEY, a int);
CREATE FUNCTION add_one(x integer) RETURNS integer LANGUAGE sql AS $$ SELECT x + 2 - 1 $$;
CREATE FUNCTION total() RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    RETURN (SELECT coalesce(sum(a), 0) FROM t);
END
$$;
