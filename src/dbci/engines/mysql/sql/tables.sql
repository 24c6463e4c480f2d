-- The tables of the schemas (MariaDB's system-versioned ones and sequences too), with their
-- comments and options: engine, default collation and its character set, and the options
-- CREATE TABLE was given (create_options: `row_format=COMPRESSED stats_persistent=0`,
-- `partitioned`), which SHOW CREATE TABLE writes. The AUTO_INCREMENT counter is left out.
SELECT t.table_schema, t.table_name, t.table_comment, t.table_type, t.engine,
  t.table_collation, c.character_set_name, t.create_options
FROM information_schema.tables t
LEFT JOIN information_schema.collations c ON c.collation_name = t.table_collation
WHERE t.table_schema IN ({schemas})
  AND t.table_type IN ('BASE TABLE', 'SYSTEM VERSIONED', 'SEQUENCE')
