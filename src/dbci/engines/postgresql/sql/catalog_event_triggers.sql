-- Event triggers (database-wide), but those an extension owns.
SELECT 'pg_event_trigger', e.oid, '', e.evtname::text, '', NULL::text,
  ARRAY[format('CREATE EVENT TRIGGER %I ON %I', e.evtname, e.evtevent)
    || CASE WHEN e.evttags IS NOT NULL THEN ' WHEN TAG IN (' || (
      SELECT string_agg(quote_literal(t), ', ' ORDER BY o) FROM unnest(e.evttags)
        WITH ORDINALITY x(t, o)) || ')' ELSE '' END
    || format(' EXECUTE FUNCTION %I.%I()', pn.nspname, p.proname)]
    || CASE e.evtenabled
      WHEN 'D' THEN ARRAY[format('ALTER EVENT TRIGGER %I DISABLE', e.evtname)]
      WHEN 'R' THEN ARRAY[format('ALTER EVENT TRIGGER %I ENABLE REPLICA', e.evtname)]
      WHEN 'A' THEN ARRAY[format('ALTER EVENT TRIGGER %I ENABLE ALWAYS', e.evtname)]
      ELSE ARRAY[]::text[] END,
  ARRAY[format('DROP EVENT TRIGGER %I', e.evtname)],
  format('EVENT TRIGGER %I', e.evtname),
  d.description
FROM pg_event_trigger e
JOIN pg_proc p ON p.oid = e.evtfoid
JOIN pg_namespace pn ON pn.oid = p.pronamespace
LEFT JOIN pg_description d ON d.objoid = e.oid AND d.classoid = 'pg_event_trigger'::regclass
WHERE NOT EXISTS (
    SELECT 1 FROM pg_depend x
    WHERE x.classid = 'pg_event_trigger'::regclass AND x.objid = e.oid AND x.deptype = 'e')
