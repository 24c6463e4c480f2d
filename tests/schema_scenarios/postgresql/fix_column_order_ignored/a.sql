CREATE TABLE t (id int PRIMARY KEY, a text, c text);
-- only the order of its columns differs
CREATE TABLE u (x int, y int);
INSERT INTO t VALUES (1, 'a', 'c');
