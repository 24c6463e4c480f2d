-- Storage parameters set, reset and changed, the TOAST table's too.
CREATE TABLE t1 (id int) WITH (fillfactor = 70, autovacuum_enabled = false);
CREATE TABLE t2 (id int);
CREATE TABLE t3 (id int, body text) WITH (fillfactor = 50, toast.autovacuum_enabled = false);
INSERT INTO t1 VALUES (1);
