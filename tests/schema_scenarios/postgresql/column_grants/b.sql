CREATE TABLE t (id int PRIMARY KEY, a int, b int, c int, d int);
GRANT SELECT (id, a, c), INSERT (c) ON t TO dbci_rt_reader;
-- The table-wide SELECT goes, which takes SELECT (b) with it: B keeps that one.
GRANT SELECT (b) ON t TO dbci_rt_writer;
GRANT UPDATE (b) ON t TO dbci_rt_writer WITH GRANT OPTION;
GRANT UPDATE (d) ON t TO dbci_rt_writer;
CREATE TABLE gone_column (id int, x int);
GRANT SELECT (x) ON gone_column TO dbci_rt_reader;
CREATE TABLE new_table (id int, secret text);
GRANT SELECT (id) ON new_table TO dbci_rt_reader;
GRANT INSERT ON new_table TO dbci_rt_writer;
