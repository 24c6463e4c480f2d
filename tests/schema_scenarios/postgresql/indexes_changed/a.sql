CREATE TABLE t (id int PRIMARY KEY, a int, b text, c int);
CREATE INDEX t_predicate ON t (a) WHERE a > 0;
CREATE INDEX t_include ON t (a) INCLUDE (b);
CREATE INDEX t_expression ON t (lower(b));
CREATE INDEX t_uniqueness ON t (c);
CREATE INDEX t_method ON t (b);
