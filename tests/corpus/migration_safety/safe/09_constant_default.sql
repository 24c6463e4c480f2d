-- safe: a constant default is stored once (PostgreSQL 11+): no rewrite
SET lock_timeout = '5s';
SET statement_timeout = '60s';
ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';
