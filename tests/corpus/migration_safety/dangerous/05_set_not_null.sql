-- expect: DB202
-- why: SET NOT NULL scans the table under ACCESS EXCLUSIVE
ALTER TABLE orders ALTER COLUMN region SET NOT NULL;
