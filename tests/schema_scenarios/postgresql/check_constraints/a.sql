CREATE TABLE t (
    id int PRIMARY KEY,
    a int CONSTRAINT a_positive CHECK (a > 0),
    b int CONSTRAINT b_small CHECK (b < 10),
    c int
);
INSERT INTO t VALUES (1, 1, 1, 1);
