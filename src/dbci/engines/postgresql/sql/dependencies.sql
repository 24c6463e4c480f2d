-- What views and materialized views read (through their rewrite rule); the types in
-- routines' signatures and what a routine's SQL-standard body (BEGIN ATOMIC) uses; the
-- routines and types that tables' column defaults, generated columns and constraints
-- (with the index of an exclusion constraint) use; those an index's expressions and
-- predicate use; and those a domain's default and checks use. As (source, oid of the
-- view, routine, table, index or domain, kind, schema, key name); the sources are 'v',
-- 'f', 't', 'i' and 'd'. An array type stands for its element
-- type, a table's row type for the table. What uses a routine or type is looked up by
-- the oids the routines and types queries found (:routines, :types, with the types'
-- array types), through pg_depend's index on the referenced object: reading all of
-- pg_depend would cost more than the rest of this query.
WITH raw AS (
  SELECT 'v'::text AS src, rw.ev_class AS owner, d.refclassid, d.refobjid
  FROM pg_rewrite rw
  JOIN pg_class c ON c.oid = rw.ev_class
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid
  WHERE n.nspname = ANY(:schemas) AND c.relkind IN ('v', 'm')
    AND d.refclassid IN ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass)
    AND NOT (d.refclassid = 'pg_class'::regclass AND d.refobjid = rw.ev_class)
  UNION
  SELECT 'f', p.oid, d.refclassid, d.refobjid
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
  WHERE n.nspname = ANY(:schemas) AND d.deptype = 'n'
    AND d.refclassid IN ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass)
    AND NOT (d.refclassid = 'pg_proc'::regclass AND d.refobjid = p.oid)
  UNION
  SELECT x.src, x.owner, d.refclassid, d.refobjid
  FROM pg_depend d
  CROSS JOIN LATERAL (
    SELECT 't'::text, ad.adrelid FROM pg_attrdef ad
    WHERE d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid
    UNION ALL
    SELECT 't', co.conrelid FROM pg_constraint co
    WHERE d.classid = 'pg_constraint'::regclass AND co.oid = d.objid AND co.conrelid <> 0
    UNION ALL
    SELECT CASE WHEN ix.indisexclusion THEN 't' ELSE 'i' END,
      CASE WHEN ix.indisexclusion THEN ix.indrelid ELSE ix.indexrelid END
    FROM pg_index ix
    WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0 AND ix.indexrelid = d.objid
    UNION ALL
    SELECT 'd', co.contypid FROM pg_constraint co
    WHERE d.classid = 'pg_constraint'::regclass AND co.oid = d.objid AND co.contypid <> 0
    UNION ALL
    SELECT 'd', ty.oid FROM pg_type ty
    WHERE d.classid = 'pg_type'::regclass AND ty.oid = d.objid AND ty.typtype = 'd'
      AND NOT (d.refclassid = 'pg_type'::regclass AND d.refobjid = ty.typbasetype)
  ) x(src, owner)
  WHERE d.deptype = 'n' AND d.objsubid = 0
    AND d.classid IN ('pg_attrdef'::regclass, 'pg_constraint'::regclass, 'pg_class'::regclass,
      'pg_type'::regclass)
    AND (d.refclassid = 'pg_proc'::regclass AND d.refobjid = ANY(CAST(:routines AS oid[]))
      OR d.refclassid = 'pg_type'::regclass AND d.refobjid = ANY(CAST(:types AS oid[])))
),
refs AS (
  SELECT DISTINCT r.src, r.owner, r.refclassid, COALESCE(e.oid, r.refobjid) AS refobjid
  FROM raw r
  LEFT JOIN pg_type e ON r.refclassid = 'pg_type'::regclass AND e.typarray = r.refobjid
)
SELECT r.src, r.owner,
  CASE
    WHEN rc.oid IS NOT NULL THEN CASE rc.relkind WHEN 'v' THEN 'view'
      WHEN 'm' THEN 'materialized view' WHEN 'c' THEN 'composite type' ELSE 'table' END
    WHEN rp.oid IS NOT NULL THEN CASE rp.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END
    WHEN ty.typtype = 'e' THEN 'enum'
    WHEN ty.typtype = 'd' THEN 'domain'
    WHEN ty.typtype = 'c' THEN CASE tr.relkind WHEN 'v' THEN 'view'
      WHEN 'm' THEN 'materialized view' WHEN 'c' THEN 'composite type' ELSE 'table' END
  END,
  n.nspname,
  CASE
    WHEN rc.oid IS NOT NULL THEN rc.relname::text
    WHEN rp.oid IS NOT NULL
      THEN rp.proname || '(' || pg_get_function_identity_arguments(rp.oid) || ')'
    ELSE ty.typname::text
  END
FROM refs r
LEFT JOIN pg_class rc ON r.refclassid = 'pg_class'::regclass AND rc.oid = r.refobjid
LEFT JOIN pg_proc rp ON r.refclassid = 'pg_proc'::regclass AND rp.oid = r.refobjid
LEFT JOIN pg_type ty ON r.refclassid = 'pg_type'::regclass AND ty.oid = r.refobjid
LEFT JOIN pg_class tr ON ty.typtype = 'c' AND tr.oid = ty.typrelid
JOIN pg_namespace n ON n.oid = COALESCE(rc.relnamespace, rp.pronamespace, ty.typnamespace)
WHERE n.nspname = ANY(:schemas)
