-- expect: DB216
-- why: readers relying on the column being set break
ALTER TABLE orders ALTER COLUMN placed_at DROP NOT NULL;
