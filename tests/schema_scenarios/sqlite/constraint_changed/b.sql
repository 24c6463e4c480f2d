CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT);
CREATE TABLE t (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES parent (id),
    qty INTEGER CHECK (qty >= 0),
    code TEXT UNIQUE
);
CREATE INDEX t_parent ON t (parent_id);
