-- expect: DB605
-- why: a 32-bit integer column runs out at 2,147,483,647
ALTER TABLE orders ADD COLUMN quantity int;
