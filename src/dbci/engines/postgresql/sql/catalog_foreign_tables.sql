-- Foreign tables of the schemas (pg_class relkind 'f', which the relations and columns
-- queries leave out), as pg_dump writes them: their own columns (type, fdw OPTIONS,
-- COLLATE where it is not the type's, DEFAULT or GENERATED, NOT NULL) and CHECK
-- constraints, INHERITS or PARTITION OF with the bound (a partition's columns are its
-- parent's: their options are set after), SERVER, the table's OPTIONS; then the comments
-- of its columns. {{options}} as in catalog_fdw.sql: an option whose name looks secret is
-- only named, in a comment.
SELECT 'pg_class', c.oid, n.nspname, c.relname::text, '', NULL::text,
  ARRAY[format('CREATE FOREIGN TABLE %I.%I ', n.nspname, c.relname)
    || CASE WHEN c.relispartition
      THEN format('PARTITION OF %I.%I', pn.nspname, p.relname)
        || COALESCE(' (' || NULLIF(checks.list, '') || ')', '')
        || ' ' || pg_get_expr(c.relpartbound, c.oid)
      ELSE '(' || concat_ws(', ', NULLIF(cols.list, ''), NULLIF(checks.list, '')) || ')'
        || COALESCE(' INHERITS (' || (
          SELECT string_agg(format('%I.%I', hn.nspname, h.relname), ', ' ORDER BY ih.inhseqno)
          FROM pg_inherits ih
          JOIN pg_class h ON h.oid = ih.inhparent
          JOIN pg_namespace hn ON hn.oid = h.relnamespace
          WHERE ih.inhrelid = c.oid) || ')', '')
      END
    || format(' SERVER %I', s.srvname)
    || COALESCE(' OPTIONS (' || o.shown || ')', '')
    || COALESCE(' /* secret options, not read: ' || o.secret || ' */', '')]
    || CASE WHEN c.relispartition THEN COALESCE(cols.partition_options, '{}') ELSE '{}' END
    || COALESCE(cols.comments, '{}'),
  ARRAY[format('DROP FOREIGN TABLE %I.%I', n.nspname, c.relname)],
  format('FOREIGN TABLE %I.%I', n.nspname, c.relname),
  d.description
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_foreign_table ft ON ft.ftrelid = c.oid
JOIN pg_foreign_server s ON s.oid = ft.ftserver
LEFT JOIN pg_inherits pi ON c.relispartition AND pi.inhrelid = c.oid
LEFT JOIN pg_class p ON p.oid = pi.inhparent
LEFT JOIN pg_namespace pn ON pn.oid = p.relnamespace
CROSS JOIN LATERAL (SELECT ft.ftoptions) x(options)
CROSS JOIN LATERAL ({{options}}) o
CROSS JOIN LATERAL (
  SELECT string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod))
      || COALESCE(' OPTIONS (' || o.shown || ')', '')
      || COALESCE(' /* secret options, not read: ' || o.secret || ' */', '')
      || CASE WHEN a.attcollation <> t.typcollation
        THEN format(' COLLATE %I.%I', cn.nspname, co.collname) ELSE '' END
      || CASE WHEN a.attgenerated = 's'
        THEN ' GENERATED ALWAYS AS (' || pg_get_expr(ad.adbin, ad.adrelid) || ') STORED'
        ELSE COALESCE(' DEFAULT ' || pg_get_expr(ad.adbin, ad.adrelid), '') END
      || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,
      ', ' ORDER BY a.attnum) FILTER (WHERE a.attislocal) AS list,
    array_agg(format('ALTER FOREIGN TABLE %I.%I ALTER COLUMN %I OPTIONS (%s)', n.nspname,
        c.relname, a.attname, o.shown) ORDER BY a.attnum)
      FILTER (WHERE o.shown IS NOT NULL) AS partition_options,
    array_agg(format('COMMENT ON COLUMN %I.%I.%I IS %L', n.nspname, c.relname, a.attname,
        cd.description) ORDER BY a.attnum)
      FILTER (WHERE cd.description IS NOT NULL) AS comments
  FROM pg_attribute a
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
  LEFT JOIN pg_collation co ON co.oid = a.attcollation
  LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
  LEFT JOIN pg_description cd ON cd.objoid = a.attrelid
    AND cd.classoid = 'pg_class'::regclass AND cd.objsubid = a.attnum
  CROSS JOIN LATERAL (SELECT a.attfdwoptions) x(options)
  CROSS JOIN LATERAL ({{options}}) o
  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
) cols
CROSS JOIN LATERAL (
  SELECT string_agg(format('CONSTRAINT %I %s', k.conname, pg_get_constraintdef(k.oid)), ', '
      ORDER BY k.conname) AS list
  FROM pg_constraint k
  WHERE k.conrelid = c.oid AND k.contype = 'c' AND k.conislocal
) checks
LEFT JOIN pg_description d
  ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
WHERE n.nspname = ANY(:schemas) AND c.relkind = 'f'
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
