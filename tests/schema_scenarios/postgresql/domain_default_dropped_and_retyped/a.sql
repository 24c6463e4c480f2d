CREATE DOMAIN amount AS integer DEFAULT 0 CHECK (VALUE >= 0);
CREATE DOMAIN label AS varchar(10);
CREATE TABLE t (id int PRIMARY KEY, a amount, l label);
CREATE VIEW v AS SELECT id, a FROM t;
INSERT INTO t VALUES (1, 5, 'x');
