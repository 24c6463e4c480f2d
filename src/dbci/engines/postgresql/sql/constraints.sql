-- Primary, unique, check, foreign key and exclusion constraints, with the parts dbci writes
-- the common ones from (see `dbci.engines.postgresql.definitions`): {written_here} says
-- which rows come without PostgreSQL's text; {delete_columns} and {nulls_not_distinct}
-- are NULL before PostgreSQL 15. Last, the comment on a key's or exclusion's index. A partition's copies of its parent's constraints
-- (conparentid, or inherited checks that are not its own) come with the parent's and are
-- left out.
SELECT co.conrelid, co.conname, co.contype,
  CASE WHEN {written_here} THEN NULL ELSE pg_get_constraintdef(co.oid) END,
  rn.nspname, r.relname, d.description,
  array_to_string(co.conkey, ' '), co.confrelid,
  quote_ident(rn.nspname) || '.' || quote_ident(r.relname),
  array_to_string(co.confkey, ' '), co.confmatchtype, co.confupdtype, co.confdeltype,
  {delete_columns}, co.condeferrable, co.condeferred, co.convalidated,
  ix.indkey::text, ix.indnkeyatts, {nulls_not_distinct}, ixd.description
FROM pg_constraint co
JOIN pg_class c ON c.oid = co.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class r ON co.contype = 'f' AND r.oid = co.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
LEFT JOIN pg_index ix ON co.contype IN ('p', 'u') AND ix.indexrelid = co.conindid
LEFT JOIN pg_description d
  ON d.objoid = co.oid AND d.classoid = 'pg_constraint'::regclass AND d.objsubid = 0
LEFT JOIN pg_description ixd
  ON co.contype IN ('p', 'u', 'x') AND ixd.objoid = co.conindid
  AND ixd.classoid = 'pg_class'::regclass AND ixd.objsubid = 0
WHERE n.nspname = ANY(:schemas)
  AND co.contype IN ('p', 'u', 'c', 'f', 'x')
  AND co.conparentid = 0 AND co.conislocal
ORDER BY co.conrelid, co.conname
