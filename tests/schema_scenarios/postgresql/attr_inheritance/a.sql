-- Table inheritance: children that keep their parent (which gains a column), leave it
-- (their columns become their own), are created with one or two parents (an inherited
-- column with a default of its own), or are dropped with their parent.
CREATE TABLE p1 (id int NOT NULL, name text DEFAULT 'x', CONSTRAINT p1_id_check CHECK (id > 0));
CREATE TABLE c1 (extra int) INHERITS (p1);
CREATE TABLE p2 (a int);
CREATE TABLE c2 (a int, b int) INHERITS (p2);
CREATE TABLE p5 (a int);
CREATE TABLE c5 (b int) INHERITS (p5);
CREATE TABLE p6 (id int);
CREATE TABLE c6 (own int) INHERITS (p6);
INSERT INTO c1 VALUES (1, 'one', 10);
INSERT INTO c6 VALUES (6, 60);
