-- Enums, domains and stand-alone composite types (their attributes come with the columns),
-- not those an extension owns. A domain's collation is given only where it differs from
-- its base type's, written as COLLATE takes it.
SELECT t.oid, n.nspname, t.typname, t.typtype, t.typrelid, d.description,
  CASE WHEN t.typtype = 'e' THEN ARRAY(
    SELECT l.enumlabel::text FROM pg_enum l WHERE l.enumtypid = t.oid ORDER BY l.enumsortorder)
  END,
  CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
  CASE WHEN t.typtype = 'd' THEN pg_get_expr(t.typdefaultbin, 0) END,
  t.typnotnull,
  CASE WHEN t.typtype = 'd' AND t.typcollation <> bt.typcollation THEN (
    SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
    FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
    WHERE co.oid = t.typcollation)
  END,
  CASE WHEN t.typtype = 'd' THEN ARRAY(
    SELECT c.conname::text FROM pg_constraint c
    WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname)
  END,
  CASE WHEN t.typtype = 'd' THEN ARRAY(
    SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
    WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname)
  END,
  t.typarray
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
LEFT JOIN pg_class r ON r.oid = t.typrelid
LEFT JOIN pg_description d
  ON d.objoid = t.oid AND d.classoid = 'pg_type'::regclass AND d.objsubid = 0
WHERE n.nspname = ANY(:schemas)
  AND (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND r.relkind = 'c'))
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid AND e.deptype = 'e')
