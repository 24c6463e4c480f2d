-- Aggregates in the schemas (pg_aggregate with their pg_proc row, prokind 'a'), written as
-- pg_dump's dumpAgg writes them: each option only where it is set or not the default, an
-- ordered-set aggregate's arguments with their ORDER BY part, `*` for no arguments.
-- Functions and types are named as regproc and format_type write them (qualified outside
-- pg_catalog, the snapshot's search path being empty); a sort operator as OPERATOR(s.op).
SELECT 'pg_proc', p.oid, n.nspname, p.proname::text,
  p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
  NULL::text,
  ARRAY[format(E'CREATE AGGREGATE %I.%I(%s) (\n    ', n.nspname, p.proname,
      COALESCE(NULLIF(pg_get_function_arguments(p.oid), ''), '*'))
    || array_to_string(ARRAY[
      'SFUNC = ' || a.aggtransfn::regproc::text,
      'STYPE = ' || format_type(a.aggtranstype, NULL),
      CASE WHEN a.aggtransspace <> 0 THEN 'SSPACE = ' || a.aggtransspace END,
      'INITCOND = ' || quote_literal(a.agginitval),
      CASE WHEN a.aggfinalfn <> 0 THEN 'FINALFUNC = ' || a.aggfinalfn::regproc::text END,
      CASE WHEN a.aggfinalfn <> 0 AND a.aggfinalextra THEN 'FINALFUNC_EXTRA' END,
      CASE WHEN a.aggfinalfn <> 0
        AND a.aggfinalmodify <> CASE a.aggkind WHEN 'n' THEN 'r' ELSE 'w' END
        THEN 'FINALFUNC_MODIFY = ' || CASE a.aggfinalmodify WHEN 'r' THEN 'READ_ONLY'
          WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END END,
      CASE WHEN a.aggcombinefn <> 0 THEN 'COMBINEFUNC = ' || a.aggcombinefn::regproc::text END,
      CASE WHEN a.aggserialfn <> 0 THEN 'SERIALFUNC = ' || a.aggserialfn::regproc::text END,
      CASE WHEN a.aggdeserialfn <> 0
        THEN 'DESERIALFUNC = ' || a.aggdeserialfn::regproc::text END,
      CASE WHEN a.aggmtransfn <> 0 THEN 'MSFUNC = ' || a.aggmtransfn::regproc::text
        || E',\n    MINVFUNC = ' || a.aggminvtransfn::regproc::text
        || E',\n    MSTYPE = ' || format_type(a.aggmtranstype, NULL) END,
      CASE WHEN a.aggmtransspace <> 0 THEN 'MSSPACE = ' || a.aggmtransspace END,
      'MINITCOND = ' || quote_literal(a.aggminitval),
      CASE WHEN a.aggmfinalfn <> 0 THEN 'MFINALFUNC = ' || a.aggmfinalfn::regproc::text END,
      CASE WHEN a.aggmfinalfn <> 0 AND a.aggmfinalextra THEN 'MFINALFUNC_EXTRA' END,
      CASE WHEN a.aggmfinalfn <> 0
        AND a.aggmfinalmodify <> CASE a.aggkind WHEN 'n' THEN 'r' ELSE 'w' END
        THEN 'MFINALFUNC_MODIFY = ' || CASE a.aggmfinalmodify WHEN 'r' THEN 'READ_ONLY'
          WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END END,
      CASE WHEN a.aggsortop <> 0 THEN (
        SELECT format('SORTOP = OPERATOR(%I.%s)', sn.nspname, so.oprname)
        FROM pg_operator so JOIN pg_namespace sn ON sn.oid = so.oprnamespace
        WHERE so.oid = a.aggsortop) END,
      CASE WHEN a.aggkind = 'h' THEN 'HYPOTHETICAL' END,
      CASE p.proparallel WHEN 's' THEN 'PARALLEL = safe' WHEN 'r' THEN 'PARALLEL = restricted'
        END
    ], E',\n    ') || E'\n)'],
  ARRAY[format('DROP AGGREGATE %I.%I(%s)', n.nspname, p.proname,
    COALESCE(NULLIF(pg_get_function_identity_arguments(p.oid), ''), '*'))],
  format('AGGREGATE %I.%I(%s)', n.nspname, p.proname,
    COALESCE(NULLIF(pg_get_function_identity_arguments(p.oid), ''), '*')),
  d.description
FROM pg_aggregate a
JOIN pg_proc p ON p.oid = a.aggfnoid
JOIN pg_namespace n ON n.oid = p.pronamespace
LEFT JOIN pg_description d ON d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass
  AND d.objsubid = 0
WHERE n.nspname = ANY(:schemas) AND p.oid >= 16384
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')
