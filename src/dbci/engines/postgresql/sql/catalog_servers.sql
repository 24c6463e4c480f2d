-- Foreign servers (database-wide), not an extension's; {{options}} as in catalog_fdw.sql.
SELECT 'pg_foreign_server', s.oid, '', s.srvname::text, '', NULL::text,
  ARRAY[format('CREATE SERVER %I', s.srvname)
    || COALESCE(' TYPE ' || quote_literal(s.srvtype), '')
    || COALESCE(' VERSION ' || quote_literal(s.srvversion), '')
    || format(' FOREIGN DATA WRAPPER %I', w.fdwname)
    || COALESCE(' OPTIONS (' || o.shown || ')', '')
    || COALESCE(' /* secret options, not read: ' || o.secret || ' */', '')],
  ARRAY[format('DROP SERVER %I', s.srvname)],
  format('SERVER %I', s.srvname),
  d.description
FROM pg_foreign_server s
JOIN pg_foreign_data_wrapper w ON w.oid = s.srvfdw
CROSS JOIN LATERAL (SELECT s.srvoptions) x(options)
CROSS JOIN LATERAL ({{options}}) o
LEFT JOIN pg_description d ON d.objoid = s.oid AND d.classoid = 'pg_foreign_server'::regclass
WHERE s.oid >= 16384
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_foreign_server'::regclass AND e.objid = s.oid AND e.deptype = 'e')
