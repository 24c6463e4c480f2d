-- The extensions installed in the schemas, and whether each can move to another schema.
SELECT x.extname, n.nspname, x.extversion, d.description, x.extrelocatable
FROM pg_extension x
JOIN pg_namespace n ON n.oid = x.extnamespace
LEFT JOIN pg_description d
  ON d.objoid = x.oid AND d.classoid = 'pg_extension'::regclass AND d.objsubid = 0
WHERE n.nspname = ANY(:schemas)
