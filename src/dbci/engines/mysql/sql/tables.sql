-- The tables of the schemas (MariaDB's system-versioned ones too), with their comments.
SELECT table_schema, table_name, table_comment
FROM information_schema.tables
WHERE table_schema IN ({schemas}) AND table_type IN ('BASE TABLE', 'SYSTEM VERSIONED')
