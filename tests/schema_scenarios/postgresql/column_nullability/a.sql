CREATE TABLE t (id int PRIMARY KEY, a text NOT NULL, b text);
INSERT INTO t VALUES (1, 'a', 'b');
