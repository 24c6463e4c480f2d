-- The columns of the schemas' tables and views, in position order.
SELECT table_schema, table_name, column_name, column_type, is_nullable, column_default, extra,
  generation_expression, collation_name, column_comment, data_type
FROM information_schema.columns
WHERE table_schema IN ({schemas})
ORDER BY table_schema, table_name, ordinal_position
