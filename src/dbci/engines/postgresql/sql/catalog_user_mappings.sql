-- User mappings (database-wide), keyed by role and server. Read through pg_user_mappings,
-- which shows a mapping's options only to whom may see them (a superuser, the server's
-- owner, the mapped role); {{options}} as in catalog_fdw.sql: a password is never read.
-- Where the reading role may not see the options (umoptions is then NULL, as it is for
-- a mapping without options), the statement says so: the diff then compares the mapping
-- by existence only. `visible` is the view's own condition.
SELECT 'pg_user_mapping', m.umid, '', m.role, format('%s on %I', m.role, m.srvname), NULL::text,
  ARRAY[format('CREATE USER MAPPING FOR %s SERVER %I', m.role, m.srvname)
    || CASE WHEN m.visible THEN
      COALESCE(' OPTIONS (' || o.shown || ')', '')
      || COALESCE(' /* secret options, not read: ' || o.secret || ' */', '')
    ELSE ' /* options not read: the reading role may not see them */' END],
  ARRAY[format('DROP USER MAPPING FOR %s SERVER %I', m.role, m.srvname)],
  '', NULL::text
FROM (
  SELECT um.umid, um.srvname,
    CASE WHEN um.umuser = 0 THEN 'PUBLIC' ELSE quote_ident(um.usename) END AS role,
    um.umoptions,
    um.umoptions IS NOT NULL
      OR (um.umuser <> 0 AND um.usename = CURRENT_USER
        AND (pg_has_role(s.srvowner, 'USAGE') OR has_server_privilege(s.oid, 'USAGE')))
      OR (um.umuser = 0 AND pg_has_role(s.srvowner, 'USAGE'))
      OR COALESCE((SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = CURRENT_USER), false)
      AS visible
  FROM pg_user_mappings um
  JOIN pg_foreign_server s ON s.oid = um.srvid
  WHERE um.umid >= 16384
) m
CROSS JOIN LATERAL (SELECT m.umoptions) x(options)
CROSS JOIN LATERAL ({{options}}) o
