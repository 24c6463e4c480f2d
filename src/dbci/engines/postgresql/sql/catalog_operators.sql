-- Operators in the schemas (pg_operator), written as pg_dump's dumpOpr writes them; shell
-- operators (no function yet: named as another's commutator or negator but never defined)
-- are left out, as pg_dump leaves them out. A commutator or negator is named
-- OPERATOR(s.op): creating the second of a pair links the first back to it, and dropping
-- one unlinks the other, so each side reads the same whichever was created first.
SELECT 'pg_operator', o.oid, n.nspname, o.oprname::text,
  o.oprname || '(' || CASE WHEN o.oprleft = 0 THEN 'NONE' ELSE format_type(o.oprleft, NULL) END
    || ',' || CASE WHEN o.oprright = 0 THEN 'NONE' ELSE format_type(o.oprright, NULL) END || ')',
  NULL::text,
  ARRAY[format(E'CREATE OPERATOR %I.%s (\n    ', n.nspname, o.oprname)
    || array_to_string(ARRAY[
      'FUNCTION = ' || o.oprcode::regproc::text,
      CASE WHEN o.oprleft <> 0 THEN 'LEFTARG = ' || format_type(o.oprleft, NULL) END,
      CASE WHEN o.oprright <> 0 THEN 'RIGHTARG = ' || format_type(o.oprright, NULL) END,
      (SELECT format('COMMUTATOR = OPERATOR(%I.%s)', cn.nspname, c.oprname)
       FROM pg_operator c JOIN pg_namespace cn ON cn.oid = c.oprnamespace
       WHERE c.oid = o.oprcom),
      (SELECT format('NEGATOR = OPERATOR(%I.%s)', cn.nspname, c.oprname)
       FROM pg_operator c JOIN pg_namespace cn ON cn.oid = c.oprnamespace
       WHERE c.oid = o.oprnegate),
      CASE WHEN o.oprcanmerge THEN 'MERGES' END,
      CASE WHEN o.oprcanhash THEN 'HASHES' END,
      CASE WHEN o.oprrest <> 0 THEN 'RESTRICT = ' || o.oprrest::regproc::text END,
      CASE WHEN o.oprjoin <> 0 THEN 'JOIN = ' || o.oprjoin::regproc::text END
    ], E',\n    ') || E'\n)'],
  ARRAY[format('DROP OPERATOR %I.%s (%s, %s)', n.nspname, o.oprname,
    CASE WHEN o.oprleft = 0 THEN 'NONE' ELSE format_type(o.oprleft, NULL) END,
    CASE WHEN o.oprright = 0 THEN 'NONE' ELSE format_type(o.oprright, NULL) END)],
  format('OPERATOR %I.%s (%s, %s)', n.nspname, o.oprname,
    CASE WHEN o.oprleft = 0 THEN 'NONE' ELSE format_type(o.oprleft, NULL) END,
    CASE WHEN o.oprright = 0 THEN 'NONE' ELSE format_type(o.oprright, NULL) END),
  d.description
FROM pg_operator o
JOIN pg_namespace n ON n.oid = o.oprnamespace
LEFT JOIN pg_description d ON d.objoid = o.oid AND d.classoid = 'pg_operator'::regclass
WHERE n.nspname = ANY(:schemas) AND o.oid >= 16384 AND o.oprcode <> 0
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = 'pg_operator'::regclass AND e.objid = o.oid AND e.deptype = 'e')
