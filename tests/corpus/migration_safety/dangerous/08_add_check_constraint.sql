-- expect: DB206
-- why: a CHECK without NOT VALID scans the table under ACCESS EXCLUSIVE
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total > 0);
