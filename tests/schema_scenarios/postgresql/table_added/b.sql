CREATE TABLE parent (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE child (
    id int PRIMARY KEY,
    parent_id int NOT NULL REFERENCES parent,
    note text NOT NULL DEFAULT '',
    CONSTRAINT note_short CHECK (length(note) < 100)
);
CREATE INDEX child_parent ON child (parent_id);
