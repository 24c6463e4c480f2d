CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT);
CREATE TABLE t (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER,
    qty INTEGER CHECK (qty > 0),
    code TEXT
);
CREATE INDEX t_parent ON t (parent_id);
INSERT INTO parent VALUES (1, 'p');
INSERT INTO t VALUES (1, 1, 5, 'a'), (2, NULL, 7, 'b');
