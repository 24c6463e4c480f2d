-- Columns of tables and views and attributes of composite types, in position order; with
-- grants, {column_grants} is a table column's privileges (JSON: [grantee, privilege,
-- grantable] lists), else NULL. A default is written without its table (relation 0): a
-- default cannot name a column, and naming the table makes PostgreSQL open it, building its
-- relation cache entry, which for thousands of tables costs more than the rest of this
-- query. Generated columns do name columns, so theirs are written with their table.
-- A collation is given only where it differs from the type's, a storage only where it
-- differs from the type's; {compression} is NULL before PostgreSQL 14; the statistics
-- target is NULL at its default (-1 before PostgreSQL 17). `inherited` is a column a
-- child table only inherits (a partition's are its parent's anyway). An identity's
-- sequence options come last.
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
  pg_get_expr(ad.adbin, CASE WHEN a.attgenerated <> '' THEN ad.adrelid ELSE 0 END),
  a.attidentity, a.attgenerated,
  CASE WHEN co.oid IS NOT NULL THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname)
  END,
  d.description, {column_grants},
  a.attnum::text, quote_ident(a.attname), a.atttypid::text, a.attcollation::text, c.relkind,
  CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage END, {compression},
  NULLIF(a.attstattarget, -1), NOT a.attislocal AND NOT c.relispartition,
  s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_collation co ON a.attcollation <> t.typcollation AND co.oid = a.attcollation
LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
LEFT JOIN (pg_depend sd JOIN pg_sequence s ON s.seqrelid = sd.objid)
  ON a.attidentity <> '' AND sd.refclassid = 'pg_class'::regclass
  AND sd.refobjid = a.attrelid AND sd.refobjsubid = a.attnum
  AND sd.classid = 'pg_class'::regclass AND sd.deptype = 'i'
LEFT JOIN pg_description d
  ON d.objoid = a.attrelid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum
WHERE n.nspname = ANY(:schemas)
  AND c.relkind IN ('r', 'p', 'v', 'm', 'c')
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
