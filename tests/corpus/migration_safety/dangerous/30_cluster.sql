-- expect: DB213
-- why: CLUSTER rewrites the table under ACCESS EXCLUSIVE
CLUSTER orders USING orders_placed_at_idx;
