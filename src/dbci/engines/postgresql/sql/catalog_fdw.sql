-- Foreign data wrappers (database-wide) made by users, not an extension's (postgres_fdw's
-- own is its extension's). {{options}} writes the options of x.options: those whose name
-- looks secret (password, token, key, …) are never read, only named, in a comment.
SELECT 'pg_foreign_data_wrapper', w.oid, '', w.fdwname::text, '', NULL::text,
  ARRAY[format('CREATE FOREIGN DATA WRAPPER %I', w.fdwname)
    || COALESCE((SELECT format(' HANDLER %I.%I', hn.nspname, h.proname)
      FROM pg_proc h JOIN pg_namespace hn ON hn.oid = h.pronamespace
      WHERE h.oid = w.fdwhandler), '')
    || COALESCE((SELECT format(' VALIDATOR %I.%I', vn.nspname, v.proname)
      FROM pg_proc v JOIN pg_namespace vn ON vn.oid = v.pronamespace
      WHERE v.oid = w.fdwvalidator), '')
    || COALESCE(' OPTIONS (' || o.shown || ')', '')
    || COALESCE(' /* secret options, not read: ' || o.secret || ' */', '')],
  ARRAY[format('DROP FOREIGN DATA WRAPPER %I', w.fdwname)],
  format('FOREIGN DATA WRAPPER %I', w.fdwname),
  d.description
FROM pg_foreign_data_wrapper w
CROSS JOIN LATERAL (SELECT w.fdwoptions) x(options)
CROSS JOIN LATERAL ({{options}}) o
LEFT JOIN pg_description d
  ON d.objoid = w.oid AND d.classoid = 'pg_foreign_data_wrapper'::regclass
WHERE w.oid >= 16384
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_foreign_data_wrapper'::regclass AND e.objid = w.oid
      AND e.deptype = 'e')
