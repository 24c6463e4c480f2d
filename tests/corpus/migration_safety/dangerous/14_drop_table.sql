-- expect: DB101
-- why: the table's rows are lost
DROP TABLE audit_log;
