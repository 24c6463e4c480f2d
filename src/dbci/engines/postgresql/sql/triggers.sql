-- Triggers a user made: not internal (constraint triggers of foreign keys), and not a
-- partition's copy of its parent's trigger ({not_cloned}: tgparentid arrived in
-- PostgreSQL 13) unless the copy's enabled state differs from the trigger it copies
-- (`ALTER TABLE partition DISABLE TRIGGER t`, as pg_dump reads it): then it comes with the
-- schema and name of that trigger's table.
SELECT tg.tgrelid, tg.tgname, pg_get_triggerdef(tg.oid), tg.tgenabled, fn.nspname, f.proname,
  pg_get_function_identity_arguments(f.oid), d.description, pn.nspname, pc.relname
FROM pg_trigger tg
JOIN pg_class c ON c.oid = tg.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc f ON f.oid = tg.tgfoid
JOIN pg_namespace fn ON fn.oid = f.pronamespace
LEFT JOIN pg_description d
  ON d.objoid = tg.oid AND d.classoid = 'pg_trigger'::regclass AND d.objsubid = 0
LEFT JOIN pg_trigger pt ON NOT ({not_cloned}) AND pt.oid = tg.tgparentid
LEFT JOIN pg_class pc ON pc.oid = pt.tgrelid
LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace
WHERE n.nspname = ANY(:schemas) AND NOT tg.tgisinternal
  AND ({not_cloned} OR pt.tgenabled <> tg.tgenabled)
