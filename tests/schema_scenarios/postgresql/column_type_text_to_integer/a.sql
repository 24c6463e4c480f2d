CREATE TABLE t (id int PRIMARY KEY, qty text NOT NULL DEFAULT '0', price text);
INSERT INTO t VALUES (1, '3', '2.50'), (2, '42', NULL);
