CREATE DOMAIN amount AS bigint CHECK (VALUE >= 0);
CREATE DOMAIN label AS varchar(10);
CREATE TABLE t (id int PRIMARY KEY, a amount, l label);
CREATE VIEW v AS SELECT id, a FROM t;
