-- expect: DB207
-- why: the unique constraint's index is built under ACCESS EXCLUSIVE
ALTER TABLE customers ADD CONSTRAINT customers_email_key UNIQUE (email);
