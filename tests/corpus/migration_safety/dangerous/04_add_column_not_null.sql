-- expect: DB203
-- why: NOT NULL without a default fails on a non-empty table
ALTER TABLE orders ADD COLUMN region text NOT NULL;
