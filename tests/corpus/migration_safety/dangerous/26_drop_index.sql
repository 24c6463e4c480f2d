-- expect: DB210
-- why: DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the table
DROP INDEX orders_placed_at_idx;
