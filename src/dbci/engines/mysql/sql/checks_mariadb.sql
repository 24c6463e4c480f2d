-- MariaDB's checks, table-level and column-level: MariaDB names checks per table, and its
-- check_constraints has the table's name and the check's level.
SELECT constraint_schema, table_name, constraint_name, check_clause, level
FROM information_schema.check_constraints
WHERE constraint_schema IN ({schemas})
