-- The columns of each foreign key and those it references, in order.
SELECT table_schema, table_name, constraint_name, column_name, referenced_table_schema,
  referenced_table_name, referenced_column_name
FROM information_schema.key_column_usage
WHERE table_schema IN ({schemas}) AND referenced_table_name IS NOT NULL
ORDER BY table_schema, table_name, constraint_name, ordinal_position
