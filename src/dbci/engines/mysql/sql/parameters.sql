-- The parameters of every routine, in order (a function's result, position 0, left out).
SELECT specific_schema, specific_name, routine_type, parameter_mode, parameter_name,
  dtd_identifier
FROM information_schema.parameters
WHERE specific_schema IN ({schemas}) AND ordinal_position > 0
ORDER BY specific_schema, specific_name, routine_type, ordinal_position
