CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    placed_on DATE NOT NULL,
    total_cents INTEGER NOT NULL CHECK (total_cents >= 0)
);

CREATE INDEX orders_customer_idx ON orders (customer_id);
