-- Transforms made by users (not an extension's) that involve a type or function of the
-- schemas, or only built-in ones (such a transform belongs to the database, as pg_dump
-- dumps it), as pg_dump's dumpTransform writes them; a transform has no schema of its own.
SELECT 'pg_transform', x.oid, '',
  format_type(x.trftype, NULL) || ' LANGUAGE ' || quote_ident(l.lanname), '', NULL::text,
  ARRAY[format('CREATE TRANSFORM FOR %s LANGUAGE %I (', format_type(x.trftype, NULL),
      l.lanname)
    || concat_ws(', ',
      CASE WHEN x.trffromsql <> 0 THEN format('FROM SQL WITH FUNCTION %I.%I(%s)',
        fn.nspname, f.proname, pg_get_function_identity_arguments(f.oid)) END,
      CASE WHEN x.trftosql <> 0 THEN format('TO SQL WITH FUNCTION %I.%I(%s)',
        tn.nspname, t.proname, pg_get_function_identity_arguments(t.oid)) END)
    || ')'],
  ARRAY[format('DROP TRANSFORM FOR %s LANGUAGE %I', format_type(x.trftype, NULL),
    l.lanname)],
  format('TRANSFORM FOR %s LANGUAGE %I', format_type(x.trftype, NULL), l.lanname),
  d.description
FROM pg_transform x
JOIN pg_type ty ON ty.oid = x.trftype
JOIN pg_language l ON l.oid = x.trflang
LEFT JOIN pg_proc f ON f.oid = x.trffromsql
LEFT JOIN pg_namespace fn ON fn.oid = f.pronamespace
LEFT JOIN pg_proc t ON t.oid = x.trftosql
LEFT JOIN pg_namespace tn ON tn.oid = t.pronamespace
LEFT JOIN pg_description d ON d.objoid = x.oid AND d.classoid = 'pg_transform'::regclass
WHERE x.oid >= 16384
  AND (ty.typnamespace IN (SELECT oid FROM pg_namespace WHERE nspname = ANY(:schemas))
    OR fn.nspname = ANY(:schemas) OR tn.nspname = ANY(:schemas)
    OR ty.typnamespace = 'pg_catalog'::regnamespace
      AND COALESCE(fn.nspname, 'pg_catalog') = 'pg_catalog'
      AND COALESCE(tn.nspname, 'pg_catalog') = 'pg_catalog')
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_transform'::regclass AND e.objid = x.oid AND e.deptype = 'e')
