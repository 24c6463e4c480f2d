CREATE TABLE t (
    id int PRIMARY KEY,
    a int NOT NULL,
    b int NOT NULL,
    total int,
    doubled int GENERATED ALWAYS AS (a * 2) STORED
);
