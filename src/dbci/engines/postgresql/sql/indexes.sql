-- Indexes no constraint owns, and not a partition's part of its parent's index. Those that
-- match {written_here} come as parts for `index_definition` to write; PostgreSQL writes
-- the others.
SELECT i.indrelid, n.nspname, ic.relname, ic.relkind,
  CASE WHEN {written_here} THEN NULL ELSE pg_get_indexdef(i.indexrelid) END,
  i.indisunique, am.amname, d.description, pg_get_expr(i.indpred, i.indrelid, true),
  i.indexrelid, quote_ident(ic.relname),
  quote_ident(tn.nspname) || '.' || quote_ident(t.relname), i.indnkeyatts,
  i.indkey::text, i.indclass::text, i.indcollation::text
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace tn ON tn.oid = t.relnamespace
JOIN pg_am am ON am.oid = ic.relam
LEFT JOIN pg_description d
  ON d.objoid = i.indexrelid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
WHERE n.nspname = ANY(:schemas)
  AND NOT ic.relispartition
  AND NOT EXISTS (
    SELECT 1 FROM pg_constraint co
    WHERE co.conindid = i.indexrelid AND co.conrelid = i.indrelid
      AND co.contype IN ('p', 'u', 'x'))
