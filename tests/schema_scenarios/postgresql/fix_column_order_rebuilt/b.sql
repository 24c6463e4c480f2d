CREATE TABLE t (
    id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    a text NOT NULL,
    b int,
    doubled int GENERATED ALWAYS AS (length(a) * 2) STORED,
    c text DEFAULT 'z' CHECK (c <> '')
);
COMMENT ON TABLE t IS 'the table';
COMMENT ON COLUMN t.a IS 'column a';
CREATE INDEX t_a ON t (a);
CREATE TABLE child (id int PRIMARY KEY, t_id int REFERENCES t (id));
CREATE VIEW t_view AS SELECT id, a FROM t;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TABLE u (y int, x int);
