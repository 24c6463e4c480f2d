CREATE TABLE t1 (id int);
CREATE TABLE t2 (id int) WITH (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.05);
CREATE TABLE t3 (id int, body text)
  WITH (fillfactor = 60, toast.autovacuum_enabled = true, autovacuum_enabled = false);
CREATE TABLE t4 (id int, body text) WITH (fillfactor = 90, toast.autovacuum_enabled = false);
