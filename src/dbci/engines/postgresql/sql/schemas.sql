-- The schemas asked for, with their comments.
SELECT n.oid, n.nspname, d.description
FROM pg_namespace n
LEFT JOIN pg_description d
  ON d.objoid = n.oid AND d.classoid = 'pg_namespace'::regclass AND d.objsubid = 0
WHERE n.nspname = ANY(:schemas)
