-- Base types in the schemas (pg_type, typtype 'b'), not the array types PostgreSQL makes
-- for a type (the element's typarray), written as pg_dump's dumpBaseType writes them: each
-- option only where it is set or not the default. Functions are named as regproc writes
-- them (qualified outside pg_catalog, the snapshot's search path being empty). The type is
-- created over its shell type (`catalog_shell_types.sql`), whose drop takes it away: it
-- has no drop of its own.
SELECT 'pg_type', t.oid, n.nspname, t.typname::text, '', NULL::text,
  ARRAY[format(E'CREATE TYPE %I.%I (\n    ', n.nspname, t.typname)
    || array_to_string(ARRAY[
      'INTERNALLENGTH = ' || CASE WHEN t.typlen = -1 THEN 'variable' ELSE t.typlen::text END,
      'INPUT = ' || t.typinput::regproc::text,
      'OUTPUT = ' || t.typoutput::regproc::text,
      CASE WHEN t.typreceive <> 0 THEN 'RECEIVE = ' || t.typreceive::regproc::text END,
      CASE WHEN t.typsend <> 0 THEN 'SEND = ' || t.typsend::regproc::text END,
      CASE WHEN t.typmodin <> 0 THEN 'TYPMOD_IN = ' || t.typmodin::regproc::text END,
      CASE WHEN t.typmodout <> 0 THEN 'TYPMOD_OUT = ' || t.typmodout::regproc::text END,
      CASE WHEN t.typanalyze <> 0 THEN 'ANALYZE = ' || t.typanalyze::regproc::text END,
      CASE WHEN t.typcollation <> 0 THEN 'COLLATABLE = true' END,
      'DEFAULT = ' || COALESCE(pg_get_expr(t.typdefaultbin, 0), quote_literal(t.typdefault)),
      {{subscript}}
      CASE WHEN t.typelem <> 0 THEN 'ELEMENT = ' || format_type(t.typelem, NULL) END,
      CASE WHEN t.typcategory <> 'U' THEN 'CATEGORY = ' || quote_literal(t.typcategory::text) END,
      CASE WHEN t.typispreferred THEN 'PREFERRED = true' END,
      CASE WHEN t.typdelim <> ',' THEN 'DELIMITER = ' || quote_literal(t.typdelim::text) END,
      'ALIGNMENT = ' || CASE t.typalign WHEN 'c' THEN 'char' WHEN 's' THEN 'int2'
        WHEN 'i' THEN 'int4' ELSE 'double' END,
      'STORAGE = ' || CASE t.typstorage WHEN 'p' THEN 'plain' WHEN 'e' THEN 'external'
        WHEN 'x' THEN 'extended' ELSE 'main' END,
      CASE WHEN t.typbyval THEN 'PASSEDBYVALUE' END
    ], E',\n    ') || E'\n)'],
  ARRAY[]::text[],
  format('TYPE %I.%I', n.nspname, t.typname),
  d.description
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_description d ON d.objoid = t.oid AND d.classoid = 'pg_type'::regclass
  AND d.objsubid = 0
WHERE n.nspname = ANY(:schemas) AND t.oid >= 16384 AND t.typtype = 'b'
  AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid)
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid AND e.deptype = 'e')
