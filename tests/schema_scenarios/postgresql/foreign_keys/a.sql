CREATE TABLE parent (id int PRIMARY KEY, code text UNIQUE);
CREATE TABLE child (
    id int PRIMARY KEY,
    a int CONSTRAINT child_a REFERENCES parent,
    b int CONSTRAINT child_b REFERENCES parent,
    code text,
    c int
);
