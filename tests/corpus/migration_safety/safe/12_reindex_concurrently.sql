-- safe: rebuilds without blocking writes (PostgreSQL 12+)
REINDEX INDEX CONCURRENTLY orders_placed_at_idx;
