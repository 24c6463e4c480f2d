CREATE TABLE t (id int PRIMARY KEY, a text, b int, c text);
CREATE TABLE u (y int, x int);
