-- expect: DB301
-- why: code reading the old name breaks
ALTER TABLE customers RENAME TO clients;
