CREATE TABLE t (id int PRIMARY KEY, a int, b text, c jsonb);
CREATE INDEX t_a ON t (a);
CREATE INDEX t_gone ON t (b);
