CREATE TABLE parent (id int PRIMARY KEY, n int NOT NULL DEFAULT 0);
CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent);
CREATE INDEX child_parent ON child (parent_id);
INSERT INTO parent VALUES (1, 5);
INSERT INTO child VALUES (1, 1);
