CREATE DOMAIN price AS numeric(10, 2) DEFAULT 0;
CREATE DOMAIN code AS text CONSTRAINT code_short CHECK (length(VALUE) < 10);
CREATE DOMAIN positive AS integer;
CREATE DOMAIN required AS text;
CREATE TABLE t (id int PRIMARY KEY, p price, c code, n positive, r required);
INSERT INTO t VALUES (1, 5, 'abc', 3, 'x');
