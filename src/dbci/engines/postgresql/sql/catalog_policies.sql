-- Row-level security policies on the tables of the schemas (pg_policy), written as
-- pg_dump writes them: CREATE POLICY … AS PERMISSIVE|RESTRICTIVE FOR … TO … USING …
-- WITH CHECK …. A policy's roles are global objects, named as they are (pg_roles: any
-- user may read it, pg_authid only a superuser).
SELECT 'pg_policy', p.oid, n.nspname, p.polname::text, c.relname || '.' || p.polname,
  c.relname::text,
  ARRAY[format('CREATE POLICY %I ON %I.%I AS %s FOR %s TO %s', p.polname, n.nspname, c.relname,
    CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
    CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
      WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
    (SELECT string_agg(CASE WHEN r.role = 0 THEN 'PUBLIC' ELSE quote_ident(a.rolname) END,
       ', ' ORDER BY r.role <> 0, a.rolname COLLATE "C")
     FROM unnest(p.polroles) r(role) LEFT JOIN pg_roles a ON a.oid = r.role))
    || COALESCE(' USING (' || pg_get_expr(p.polqual, p.polrelid) || ')', '')
    || COALESCE(' WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')', '')],
  ARRAY[format('DROP POLICY %I ON %I.%I', p.polname, n.nspname, c.relname)],
  format('POLICY %I ON %I.%I', p.polname, n.nspname, c.relname),
  d.description
FROM pg_policy p
JOIN pg_class c ON c.oid = p.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_description d ON d.objoid = p.oid AND d.classoid = 'pg_policy'::regclass
WHERE n.nspname = ANY(:schemas)
