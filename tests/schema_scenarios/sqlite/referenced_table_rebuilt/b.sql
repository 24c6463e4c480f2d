CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE child (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES parent (id) ON DELETE CASCADE
);
CREATE TABLE log (message TEXT);
CREATE TRIGGER child_log AFTER INSERT ON child BEGIN INSERT INTO log (message) VALUES ('child'); END;
CREATE VIEW named AS SELECT child.id, parent.name FROM child JOIN parent ON parent.id = child.parent_id;
