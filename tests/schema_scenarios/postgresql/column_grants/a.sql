CREATE TABLE t (id int PRIMARY KEY, a int, b int, c int);
GRANT SELECT (id, a), UPDATE (a) ON t TO dbci_rt_reader;
GRANT SELECT ON t TO dbci_rt_writer;
GRANT SELECT (b), UPDATE (b) ON t TO dbci_rt_writer;
CREATE TABLE gone_column (id int, x int, y int);
GRANT SELECT (x), SELECT (y) ON gone_column TO dbci_rt_reader;
