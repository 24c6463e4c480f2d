-- expect: DB205
-- why: CREATE UNIQUE INDEX without CONCURRENTLY blocks writes while it builds
CREATE UNIQUE INDEX orders_ref_key ON orders (ref);
