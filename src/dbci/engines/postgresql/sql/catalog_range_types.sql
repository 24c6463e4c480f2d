-- Range types in the schemas (pg_range with their pg_type row, typtype 'r'), written as
-- pg_dump's dumpRangeType writes them: the multirange type's name (PostgreSQL 14 and
-- later: {{multirange_type_name}}), the subtype's operator class where it is not a default
-- one, the collation where it is not the subtype's, the canonical and subtype_diff
-- functions where set. The multirange type comes and goes with its range type.
SELECT 'pg_type', t.oid, n.nspname, t.typname::text, '', NULL::text,
  ARRAY[format(E'CREATE TYPE %I.%I AS RANGE (\n    subtype = %s', n.nspname, t.typname,
      format_type(r.rngsubtype, NULL))
    || {{multirange_type_name}}
    || CASE WHEN NOT opc.opcdefault
      THEN format(E',\n    subtype_opclass = %I.%I', opcn.nspname, opc.opcname) ELSE '' END
    || CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation THEN (
      SELECT format(E',\n    collation = %I.%I', cn.nspname, co.collname)
      FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
      WHERE co.oid = r.rngcollation) ELSE '' END
    || CASE WHEN r.rngcanonical <> 0
      THEN E',\n    canonical = ' || r.rngcanonical::regproc::text ELSE '' END
    || CASE WHEN r.rngsubdiff <> 0
      THEN E',\n    subtype_diff = ' || r.rngsubdiff::regproc::text ELSE '' END
    || E'\n)'],
  ARRAY[format('DROP TYPE %I.%I', n.nspname, t.typname)],
  format('TYPE %I.%I', n.nspname, t.typname),
  d.description
FROM pg_range r
JOIN pg_type t ON t.oid = r.rngtypid
JOIN pg_type st ON st.oid = r.rngsubtype
JOIN pg_namespace n ON n.oid = t.typnamespace
JOIN pg_opclass opc ON opc.oid = r.rngsubopc
JOIN pg_namespace opcn ON opcn.oid = opc.opcnamespace
LEFT JOIN pg_description d ON d.objoid = t.oid AND d.classoid = 'pg_type'::regclass
WHERE n.nspname = ANY(:schemas) AND t.oid >= 16384
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid AND e.deptype = 'e')
