-- Privileges granted on schemas, relations, routines and types, without those every owner
-- has anyway (acldefault: the owner's own, and PUBLIC's EXECUTE on routines and USAGE on
-- types); then those defaults that an object's privileges lack (revoked: a NULL ACL is the
-- default, so only objects whose ACL is set can lack one). As (catalog letter, oid,
-- grantee, privilege, grantable, revoked). Column privileges come with the columns.
WITH objects(cat, oid, acl, owner, deftype) AS (
  SELECT 'n', n.oid, n.nspacl, n.nspowner, 'n'
  FROM pg_namespace n
  WHERE n.nspname = ANY(:schemas) AND n.nspacl IS NOT NULL
  UNION ALL
  SELECT 'c', c.oid, c.relacl, c.relowner, CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = ANY(:schemas) AND c.relacl IS NOT NULL
    AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
  UNION ALL
  SELECT 'p', p.oid, p.proacl, p.proowner, 'f'
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = ANY(:schemas) AND p.proacl IS NOT NULL
  UNION ALL
  SELECT 't', t.oid, t.typacl, t.typowner, 'T'
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
  WHERE n.nspname = ANY(:schemas) AND t.typacl IS NOT NULL AND t.typtype IN ('e', 'd', 'c')
)
SELECT o.cat, o.oid,
  (CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END)
    COLLATE "C" AS grantee,
  a.privilege_type COLLATE "C" AS privilege, a.is_grantable, false AS revoked
FROM objects o, aclexplode(o.acl) a
WHERE NOT EXISTS (
  SELECT 1 FROM aclexplode(acldefault(o.deftype::"char", o.owner)) x
  WHERE x.grantee = a.grantee AND x.privilege_type = a.privilege_type
    AND x.is_grantable = a.is_grantable)
UNION ALL
SELECT o.cat, o.oid,
  (CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee)::text END)
    COLLATE "C",
  x.privilege_type COLLATE "C", false, true
FROM objects o, aclexplode(acldefault(o.deftype::"char", o.owner)) x
WHERE NOT EXISTS (
  SELECT 1 FROM aclexplode(o.acl) a
  WHERE a.grantee = x.grantee AND a.privilege_type = x.privilege_type)
ORDER BY 1, 2, 3, 4, 5, 6
