-- Each foreign key's ON UPDATE and ON DELETE rules. Read apart from its columns
-- (foreign_key_columns.sql): MariaDB joins these two views by materialising both, which is
-- several times slower than reading each.
SELECT constraint_schema, table_name, constraint_name, update_rule, delete_rule
FROM information_schema.referential_constraints
WHERE constraint_schema IN ({schemas})
