-- expect: DB605
-- why: a 16-bit integer column runs out at 32,767
ALTER TABLE orders ADD COLUMN priority smallint;
