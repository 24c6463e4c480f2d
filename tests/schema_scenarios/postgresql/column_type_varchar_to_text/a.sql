CREATE TABLE t (id int PRIMARY KEY, name varchar(20) NOT NULL, code char(3), note text);
INSERT INTO t VALUES (1, 'alice', 'abc', 'long note');
