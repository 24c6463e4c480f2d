-- safe: a nullable column without a default changes only the catalog
SET lock_timeout = '5s';
SET statement_timeout = '60s';
ALTER TABLE orders ADD COLUMN note text;
