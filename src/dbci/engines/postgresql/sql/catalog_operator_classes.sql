-- Operator classes in the schemas (pg_opclass), written as pg_dump's dumpOpclass writes
-- them: DEFAULT, the FAMILY (the class made it, or found it, by its own name if it was not
-- given; pg_dump writes it anyway, after the family's statements), STORAGE where the index
-- stores another type, then the class's operators (pg_amop) and support functions
-- (pg_amproc), those pg_depend ties to the class (a family's loose members are the
-- family's). Without any, STORAGE names the indexed type, as AS needs something after it.
SELECT 'pg_opclass', c.oid, n.nspname, c.opcname::text,
  format('%s USING %s', c.opcname, am.amname),
  NULL::text,
  ARRAY[format(E'CREATE OPERATOR CLASS %I.%I\n    %sFOR TYPE %s USING %I', n.nspname, c.opcname,
      CASE WHEN c.opcdefault THEN 'DEFAULT ' ELSE '' END, format_type(c.opcintype, NULL),
      am.amname)
    || format(' FAMILY %I.%I', fn.nspname, f.opfname)
    || E' AS\n    '
    || COALESCE((
      SELECT string_agg(m.member, E' ,\n    ' ORDER BY m.o1, m.o2, m.o3)
      FROM (
        SELECT 0, 0, '', 'STORAGE ' || format_type(c.opckeytype, NULL)
        WHERE c.opckeytype <> 0
        UNION ALL
        SELECT 1, ao.amopstrategy, format_type(ao.amoplefttype, NULL)
          || ',' || format_type(ao.amoprighttype, NULL),
          format('OPERATOR %s %s', ao.amopstrategy, ao.amopopr::regoperator)
          || COALESCE((
            SELECT format(' FOR ORDER BY %I.%I', sn.nspname, sf.opfname)
            FROM pg_opfamily sf JOIN pg_namespace sn ON sn.oid = sf.opfnamespace
            WHERE sf.oid = ao.amopsortfamily), '')
        FROM pg_amop ao
        JOIN pg_depend dm ON dm.classid = 'pg_amop'::regclass AND dm.objid = ao.oid
          AND dm.refclassid = 'pg_opclass'::regclass AND dm.refobjid = c.oid
        WHERE ao.amopfamily = c.opcfamily
        UNION ALL
        SELECT 2, ap.amprocnum, format_type(ap.amproclefttype, NULL)
          || ',' || format_type(ap.amprocrighttype, NULL),
          format('FUNCTION %s (%s, %s) %s', ap.amprocnum, format_type(ap.amproclefttype, NULL),
            format_type(ap.amprocrighttype, NULL), ap.amproc::regprocedure)
        FROM pg_amproc ap
        JOIN pg_depend dm ON dm.classid = 'pg_amproc'::regclass AND dm.objid = ap.oid
          AND dm.refclassid = 'pg_opclass'::regclass AND dm.refobjid = c.oid
        WHERE ap.amprocfamily = c.opcfamily
      ) m(o1, o2, o3, member)), 'STORAGE ' || format_type(c.opcintype, NULL))],
  ARRAY[format('DROP OPERATOR CLASS %I.%I USING %I', n.nspname, c.opcname, am.amname)],
  format('OPERATOR CLASS %I.%I USING %I', n.nspname, c.opcname, am.amname),
  d.description
FROM pg_opclass c
JOIN pg_am am ON am.oid = c.opcmethod
JOIN pg_namespace n ON n.oid = c.opcnamespace
JOIN pg_opfamily f ON f.oid = c.opcfamily
JOIN pg_namespace fn ON fn.oid = f.opfnamespace
LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_opclass'::regclass
WHERE n.nspname = ANY(:schemas) AND c.oid >= 16384
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_opclass'::regclass AND e.objid = c.oid AND e.deptype = 'e')
