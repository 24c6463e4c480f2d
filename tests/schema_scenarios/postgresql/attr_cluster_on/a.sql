-- CLUSTER ON an index and a key's, moved, dropped, set; an index made again keeps it.
CREATE TABLE t1 (id int PRIMARY KEY, a int);
CREATE INDEX t1_a ON t1 (a);
ALTER TABLE t1 CLUSTER ON t1_a;
CREATE TABLE t2 (id int CONSTRAINT t2_pkey PRIMARY KEY);
CREATE TABLE t3 (a int, b int);
CREATE INDEX t3_a ON t3 (a);
CREATE INDEX t3_b ON t3 (b);
ALTER TABLE t3 CLUSTER ON t3_a;
CREATE TABLE t5 (a int, b int);
CREATE INDEX t5_i ON t5 (a);
ALTER TABLE t5 CLUSTER ON t5_i;
CREATE TABLE t6 (a int);
CREATE INDEX t6_a ON t6 (a);
ALTER TABLE t6 CLUSTER ON t6_a;
