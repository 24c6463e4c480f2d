-- expect: DB104
-- why: every row is lost, and TRUNCATE takes ACCESS EXCLUSIVE
TRUNCATE orders;
