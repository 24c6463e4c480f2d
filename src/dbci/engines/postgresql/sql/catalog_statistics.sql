-- Extended statistics objects (CREATE STATISTICS) in the schemas, as
-- pg_get_statisticsobjdef writes them, with their statistics target where it was set
-- ({{statistics_target}}: the column, PostgreSQL 13, NULL before).
SELECT 'pg_statistic_ext', s.oid, n.nspname, s.stxname::text, '', NULL::text,
  ARRAY[pg_get_statisticsobjdef(s.oid)]
    || CASE WHEN COALESCE({{statistics_target}}::int, -1) >= 0
      THEN ARRAY[format('ALTER STATISTICS %I.%I SET STATISTICS %s', n.nspname, s.stxname,
        {{statistics_target}})]
      ELSE ARRAY[]::text[] END,
  ARRAY[format('DROP STATISTICS %I.%I', n.nspname, s.stxname)],
  format('STATISTICS %I.%I', n.nspname, s.stxname),
  d.description
FROM pg_statistic_ext s
JOIN pg_namespace n ON n.oid = s.stxnamespace
LEFT JOIN pg_description d ON d.objoid = s.oid AND d.classoid = 'pg_statistic_ext'::regclass
WHERE n.nspname = ANY(:schemas)
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_statistic_ext'::regclass AND e.objid = s.oid AND e.deptype = 'e')
