-- safe: VALIDATE takes SHARE UPDATE EXCLUSIVE: reads and writes go on
SET lock_timeout = '5s';
SET statement_timeout = '60s';
ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;
