CREATE TABLE t (id int PRIMARY KEY, a text, b int NOT NULL DEFAULT 0, c text);
CREATE INDEX t_c ON t (c);
INSERT INTO t VALUES (1, 'one', 1, 'x');
CREATE VIEW v AS SELECT id, a, c FROM t;
CREATE VIEW keeps AS SELECT id, a FROM t;
