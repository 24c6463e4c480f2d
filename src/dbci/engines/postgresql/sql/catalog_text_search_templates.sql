-- Text search templates in the schemas (pg_ts_template), written as pg_dump's
-- dumpTSTemplate writes them; functions as regproc names them.
SELECT 'pg_ts_template', t.oid, n.nspname, t.tmplname::text, '', NULL::text,
  ARRAY[format(E'CREATE TEXT SEARCH TEMPLATE %I.%I (\n', n.nspname, t.tmplname)
    || CASE WHEN t.tmplinit <> 0
      THEN '    INIT = ' || t.tmplinit::regproc::text || E',\n' ELSE '' END
    || '    LEXIZE = ' || t.tmpllexize::regproc::text || ' )'],
  ARRAY[format('DROP TEXT SEARCH TEMPLATE %I.%I', n.nspname, t.tmplname)],
  format('TEXT SEARCH TEMPLATE %I.%I', n.nspname, t.tmplname),
  d.description
FROM pg_ts_template t
JOIN pg_namespace n ON n.oid = t.tmplnamespace
LEFT JOIN pg_description d ON d.objoid = t.oid AND d.classoid = 'pg_ts_template'::regclass
WHERE n.nspname = ANY(:schemas) AND t.oid >= 16384
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_ts_template'::regclass AND e.objid = t.oid AND e.deptype = 'e')
