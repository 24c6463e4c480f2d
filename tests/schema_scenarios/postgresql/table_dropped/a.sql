CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent, other_id int);
CREATE TABLE other (id int PRIMARY KEY, child_id int REFERENCES child);
ALTER TABLE child ADD CONSTRAINT child_other FOREIGN KEY (other_id) REFERENCES other;
CREATE INDEX child_parent ON child (parent_id);
INSERT INTO parent VALUES (1);
