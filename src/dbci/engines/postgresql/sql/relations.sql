-- Tables, partitions, views, materialized views and sequences (with what pg_sequence says
-- and the column that owns a serial's sequence), not those an extension owns. Identity
-- sequences are left out. Then a table's row level security, replica identity (with the
-- index of USING INDEX), the index it is clustered on, its TOAST table's storage
-- parameters and, for a child that is no partition, its parents (in INHERITS order).
-- Last, a typed table's composite type and a table's or materialized view's access
-- method where it is not the default `heap`.
SELECT c.oid, n.nspname, c.relname, c.relkind, c.relpersistence = 'u', d.description,
  CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
  CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
  pn.nspname, p.relname,
  CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END,
  c.reloptions,
  format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
  s.seqcycle, ownn.nspname, own.relname, oa.attname,
  c.relrowsecurity, c.relforcerowsecurity, c.relreplident, rix.relname, clx.relname,
  tc.reloptions, ih.parent_schemas, ih.parent_names,
  CASE WHEN c.reloftype <> 0 THEN format_type(c.reloftype, NULL) END,
  (SELECT am.amname FROM pg_am am WHERE am.oid = c.relam AND am.amname <> 'heap'
    AND c.relkind IN ('r', 'p', 'm'))
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_description d
  ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
LEFT JOIN pg_inherits i ON c.relispartition AND i.inhrelid = c.oid
LEFT JOIN pg_class p ON p.oid = i.inhparent
LEFT JOIN pg_namespace pn ON pn.oid = p.relnamespace
LEFT JOIN pg_sequence s ON c.relkind = 'S' AND s.seqrelid = c.oid
LEFT JOIN pg_depend sd
  ON c.relkind = 'S' AND sd.classid = 'pg_class'::regclass AND sd.objid = c.oid
  AND sd.refclassid = 'pg_class'::regclass AND sd.deptype IN ('a', 'i')
LEFT JOIN pg_class own ON own.oid = sd.refobjid
LEFT JOIN pg_namespace ownn ON ownn.oid = own.relnamespace
LEFT JOIN pg_attribute oa ON oa.attrelid = sd.refobjid AND oa.attnum = sd.refobjsubid
LEFT JOIN (pg_index ri JOIN pg_class rix ON rix.oid = ri.indexrelid)
  ON c.relkind IN ('r', 'p') AND ri.indrelid = c.oid AND ri.indisreplident
LEFT JOIN (pg_index cl JOIN pg_class clx ON clx.oid = cl.indexrelid)
  ON c.relkind = 'r' AND cl.indrelid = c.oid AND cl.indisclustered
LEFT JOIN pg_class tc ON c.relkind = 'r' AND tc.oid = c.reltoastrelid
LEFT JOIN (
  SELECT ih.inhrelid, array_agg(hn.nspname ORDER BY ih.inhseqno) AS parent_schemas,
    array_agg(h.relname ORDER BY ih.inhseqno) AS parent_names
  FROM pg_inherits ih
  JOIN pg_class h ON h.oid = ih.inhparent
  JOIN pg_namespace hn ON hn.oid = h.relnamespace
  GROUP BY ih.inhrelid
) ih ON c.relkind IN ('r', 'p') AND NOT c.relispartition AND ih.inhrelid = c.oid
WHERE n.nspname = ANY(:schemas)
  AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
  AND sd.deptype IS DISTINCT FROM 'i'
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
