-- Conversions in the schemas, as pg_dump's dumpConversion writes them: the encodings by
-- name, the function as regproc writes it (qualified outside pg_catalog).
SELECT 'pg_conversion', c.oid, n.nspname, c.conname::text, '', NULL::text,
  ARRAY[format('CREATE %sCONVERSION %I.%I FOR %L TO %L FROM %s',
    CASE WHEN c.condefault THEN 'DEFAULT ' ELSE '' END, n.nspname, c.conname,
    pg_encoding_to_char(c.conforencoding), pg_encoding_to_char(c.contoencoding),
    c.conproc::regproc::text)],
  ARRAY[format('DROP CONVERSION %I.%I', n.nspname, c.conname)],
  format('CONVERSION %I.%I', n.nspname, c.conname),
  d.description
FROM pg_conversion c
JOIN pg_namespace n ON n.oid = c.connamespace
LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_conversion'::regclass
WHERE n.nspname = ANY(:schemas) AND c.oid >= 16384
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_conversion'::regclass AND e.objid = c.oid AND e.deptype = 'e')
