CREATE TABLE t (
    id int PRIMARY KEY,
    a int NOT NULL,
    b int NOT NULL,
    total int GENERATED ALWAYS AS (a + b) STORED,
    doubled int
);
INSERT INTO t (id, a, b, doubled) VALUES (1, 3, 4, 2);
