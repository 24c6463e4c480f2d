-- Text search parsers in the schemas (pg_ts_parser), written as pg_dump's dumpTSParser
-- writes them; functions as regproc names them.
SELECT 'pg_ts_parser', p.oid, n.nspname, p.prsname::text, '', NULL::text,
  ARRAY[format(E'CREATE TEXT SEARCH PARSER %I.%I (\n', n.nspname, p.prsname)
    || '    START = ' || p.prsstart::regproc::text || E',\n'
    || '    GETTOKEN = ' || p.prstoken::regproc::text || E',\n'
    || '    END = ' || p.prsend::regproc::text || E',\n'
    || CASE WHEN p.prsheadline <> 0
      THEN '    HEADLINE = ' || p.prsheadline::regproc::text || E',\n' ELSE '' END
    || '    LEXTYPES = ' || p.prslextype::regproc::text || ' )'],
  ARRAY[format('DROP TEXT SEARCH PARSER %I.%I', n.nspname, p.prsname)],
  format('TEXT SEARCH PARSER %I.%I', n.nspname, p.prsname),
  d.description
FROM pg_ts_parser p
JOIN pg_namespace n ON n.oid = p.prsnamespace
LEFT JOIN pg_description d ON d.objoid = p.oid AND d.classoid = 'pg_ts_parser'::regclass
WHERE n.nspname = ANY(:schemas) AND p.oid >= 16384
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_ts_parser'::regclass AND e.objid = p.oid AND e.deptype = 'e')
