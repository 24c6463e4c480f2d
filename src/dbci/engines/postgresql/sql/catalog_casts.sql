-- Casts made by users (not the built-in ones, not an extension's) that involve a type or
-- function of the schemas, or only built-in ones (such a cast belongs to the database, as
-- pg_dump dumps it); a cast has no schema of its own.
SELECT 'pg_cast', c.oid, '', format_type(c.castsource, NULL) || ' AS '
    || format_type(c.casttarget, NULL), '', NULL::text,
  ARRAY[format('CREATE CAST (%s AS %s) ', format_type(c.castsource, NULL),
      format_type(c.casttarget, NULL))
    || CASE c.castmethod
      WHEN 'f' THEN format('WITH FUNCTION %I.%I(%s)', fn.nspname, f.proname,
        pg_get_function_identity_arguments(f.oid))
      WHEN 'i' THEN 'WITH INOUT'
      ELSE 'WITHOUT FUNCTION' END
    || CASE c.castcontext WHEN 'a' THEN ' AS ASSIGNMENT' WHEN 'i' THEN ' AS IMPLICIT'
      ELSE '' END],
  ARRAY[format('DROP CAST (%s AS %s)', format_type(c.castsource, NULL),
    format_type(c.casttarget, NULL))],
  format('CAST (%s AS %s)', format_type(c.castsource, NULL), format_type(c.casttarget, NULL)),
  d.description
FROM pg_cast c
JOIN pg_type s ON s.oid = c.castsource
JOIN pg_type t ON t.oid = c.casttarget
LEFT JOIN pg_proc f ON f.oid = c.castfunc
LEFT JOIN pg_namespace fn ON fn.oid = f.pronamespace
LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_cast'::regclass
WHERE c.oid >= 16384
  AND (s.typnamespace IN (SELECT oid FROM pg_namespace WHERE nspname = ANY(:schemas))
    OR t.typnamespace IN (SELECT oid FROM pg_namespace WHERE nspname = ANY(:schemas))
    OR fn.nspname = ANY(:schemas)
    OR s.typnamespace = 'pg_catalog'::regnamespace AND t.typnamespace = 'pg_catalog'::regnamespace
      AND (fn.nspname IS NULL OR fn.nspname = 'pg_catalog'))
  -- nor one that comes with a type (a range type's cast to its multirange: internal)
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_cast'::regclass AND e.objid = c.oid AND e.deptype IN ('e', 'i'))
