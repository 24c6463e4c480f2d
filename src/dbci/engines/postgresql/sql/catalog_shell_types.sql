-- Shell types in the schemas, as pg_dump writes them (`CREATE TYPE s.t`): the one each
-- base type of `catalog_base_types.sql` is made over, created before the I/O functions
-- that take or return it, and those standing alone (typtype 'p', not defined). A base
-- type's shell has no oid of its own (its base type's stands for the type in pg_depend);
-- its drop takes the base type and the functions that use it along (CASCADE).
SELECT 'pg_type', CASE WHEN t.typtype = 'p' THEN t.oid END, n.nspname, t.typname::text, '',
  NULL::text,
  ARRAY[format('CREATE TYPE %I.%I', n.nspname, t.typname)],
  ARRAY[format('DROP TYPE %I.%I CASCADE', n.nspname, t.typname)],
  CASE WHEN t.typtype = 'p' THEN format('TYPE %I.%I', n.nspname, t.typname) ELSE '' END,
  CASE WHEN t.typtype = 'p' THEN d.description END
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_description d ON d.objoid = t.oid AND d.classoid = 'pg_type'::regclass
  AND d.objsubid = 0
WHERE n.nspname = ANY(:schemas) AND t.oid >= 16384
  AND (t.typtype = 'b' OR t.typtype = 'p' AND NOT t.typisdefined)
  AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid)
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid AND e.deptype = 'e')
