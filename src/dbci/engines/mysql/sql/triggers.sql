-- The triggers, in the order they fire on each table.
SELECT trigger_schema, trigger_name, event_object_table, action_timing, event_manipulation,
  action_statement
FROM information_schema.triggers
WHERE trigger_schema IN ({schemas})
ORDER BY trigger_schema, event_object_table, action_order, trigger_name
