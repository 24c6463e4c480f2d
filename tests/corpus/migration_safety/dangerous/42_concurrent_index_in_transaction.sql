-- expect: DB215
-- why: CREATE INDEX CONCURRENTLY cannot run inside a transaction block
BEGIN;
CREATE INDEX CONCURRENTLY orders_ref_idx ON orders (ref);
COMMIT;
