CREATE TABLE t (
    id int PRIMARY KEY,
    a int CONSTRAINT a_positive CHECK (a >= 0),
    b int,
    c int CONSTRAINT c_range CHECK (c BETWEEN 0 AND 100)
);
