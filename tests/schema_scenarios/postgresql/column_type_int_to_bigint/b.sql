CREATE TABLE parent (id bigint PRIMARY KEY, n bigint NOT NULL DEFAULT 0);
CREATE TABLE child (id int PRIMARY KEY, parent_id bigint REFERENCES parent);
CREATE INDEX child_parent ON child (parent_id);
