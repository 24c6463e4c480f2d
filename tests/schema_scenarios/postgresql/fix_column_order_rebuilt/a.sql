CREATE TABLE t (
    id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    a text NOT NULL,
    c text DEFAULT 'z' CHECK (c <> ''),
    doubled int GENERATED ALWAYS AS (length(a) * 2) STORED,
    gone int
);
COMMENT ON TABLE t IS 'the table';
COMMENT ON COLUMN t.a IS 'column a';
CREATE INDEX t_a ON t (a);
CREATE TABLE child (id int PRIMARY KEY, t_id int REFERENCES t (id));
CREATE VIEW t_view AS SELECT id, a FROM t;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER t_touch BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();
INSERT INTO t (a, c, gone) VALUES ('x', 'y', 1), ('xyz', DEFAULT, 2);
INSERT INTO child VALUES (10, 2);
-- only the order of its columns differs
CREATE TABLE u (x int, y int);
INSERT INTO u VALUES (1, 2);
