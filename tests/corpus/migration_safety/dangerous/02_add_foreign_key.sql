-- expect: DB206
-- why: validating the foreign key scans the table under SHARE ROW EXCLUSIVE on both tables
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);
