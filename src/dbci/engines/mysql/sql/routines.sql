-- Procedures and functions, with their bodies and characteristics.
SELECT routine_schema, routine_name, routine_type, dtd_identifier, routine_definition,
  is_deterministic, sql_data_access, security_type, routine_comment
FROM information_schema.routines
WHERE routine_schema IN ({schemas}) AND routine_type IN ('PROCEDURE', 'FUNCTION')
