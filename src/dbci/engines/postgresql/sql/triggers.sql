-- Triggers a user made: not internal (constraint triggers of foreign keys), and not a
-- partition's copy of its parent's trigger ({not_cloned}: tgparentid arrived in
-- PostgreSQL 13).
SELECT tg.tgrelid, tg.tgname, pg_get_triggerdef(tg.oid), tg.tgenabled, fn.nspname, f.proname,
  pg_get_function_identity_arguments(f.oid), d.description
FROM pg_trigger tg
JOIN pg_class c ON c.oid = tg.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc f ON f.oid = tg.tgfoid
JOIN pg_namespace fn ON fn.oid = f.pronamespace
LEFT JOIN pg_description d
  ON d.objoid = tg.oid AND d.classoid = 'pg_trigger'::regclass AND d.objsubid = 0
WHERE n.nspname = ANY(:schemas) AND NOT tg.tgisinternal AND {not_cloned}
