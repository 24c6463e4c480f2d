-- safe: readers go on while it refreshes
REFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals;
