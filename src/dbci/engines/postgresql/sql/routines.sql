-- Functions, window functions and procedures; not aggregates, not those an extension owns,
-- and not the constructors PostgreSQL makes for a range type (they depend on it
-- internally).
SELECT p.oid, n.nspname, p.proname, p.prokind, pg_get_function_identity_arguments(p.oid),
  pg_get_function_result(p.oid), l.lanname, p.provolatile, p.prosecdef, p.prosrc,
  pg_get_functiondef(p.oid), d.description
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
LEFT JOIN pg_description d
  ON d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass AND d.objsubid = 0
WHERE n.nspname = ANY(:schemas)
  AND p.prokind IN ('f', 'w', 'p')
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend x
    WHERE x.classid = 'pg_proc'::regclass AND x.objid = p.oid AND x.deptype = 'i')
