-- Procedural languages made by users (not the built-in ones, not an extension's: plpgsql
-- comes with its extension), as pg_dump's dumpProcLang writes them; a language has no
-- schema of its own. Functions are named as regproc writes them (qualified outside
-- pg_catalog).
SELECT 'pg_language', l.oid, '', l.lanname::text, '', NULL::text,
  ARRAY[format('CREATE %sPROCEDURAL LANGUAGE %I',
      CASE WHEN l.lanpltrusted THEN 'TRUSTED ' ELSE '' END, l.lanname)
    || CASE WHEN l.lanplcallfoid <> 0
      THEN ' HANDLER ' || l.lanplcallfoid::regproc::text ELSE '' END
    || CASE WHEN l.laninline <> 0 THEN ' INLINE ' || l.laninline::regproc::text ELSE '' END
    || CASE WHEN l.lanvalidator <> 0
      THEN ' VALIDATOR ' || l.lanvalidator::regproc::text ELSE '' END],
  ARRAY[format('DROP PROCEDURAL LANGUAGE %I', l.lanname)],
  format('LANGUAGE %I', l.lanname),
  d.description
FROM pg_language l
LEFT JOIN pg_description d ON d.objoid = l.oid AND d.classoid = 'pg_language'::regclass
WHERE l.oid >= 16384
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_language'::regclass AND e.objid = l.oid AND e.deptype = 'e')
