-- Text search dictionaries in the schemas (pg_ts_dict), written as pg_dump's dumpTSDictionary
-- writes them: the template, qualified, and the options as dictinitoption holds them (the
-- text CREATE TEXT SEARCH DICTIONARY reads back).
SELECT 'pg_ts_dict', dc.oid, n.nspname, dc.dictname::text, '', NULL::text,
  ARRAY[format(E'CREATE TEXT SEARCH DICTIONARY %I.%I (\n    TEMPLATE = %I.%I', n.nspname,
      dc.dictname, tn.nspname, t.tmplname)
    || COALESCE(E',\n    ' || dc.dictinitoption, '') || ' )'],
  ARRAY[format('DROP TEXT SEARCH DICTIONARY %I.%I', n.nspname, dc.dictname)],
  format('TEXT SEARCH DICTIONARY %I.%I', n.nspname, dc.dictname),
  d.description
FROM pg_ts_dict dc
JOIN pg_namespace n ON n.oid = dc.dictnamespace
JOIN pg_ts_template t ON t.oid = dc.dicttemplate
JOIN pg_namespace tn ON tn.oid = t.tmplnamespace
LEFT JOIN pg_description d ON d.objoid = dc.oid AND d.classoid = 'pg_ts_dict'::regclass
WHERE n.nspname = ANY(:schemas) AND dc.oid >= 16384
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_ts_dict'::regclass AND e.objid = dc.oid AND e.deptype = 'e')
