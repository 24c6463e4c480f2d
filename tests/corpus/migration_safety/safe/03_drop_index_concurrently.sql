-- safe: drops without ACCESS EXCLUSIVE on the table
DROP INDEX CONCURRENTLY orders_placed_at_idx;
