-- expect: DB603
-- why: timestamp without time zone loses the offset
ALTER TABLE orders ADD COLUMN shipped_at timestamp;
