-- The parts of every index (primary and unique keys too), in order. {expression} is a
-- functional key part's expression on MySQL 8.0.13 and later, else NULL; {ignored} is
-- whether the optimizer leaves the index out (MariaDB 10.6's IGNORED, MySQL 8's
-- INVISIBLE), else 'NO'.
SELECT table_schema, table_name, index_name, non_unique, column_name, sub_part, collation,
  index_type, index_comment, {expression}, {ignored}
FROM information_schema.statistics
WHERE table_schema IN ({schemas})
ORDER BY table_schema, table_name, index_name, seq_in_index
