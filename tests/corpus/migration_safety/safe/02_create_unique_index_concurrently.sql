-- safe: the unique index first, without blocking writes
CREATE UNIQUE INDEX CONCURRENTLY customers_email_idx ON customers (email);
