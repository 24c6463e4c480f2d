CREATE TABLE t (id int PRIMARY KEY, a int, b text, c jsonb);
CREATE INDEX t_a ON t (a);
CREATE INDEX t_lower_b ON t (lower(b));
CREATE UNIQUE INDEX t_b_unique ON t (b) WHERE a IS NOT NULL;
CREATE INDEX t_c ON t USING gin (c);
CREATE INDEX t_a_desc ON t (a DESC NULLS LAST, id);
