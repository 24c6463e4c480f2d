CREATE TABLE t (id int PRIMARY KEY, a int);
CREATE FUNCTION add_one(x integer) RETURNS integer LANGUAGE sql AS $$ SELECT x + 1 $$;
CREATE FUNCTION total() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    RETURN (SELECT sum(a) FROM t);
END
$$;
