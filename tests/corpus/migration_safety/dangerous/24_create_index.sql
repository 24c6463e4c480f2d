-- expect: DB205
-- why: CREATE INDEX without CONCURRENTLY blocks writes while it builds
CREATE INDEX orders_placed_at_idx ON orders (placed_at);
