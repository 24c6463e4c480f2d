-- safe: builds without blocking writes (a migration of its own: no transaction)
CREATE INDEX CONCURRENTLY orders_placed_at_idx ON orders (placed_at);
