-- expect: DB201
-- why: a type change rewrites the table under ACCESS EXCLUSIVE
ALTER TABLE orders ALTER COLUMN total TYPE numeric(14, 2);
