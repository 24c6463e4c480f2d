-- expect: DB604
-- why: char(n) pads with spaces
ALTER TABLE customers ADD COLUMN country char(2);
