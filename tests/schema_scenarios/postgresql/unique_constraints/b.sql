CREATE TABLE t (
    id int PRIMARY KEY,
    a int,
    b int,
    c int CONSTRAINT c_unique UNIQUE,
    d int,
    CONSTRAINT ab_unique UNIQUE (a, b),
    CONSTRAINT cd_unique UNIQUE NULLS NOT DISTINCT (c, d)
);
