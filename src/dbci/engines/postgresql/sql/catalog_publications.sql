-- Publications (database-wide), as pg_dump writes them: CREATE PUBLICATION with its
-- options (and FOR ALL TABLES), then one ALTER PUBLICATION … ADD per member table (with
-- its column list and row filter: {{column_list}}, {{row_filter}}, PostgreSQL 15) and per
-- member schema ({{publication_schemas}}, PostgreSQL 15), so that a change of members is
-- made member by member (`Publication.change_sql`) and subscribers never see it go.
SELECT 'pg_publication', p.oid, '', p.pubname::text, '', NULL::text,
  ARRAY[format('CREATE PUBLICATION %I', p.pubname)
    || CASE WHEN p.puballtables THEN ' FOR ALL TABLES' ELSE '' END
    || format(' WITH (publish = %L, publish_via_partition_root = %s)',
      concat_ws(', ', CASE WHEN p.pubinsert THEN 'insert' END,
        CASE WHEN p.pubupdate THEN 'update' END, CASE WHEN p.pubdelete THEN 'delete' END,
        CASE WHEN p.pubtruncate THEN 'truncate' END),
      CASE WHEN {{via_root}} THEN 'true' ELSE 'false' END)]
  || ARRAY(
    SELECT format('ALTER PUBLICATION %I ADD TABLE ONLY %I.%I', p.pubname, tn.nspname,
        tc.relname) || {{column_list}} || {{row_filter}}
    FROM pg_publication_rel pr
    JOIN pg_class tc ON tc.oid = pr.prrelid
    JOIN pg_namespace tn ON tn.oid = tc.relnamespace
    WHERE pr.prpubid = p.oid
    ORDER BY tn.nspname COLLATE "C", tc.relname COLLATE "C")
  || {{publication_schemas}},
  ARRAY[format('DROP PUBLICATION %I', p.pubname)],
  format('PUBLICATION %I', p.pubname),
  d.description
FROM pg_publication p
LEFT JOIN pg_description d ON d.objoid = p.oid AND d.classoid = 'pg_publication'::regclass
