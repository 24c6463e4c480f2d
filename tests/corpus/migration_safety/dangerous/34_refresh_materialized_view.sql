-- expect: DB212
-- why: REFRESH without CONCURRENTLY blocks every read of the view
REFRESH MATERIALIZED VIEW daily_totals;
