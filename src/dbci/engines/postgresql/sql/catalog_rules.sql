-- Rules on the relations of the schemas, but for a view's own (_RETURN) rule, as
-- pg_get_ruledef writes them; a disabled rule (or one firing on replica or always) also
-- gets its ALTER TABLE.
SELECT 'pg_rewrite', r.oid, n.nspname, r.rulename::text, c.relname || '.' || r.rulename,
  c.relname::text,
  ARRAY[rtrim(pg_get_ruledef(r.oid), ';')] || CASE r.ev_enabled
    WHEN 'D' THEN ARRAY[format('ALTER TABLE %I.%I DISABLE RULE %I', n.nspname, c.relname,
      r.rulename)]
    WHEN 'R' THEN ARRAY[format('ALTER TABLE %I.%I ENABLE REPLICA RULE %I', n.nspname,
      c.relname, r.rulename)]
    WHEN 'A' THEN ARRAY[format('ALTER TABLE %I.%I ENABLE ALWAYS RULE %I', n.nspname,
      c.relname, r.rulename)]
    ELSE ARRAY[]::text[] END,
  ARRAY[format('DROP RULE %I ON %I.%I', r.rulename, n.nspname, c.relname)],
  format('RULE %I ON %I.%I', r.rulename, n.nspname, c.relname),
  d.description
FROM pg_rewrite r
JOIN pg_class c ON c.oid = r.ev_class
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_description d ON d.objoid = r.oid AND d.classoid = 'pg_rewrite'::regclass
WHERE n.nspname = ANY(:schemas) AND r.rulename <> '_RETURN'
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
