-- Operator families in the schemas (pg_opfamily), written as pg_dump's dumpOpfamily writes
-- them: CREATE OPERATOR FAMILY, then one ALTER OPERATOR FAMILY … ADD with its loose
-- members, the operators (pg_amop) and support functions (pg_amproc) tied to the family
-- itself rather than to one of its classes (whose members the class writes). A family
-- CREATE OPERATOR CLASS made for itself is read too, as pg_dump dumps it: the class then
-- finds it by its name.
SELECT 'pg_opfamily', f.oid, n.nspname, f.opfname::text,
  format('%s USING %s', f.opfname, am.amname),
  NULL::text,
  ARRAY[format('CREATE OPERATOR FAMILY %I.%I USING %I', n.nspname, f.opfname, am.amname)]
    || COALESCE((
      SELECT ARRAY[format(E'ALTER OPERATOR FAMILY %I.%I USING %I ADD\n    ', n.nspname,
        f.opfname, am.amname) || string_agg(m.member, E' ,\n    ' ORDER BY m.o1, m.o2, m.o3)]
      FROM (
        SELECT 1, ao.amopstrategy, format_type(ao.amoplefttype, NULL)
          || ',' || format_type(ao.amoprighttype, NULL),
          format('OPERATOR %s %s', ao.amopstrategy, ao.amopopr::regoperator)
          || COALESCE((
            SELECT format(' FOR ORDER BY %I.%I', sn.nspname, sf.opfname)
            FROM pg_opfamily sf JOIN pg_namespace sn ON sn.oid = sf.opfnamespace
            WHERE sf.oid = ao.amopsortfamily), '')
        FROM pg_amop ao
        JOIN pg_depend dm ON dm.classid = 'pg_amop'::regclass AND dm.objid = ao.oid
          AND dm.refclassid = 'pg_opfamily'::regclass AND dm.refobjid = f.oid
        WHERE ao.amopfamily = f.oid
        UNION ALL
        SELECT 2, ap.amprocnum, format_type(ap.amproclefttype, NULL)
          || ',' || format_type(ap.amprocrighttype, NULL),
          format('FUNCTION %s (%s, %s) %s', ap.amprocnum, format_type(ap.amproclefttype, NULL),
            format_type(ap.amprocrighttype, NULL), ap.amproc::regprocedure)
        FROM pg_amproc ap
        JOIN pg_depend dm ON dm.classid = 'pg_amproc'::regclass AND dm.objid = ap.oid
          AND dm.refclassid = 'pg_opfamily'::regclass AND dm.refobjid = f.oid
        WHERE ap.amprocfamily = f.oid
      ) m(o1, o2, o3, member)
      HAVING count(*) > 0), ARRAY[]::text[]),
  ARRAY[format('DROP OPERATOR FAMILY %I.%I USING %I', n.nspname, f.opfname, am.amname)],
  format('OPERATOR FAMILY %I.%I USING %I', n.nspname, f.opfname, am.amname),
  d.description
FROM pg_opfamily f
JOIN pg_am am ON am.oid = f.opfmethod
JOIN pg_namespace n ON n.oid = f.opfnamespace
LEFT JOIN pg_description d ON d.objoid = f.oid AND d.classoid = 'pg_opfamily'::regclass
WHERE n.nspname = ANY(:schemas) AND f.oid >= 16384
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_opfamily'::regclass AND e.objid = f.oid AND e.deptype = 'e')
