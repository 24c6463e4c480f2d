CREATE TABLE t (
    id int PRIMARY KEY,
    a int CONSTRAINT a_unique UNIQUE,
    b int CONSTRAINT ab_unique UNIQUE,
    c int,
    d int
);
