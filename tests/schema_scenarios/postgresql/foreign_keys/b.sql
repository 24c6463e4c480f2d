CREATE TABLE parent (id int PRIMARY KEY, code text UNIQUE);
CREATE TABLE child (
    id int PRIMARY KEY,
    a int CONSTRAINT child_a REFERENCES parent ON DELETE CASCADE,
    b int,
    code text CONSTRAINT child_code REFERENCES parent (code) ON UPDATE CASCADE,
    c int CONSTRAINT child_c REFERENCES child DEFERRABLE INITIALLY DEFERRED
);
