-- Collations in the schemas, as pg_dump writes them ({{icu_locale}}: the ICU locale's
-- column, which PostgreSQL 15 added and 17 renamed, also the builtin provider's locale;
-- before 15, collcollate held it. {{icu_rules}}: PostgreSQL 16's tailoring rules).
SELECT 'pg_collation', c.oid, n.nspname, c.collname::text, '', NULL::text,
  ARRAY[format('CREATE COLLATION %I.%I (', n.nspname, c.collname)
    || CASE c.collprovider
      WHEN 'i' THEN 'provider = icu, locale = '
        || quote_literal(COALESCE({{icu_locale}}, c.collcollate))
      WHEN 'd' THEN 'provider = default'
      WHEN 'b' THEN 'provider = builtin, locale = ' || quote_literal({{icu_locale}})
      ELSE 'provider = libc, ' || CASE WHEN c.collcollate = c.collctype
        THEN 'locale = ' || quote_literal(c.collcollate)
        ELSE 'lc_collate = ' || quote_literal(c.collcollate) || ', lc_ctype = '
          || quote_literal(c.collctype) END
    END
    || COALESCE(', rules = ' || quote_literal({{icu_rules}}), '')
    || CASE WHEN c.collisdeterministic THEN '' ELSE ', deterministic = false' END || ')'],
  ARRAY[format('DROP COLLATION %I.%I', n.nspname, c.collname)],
  format('COLLATION %I.%I', n.nspname, c.collname),
  d.description
FROM pg_collation c
JOIN pg_namespace n ON n.oid = c.collnamespace
LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_collation'::regclass
WHERE n.nspname = ANY(:schemas) AND c.oid >= 16384
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_collation'::regclass AND e.objid = c.oid AND e.deptype = 'e')
