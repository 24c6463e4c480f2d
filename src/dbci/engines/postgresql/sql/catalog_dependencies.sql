-- What the catalog objects found (:classes, :oids, pairs by position) use, and what uses
-- them, from pg_depend (normal and automatic dependencies). Each side as (catalog, oid);
-- an array type stands for its element type, and a dependent that is part of a relation
-- or type (a column default, a constraint, a view's rule) for the relation or type: the
-- snapshot maps both sides to its objects' keys. A multirange type stands for its range
-- type too, and an operator class's or family's members (pg_amop, pg_amproc rows) for it.
WITH found(classid, objid) AS (
  SELECT c::regclass, o FROM unnest(CAST(:classes AS text[]), CAST(:oids AS oid[])) u(c, o)
),
uses AS (
  -- a table's or view's row type stands for the relation (a stand-alone composite type
  -- is a type of its own)
  SELECT f.classid, f.objid,
    CASE WHEN rt.oid IS NULL THEN d.refclassid ELSE 'pg_class'::regclass END AS refclassid,
    COALESCE(rt.typrelid, mr.refobjid, e.oid, d.refobjid) AS refobjid
  FROM found f
  JOIN pg_depend d ON d.classid = f.classid AND d.objid = f.objid
  LEFT JOIN pg_type e ON d.refclassid = 'pg_type'::regclass AND e.typarray = d.refobjid
  LEFT JOIN pg_depend mr ON d.refclassid = 'pg_type'::regclass
    AND mr.classid = 'pg_type'::regclass AND mr.objid = COALESCE(e.oid, d.refobjid)
    AND mr.refclassid = 'pg_type'::regclass AND mr.deptype = 'i'
  LEFT JOIN pg_type rt ON d.refclassid = 'pg_type'::regclass
    AND rt.oid = COALESCE(e.oid, d.refobjid) AND rt.typtype = 'c' AND EXISTS (
      SELECT 1 FROM pg_class rc WHERE rc.oid = rt.typrelid AND rc.relkind <> 'c')
  WHERE d.deptype IN ('n', 'a')
  UNION ALL
  -- what the operators and support functions of a class or family use
  SELECT f.classid, f.objid, d.refclassid, d.refobjid
  FROM found f
  JOIN pg_depend m ON m.refclassid = f.classid AND m.refobjid = f.objid
    AND m.classid IN ('pg_amop'::regclass, 'pg_amproc'::regclass) AND m.deptype IN ('i', 'a')
    AND f.classid IN ('pg_opclass'::regclass, 'pg_opfamily'::regclass)
  JOIN pg_depend d ON d.classid = m.classid AND d.objid = m.objid
    AND d.deptype IN ('n', 'a')
  UNION ALL
  -- a publication's tables are dependencies of its pg_publication_rel rows
  SELECT f.classid, f.objid, 'pg_class'::regclass, pr.prrelid
  FROM found f
  JOIN pg_publication_rel pr ON f.classid = 'pg_publication'::regclass AND pr.prpubid = f.objid
),
used AS (
  SELECT x.classid, x.objid, f.classid AS refclassid, f.objid AS refobjid
  FROM found f
  -- a type is used through the types that are part of it too (internal dependencies): its
  -- array type, a range type's multirange type and that one's array type
  CROSS JOIN LATERAL (
    SELECT f.objid
    UNION ALL
    SELECT i.objid FROM pg_depend i
    WHERE f.classid = 'pg_type'::regclass AND i.classid = 'pg_type'::regclass
      AND i.refclassid = 'pg_type'::regclass AND i.refobjid = f.objid AND i.deptype = 'i'
    UNION ALL
    SELECT i2.objid FROM pg_depend i
    JOIN pg_depend i2 ON i2.classid = 'pg_type'::regclass AND i2.refobjid = i.objid
      AND i2.refclassid = 'pg_type'::regclass AND i2.deptype = 'i'
    WHERE f.classid = 'pg_type'::regclass AND i.classid = 'pg_type'::regclass
      AND i.refclassid = 'pg_type'::regclass AND i.refobjid = f.objid AND i.deptype = 'i'
  ) named(oid)
  JOIN pg_depend d ON d.refclassid = f.classid AND d.refobjid = named.oid
  CROSS JOIN LATERAL (
    SELECT 'pg_class'::regclass, ad.adrelid FROM pg_attrdef ad
    WHERE d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid
    UNION ALL
    SELECT CASE WHEN co.conrelid <> 0 THEN 'pg_class'::regclass ELSE 'pg_type'::regclass END,
      CASE WHEN co.conrelid <> 0 THEN co.conrelid ELSE co.contypid END
    FROM pg_constraint co WHERE d.classid = 'pg_constraint'::regclass AND co.oid = d.objid
    UNION ALL
    SELECT 'pg_class'::regclass, rw.ev_class FROM pg_rewrite rw
    WHERE d.classid = 'pg_rewrite'::regclass AND rw.oid = d.objid AND rw.rulename = '_RETURN'
    UNION ALL
    SELECT 'pg_type'::regclass, COALESCE(e.oid, d.objid) FROM (SELECT 1) one
    LEFT JOIN pg_type e ON e.typarray = d.objid
    WHERE d.classid = 'pg_type'::regclass
    UNION ALL
    SELECT d.classid, d.objid
    WHERE d.classid NOT IN ('pg_attrdef'::regclass, 'pg_constraint'::regclass,
      'pg_type'::regclass)
      AND NOT (d.classid = 'pg_rewrite'::regclass AND EXISTS (
        SELECT 1 FROM pg_rewrite rw WHERE rw.oid = d.objid AND rw.rulename = '_RETURN'))
  ) x(classid, objid)
  WHERE d.deptype IN ('n', 'a')
)
SELECT classid::regclass::text, objid, refclassid::regclass::text, refobjid FROM uses
UNION
SELECT classid::regclass::text, objid, refclassid::regclass::text, refobjid FROM used
