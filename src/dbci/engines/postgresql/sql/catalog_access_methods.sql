-- Access methods made by users (not the built-in ones, not an extension's), as pg_dump's
-- dumpAccessMethod writes them; an access method has no schema of its own.
SELECT 'pg_am', a.oid, '', a.amname::text, '', NULL::text,
  ARRAY[format('CREATE ACCESS METHOD %I TYPE %s HANDLER %s', a.amname,
    CASE a.amtype WHEN 'i' THEN 'INDEX' ELSE 'TABLE' END, a.amhandler::regproc::text)],
  ARRAY[format('DROP ACCESS METHOD %I', a.amname)],
  format('ACCESS METHOD %I', a.amname),
  d.description
FROM pg_am a
LEFT JOIN pg_description d ON d.objoid = a.oid AND d.classoid = 'pg_am'::regclass
WHERE a.oid >= 16384
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_am'::regclass AND e.objid = a.oid AND e.deptype = 'e')
