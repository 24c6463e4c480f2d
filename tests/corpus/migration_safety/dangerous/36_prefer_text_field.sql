-- expect: DB601
-- why: changing varchar(n)'s n later rewrites or locks the table
ALTER TABLE customers ADD COLUMN nickname varchar(40);
