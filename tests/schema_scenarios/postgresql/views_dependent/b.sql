CREATE TABLE t (id int PRIMARY KEY, a int, b text);
CREATE VIEW v1 AS SELECT id, a + 1 AS a, b FROM t;
CREATE VIEW v2 AS SELECT id, a * 2 AS doubled FROM v1;
CREATE VIEW v3 AS SELECT doubled FROM v2 WHERE doubled > 4;
CREATE VIEW other AS SELECT b FROM t;
