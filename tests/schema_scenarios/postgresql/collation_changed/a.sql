CREATE TABLE t (id int PRIMARY KEY, a text, b text COLLATE "C", c varchar(10));
CREATE INDEX t_a ON t (a);
INSERT INTO t VALUES (1, 'x', 'y', 'z');
