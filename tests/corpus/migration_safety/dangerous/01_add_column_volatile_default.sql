-- expect: DB204
-- why: a volatile default is evaluated for every existing row: the table is rewritten under ACCESS EXCLUSIVE
ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();
