-- Default privileges (pg_default_acl), one object per role, schema ('' for the whole
-- database) and kind of object, compared as pg_dump compares them: a database-wide entry
-- against the built-in defaults (acldefault: the owner's own privileges, PUBLIC's EXECUTE
-- on functions and USAGE on types), which it may revoke; a schema's entry against none.
-- `create` revokes the defaults it lacks and grants what it adds; `drop` goes back.
WITH entries AS (
  SELECT a.oid, a.defaclrole, a.defaclnamespace, a.defaclacl,
    COALESCE(n.nspname, '') AS schema,
    CASE a.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES'
      WHEN 'f' THEN 'FUNCTIONS' WHEN 'T' THEN 'TYPES' WHEN 'n' THEN 'SCHEMAS' END AS objects,
    CASE WHEN a.defaclnamespace = 0
      THEN acldefault(CASE a.defaclobjtype WHEN 'S' THEN 's' ELSE a.defaclobjtype END,
        a.defaclrole)
      END AS baseline,
    format('ALTER DEFAULT PRIVILEGES FOR ROLE %I', pg_get_userbyid(a.defaclrole))
      || CASE WHEN n.nspname IS NOT NULL THEN format(' IN SCHEMA %I', n.nspname) ELSE '' END
      AS head
  FROM pg_default_acl a
  LEFT JOIN pg_namespace n ON n.oid = a.defaclnamespace
  WHERE a.defaclnamespace = 0 OR n.nspname = ANY(:schemas)
),
-- What an entry adds to its baseline (added) and what it lacks of it, by grantee.
changes AS (
  SELECT e.oid, true AS added, g.grantee, g.is_grantable,
    string_agg(g.privilege_type, ', ' ORDER BY g.privilege_type COLLATE "C") AS privileges
  FROM entries e, aclexplode(e.defaclacl) g
  WHERE NOT EXISTS (
    SELECT 1 FROM aclexplode(e.baseline) b
    WHERE b.grantee = g.grantee AND b.privilege_type = g.privilege_type
      AND b.is_grantable = g.is_grantable)
  GROUP BY e.oid, g.grantee, g.is_grantable
  UNION ALL
  SELECT e.oid, false, b.grantee, b.is_grantable,
    string_agg(b.privilege_type, ', ' ORDER BY b.privilege_type COLLATE "C")
  FROM entries e, aclexplode(e.baseline) b
  WHERE NOT EXISTS (
    SELECT 1 FROM aclexplode(e.defaclacl) g
    WHERE g.grantee = b.grantee AND g.privilege_type = b.privilege_type
      AND g.is_grantable = b.is_grantable)
  GROUP BY e.oid, b.grantee, b.is_grantable
),
named AS (
  SELECT c.*, CASE WHEN c.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(c.grantee))
    END AS who
  FROM changes c
)
SELECT 'pg_default_acl', e.oid, e.schema, pg_get_userbyid(e.defaclrole)::text,
  format('%s on %s', pg_get_userbyid(e.defaclrole), lower(e.objects)), NULL::text,
  -- revokes first: a privilege the entry holds with grant option is revoked, then granted
  ARRAY(
    SELECT e.head || CASE WHEN NOT c.added
      THEN format(' REVOKE %s ON %s FROM %s', c.privileges, e.objects, c.who)
      ELSE format(' GRANT %s ON %s TO %s', c.privileges, e.objects, c.who)
        || CASE WHEN c.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END END
    FROM named c WHERE c.oid = e.oid
    ORDER BY c.added, c.who COLLATE "C", c.is_grantable),
  ARRAY(
    SELECT e.head || CASE WHEN c.added
      THEN format(' REVOKE %s ON %s FROM %s', c.privileges, e.objects, c.who)
      ELSE format(' GRANT %s ON %s TO %s', c.privileges, e.objects, c.who)
        || CASE WHEN c.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END END
    FROM named c WHERE c.oid = e.oid
    ORDER BY NOT c.added, c.who COLLATE "C", c.is_grantable),
  '', NULL::text
FROM entries e
