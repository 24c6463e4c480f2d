-- MySQL's checks (8.0.16 and later; before, MySQL parses CHECK and ignores it), all of
-- them table-level: check_constraints has no table name, table_constraints has.
SELECT t.table_schema, t.table_name, t.constraint_name, c.check_clause, 'Table'
FROM information_schema.table_constraints t
JOIN information_schema.check_constraints c
  ON c.constraint_schema = t.constraint_schema AND c.constraint_name = t.constraint_name
WHERE t.constraint_type = 'CHECK' AND t.table_schema IN ({schemas})
