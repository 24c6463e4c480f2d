CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE t (
    id int PRIMARY KEY,
    m mood NOT NULL DEFAULT 'ok',
    history mood[],
    other mood DEFAULT 'ok',
    CONSTRAINT other_not_sad CHECK (other <> 'sad')
);
CREATE INDEX t_m ON t (m);
CREATE INDEX t_happy ON t (id) WHERE m = 'happy';
CREATE VIEW happy_ones AS SELECT id FROM t WHERE m = 'happy';
CREATE VIEW moods AS SELECT id, m FROM t;
CREATE FUNCTION is_happy(x mood) RETURNS boolean LANGUAGE sql AS $$ SELECT x = 'happy' $$;
