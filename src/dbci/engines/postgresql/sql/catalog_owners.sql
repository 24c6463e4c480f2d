-- Who owns each object of the schemas that has an owner, and each database-wide one
-- (foreign data wrappers, servers, publications, event triggers): the owned object's
-- catalog and oid (the snapshot names the owner after the object it finds by them, and
-- leaves out those it does not read) and `ALTER <kind> <object> OWNER TO <role>`.
-- Built-in objects and an extension's are left out; a schema of the list is read whatever
-- its oid (public's is built in, but its owner may change).
WITH owned(classid, oid, schema, name, statement, owner) AS (
  SELECT 'pg_namespace', n.oid, n.nspname, n.nspname,
    format('SCHEMA %I', n.nspname), n.nspowner
  FROM pg_namespace n
  WHERE n.nspname = ANY(:schemas)
  UNION ALL
  SELECT 'pg_class', c.oid, n.nspname, c.relname,
    format('%s %I.%I', CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
      WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
      n.nspname, c.relname), c.relowner
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = ANY(:schemas) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
    -- a column's sequence (serial, identity) follows its table's owner: PostgreSQL
    -- refuses to give it another
    AND NOT (c.relkind = 'S' AND EXISTS (
      SELECT 1 FROM pg_depend sd
      WHERE sd.classid = 'pg_class'::regclass AND sd.objid = c.oid
        AND sd.refclassid = 'pg_class'::regclass AND sd.deptype IN ('a', 'i')))
  UNION ALL
  SELECT 'pg_proc', p.oid, n.nspname, p.proname,
    format('%s %I.%I(%s)', CASE p.prokind WHEN 'a' THEN 'AGGREGATE' WHEN 'p' THEN 'PROCEDURE'
      ELSE 'FUNCTION' END, n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
    p.proowner
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = ANY(:schemas)
  UNION ALL
  -- types: enums, domains, ranges, base types and composite types of their own
  SELECT 'pg_type', t.oid, n.nspname, t.typname,
    format('%s %I.%I', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END,
      n.nspname, t.typname), t.typowner
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
  LEFT JOIN pg_class r ON r.oid = t.typrelid
  WHERE n.nspname = ANY(:schemas) AND t.typtype IN ('b', 'e', 'd', 'r', 'c')
    AND (t.typrelid = 0 OR r.relkind = 'c')
    AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.typarray = t.oid)
  UNION ALL
  SELECT 'pg_collation', c.oid, n.nspname, c.collname,
    format('COLLATION %I.%I', n.nspname, c.collname), c.collowner
  FROM pg_collation c JOIN pg_namespace n ON n.oid = c.collnamespace
  WHERE n.nspname = ANY(:schemas)
  UNION ALL
  SELECT 'pg_conversion', c.oid, n.nspname, c.conname,
    format('CONVERSION %I.%I', n.nspname, c.conname), c.conowner
  FROM pg_conversion c JOIN pg_namespace n ON n.oid = c.connamespace
  WHERE n.nspname = ANY(:schemas)
  UNION ALL
  SELECT 'pg_operator', o.oid, n.nspname, o.oprname,
    format('OPERATOR %I.%s(%s, %s)', n.nspname, o.oprname,
      COALESCE(format_type(NULLIF(o.oprleft, 0), NULL), 'NONE'),
      COALESCE(format_type(NULLIF(o.oprright, 0), NULL), 'NONE')), o.oprowner
  FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace
  WHERE n.nspname = ANY(:schemas)
  UNION ALL
  SELECT 'pg_opclass', c.oid, n.nspname, c.opcname,
    format('OPERATOR CLASS %I.%I USING %I', n.nspname, c.opcname, am.amname), c.opcowner
  FROM pg_opclass c JOIN pg_namespace n ON n.oid = c.opcnamespace
  JOIN pg_am am ON am.oid = c.opcmethod
  WHERE n.nspname = ANY(:schemas)
  UNION ALL
  SELECT 'pg_opfamily', f.oid, n.nspname, f.opfname,
    format('OPERATOR FAMILY %I.%I USING %I', n.nspname, f.opfname, am.amname), f.opfowner
  FROM pg_opfamily f JOIN pg_namespace n ON n.oid = f.opfnamespace
  JOIN pg_am am ON am.oid = f.opfmethod
  WHERE n.nspname = ANY(:schemas)
  UNION ALL
  SELECT 'pg_ts_dict', t.oid, n.nspname, t.dictname,
    format('TEXT SEARCH DICTIONARY %I.%I', n.nspname, t.dictname), t.dictowner
  FROM pg_ts_dict t JOIN pg_namespace n ON n.oid = t.dictnamespace
  WHERE n.nspname = ANY(:schemas)
  UNION ALL
  SELECT 'pg_ts_config', t.oid, n.nspname, t.cfgname,
    format('TEXT SEARCH CONFIGURATION %I.%I', n.nspname, t.cfgname), t.cfgowner
  FROM pg_ts_config t JOIN pg_namespace n ON n.oid = t.cfgnamespace
  WHERE n.nspname = ANY(:schemas)
  UNION ALL
  SELECT 'pg_statistic_ext', s.oid, n.nspname, s.stxname,
    format('STATISTICS %I.%I', n.nspname, s.stxname), s.stxowner
  FROM pg_statistic_ext s JOIN pg_namespace n ON n.oid = s.stxnamespace
  WHERE n.nspname = ANY(:schemas)
  UNION ALL
  SELECT 'pg_foreign_data_wrapper', w.oid, '', w.fdwname,
    format('FOREIGN DATA WRAPPER %I', w.fdwname), w.fdwowner
  FROM pg_foreign_data_wrapper w
  UNION ALL
  SELECT 'pg_foreign_server', s.oid, '', s.srvname, format('SERVER %I', s.srvname), s.srvowner
  FROM pg_foreign_server s
  UNION ALL
  SELECT 'pg_publication', p.oid, '', p.pubname, format('PUBLICATION %I', p.pubname),
    p.pubowner
  FROM pg_publication p
  UNION ALL
  SELECT 'pg_event_trigger', e.oid, '', e.evtname, format('EVENT TRIGGER %I', e.evtname),
    e.evtowner
  FROM pg_event_trigger e
)
SELECT o.classid, o.oid, o.schema, o.name::text, '', NULL::text,
  ARRAY[format('ALTER %s OWNER TO %I', o.statement, pg_get_userbyid(o.owner))],
  ARRAY[]::text[], '', NULL::text
FROM owned o
WHERE (o.oid >= 16384 OR o.classid = 'pg_namespace')
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = o.classid::regclass AND e.objid = o.oid AND e.deptype = 'e')
