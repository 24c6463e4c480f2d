-- Column storage, compression and statistics target: set, reset, changed, kept across a
-- type change, and on a new table.
CREATE TABLE t1 (a text, b text, c int, d text);
ALTER TABLE t1 ALTER COLUMN a SET STORAGE EXTERNAL;
ALTER TABLE t1 ALTER COLUMN b SET COMPRESSION lz4;
ALTER TABLE t1 ALTER COLUMN c SET STATISTICS 500;
CREATE TABLE t3 (x varchar(10), y varchar(10));
ALTER TABLE t3 ALTER COLUMN x SET STORAGE MAIN;
ALTER TABLE t3 ALTER COLUMN y SET STORAGE EXTERNAL;
INSERT INTO t1 VALUES ('a', 'b', 1, 'd');
