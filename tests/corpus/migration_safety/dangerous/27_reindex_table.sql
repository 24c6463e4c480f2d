-- expect: DB211
-- why: REINDEX without CONCURRENTLY blocks writes (and reads using the index)
REINDEX TABLE orders;
