CREATE TABLE keeps (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE added (
    id INTEGER PRIMARY KEY,
    keeps_id INTEGER NOT NULL REFERENCES keeps (id) ON DELETE CASCADE,
    note TEXT DEFAULT 'none',
    CONSTRAINT note_short CHECK (length(note) < 100)
);
CREATE INDEX added_keeps ON added (keeps_id);
