CREATE TABLE t (id int PRIMARY KEY, a text COLLATE "C", b text, c varchar(10) COLLATE "POSIX");
CREATE INDEX t_a ON t (a);
