-- The views, with their query as the server writes it. {algorithm} is the ALGORITHM column
-- on MariaDB, NULL on MySQL (whose information_schema has no such column).
SELECT table_schema, table_name, view_definition, check_option, security_type, {algorithm}
FROM information_schema.views
WHERE table_schema IN ({schemas})
