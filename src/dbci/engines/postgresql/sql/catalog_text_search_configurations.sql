-- Text search configurations in the schemas (pg_ts_config), written as pg_dump's
-- dumpTSConfig writes them: CREATE … (PARSER = …), then one ALTER … ADD MAPPING per token
-- type (pg_ts_config_map), its dictionaries in order, as regdictionary names them. (A
-- configuration made with COPY = reads back this way too.)
SELECT 'pg_ts_config', c.oid, n.nspname, c.cfgname::text, '', NULL::text,
  ARRAY[format(E'CREATE TEXT SEARCH CONFIGURATION %I.%I (\n    PARSER = %I.%I )', n.nspname,
      c.cfgname, pn.nspname, p.prsname)]
    || ARRAY(
      SELECT format(E'ALTER TEXT SEARCH CONFIGURATION %I.%I\n    ADD MAPPING FOR %I WITH %s',
        n.nspname, c.cfgname, tt.alias,
        string_agg(m.mapdict::regdictionary::text, ', ' ORDER BY m.mapseqno))
      FROM pg_ts_config_map m
      JOIN ts_token_type(c.cfgparser) tt ON tt.tokid = m.maptokentype
      WHERE m.mapcfg = c.oid
      GROUP BY m.maptokentype, tt.alias
      ORDER BY m.maptokentype),
  ARRAY[format('DROP TEXT SEARCH CONFIGURATION %I.%I', n.nspname, c.cfgname)],
  format('TEXT SEARCH CONFIGURATION %I.%I', n.nspname, c.cfgname),
  d.description
FROM pg_ts_config c
JOIN pg_namespace n ON n.oid = c.cfgnamespace
JOIN pg_ts_parser p ON p.oid = c.cfgparser
JOIN pg_namespace pn ON pn.oid = p.prsnamespace
LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_ts_config'::regclass
WHERE n.nspname = ANY(:schemas) AND c.oid >= 16384
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_ts_config'::regclass AND e.objid = c.oid AND e.deptype = 'e')
