-- safe: the constraint takes over an index built CONCURRENTLY
SET lock_timeout = '5s';
SET statement_timeout = '60s';
ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE USING INDEX customers_email_idx;
