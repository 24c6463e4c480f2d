-- expect: DB211
-- why: REINDEX without CONCURRENTLY blocks writes
REINDEX INDEX orders_placed_at_idx;
