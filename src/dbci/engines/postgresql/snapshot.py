"""Reading a PostgreSQL schema into the model (`dbci.schema.model`).

`snapshot_postgresql` reads the objects of the given schemas with a fixed number of catalog
queries (eleven, twelve with grants, and at most two more for the index definitions dbci
writes itself) however many objects exist: a schema of thousands of tables costs the same
dozen round trips as one of three. Each query returns one row per object (or per column,
constraint, index, …); child rows are grouped by their parent's oid in one pass, and every
object is built once.

Most of the server's work on a fresh connection is building the relation cache entries of
the tables that a deparsing function opens to name their columns. So column defaults are
deparsed without their table, and primary, unique and foreign keys and plain indexes are
written by `dbci.engines.postgresql.definitions` from the column names already read; PostgreSQL
deparses the rest.

Everything is read inside one read-only REPEATABLE READ transaction with an empty
`search_path`, so that the queries see one state of the catalog and every name PostgreSQL
renders in a definition, a default or a type is schema-qualified, whatever the caller's
search path. The transaction is rolled back at the end; call this outside a transaction.

Left out: objects an extension owns (its functions and types; the extension itself is
listed), everything outside the schemas, the tables in `exclude_tables` with everything
that belongs to them, sequences behind identity columns, and what PostgreSQL makes on its
own for partitions (their copies of the parent's constraints, indexes and triggers).
Needs PostgreSQL 12 or later.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from dbci.engines.base import Database
from dbci.engines.postgresql.definitions import (
    column_index,
    constraint_definition,
    index_definition,
)
from dbci.errors import InputError
from dbci.schema import model
from dbci.schema.model import (
    Attribute,
    Column,
    CompositeType,
    Constraint,
    DbObject,
    Domain,
    DomainConstraint,
    Enum,
    Extension,
    Function,
    Grant,
    Index,
    Key,
    MaterializedView,
    Procedure,
    Schema,
    Snapshot,
    Table,
    Trigger,
    View,
    assemble,
    qualify,
)

# An object that no extension owns (objects an extension owns go with it).
_NOT_EXTENSION_MEMBER = (
    "NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '{catalog}'::regclass "
    "AND e.objid = {oid} AND e.deptype = 'e')"
)


def _not_member(catalog: str, oid: str) -> str:
    return _NOT_EXTENSION_MEMBER.format(catalog=catalog, oid=oid)


# A collation as COLLATE writes it, from a pg_collation row `co` and its schema `cn`.
_COLLATION = "quote_ident(cn.nspname) || '.' || quote_ident(co.collname)"

_SCHEMAS = """
SELECT n.oid, n.nspname, d.description
FROM pg_namespace n
LEFT JOIN pg_description d
  ON d.objoid = n.oid AND d.classoid = 'pg_namespace'::regclass AND d.objsubid = 0
WHERE n.nspname = ANY(:schemas)
"""

_EXTENSIONS = """
SELECT x.extname, n.nspname, x.extversion, d.description
FROM pg_extension x
JOIN pg_namespace n ON n.oid = x.extnamespace
LEFT JOIN pg_description d
  ON d.objoid = x.oid AND d.classoid = 'pg_extension'::regclass AND d.objsubid = 0
WHERE n.nspname = ANY(:schemas)
"""

# Enums, domains and stand-alone composite types (their attributes come with the columns).
_TYPES = f"""
SELECT t.oid, n.nspname, t.typname, t.typtype, t.typrelid, d.description,
  CASE WHEN t.typtype = 'e' THEN ARRAY(
    SELECT l.enumlabel::text FROM pg_enum l WHERE l.enumtypid = t.oid ORDER BY l.enumsortorder)
  END,
  CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
  CASE WHEN t.typtype = 'd' THEN pg_get_expr(t.typdefaultbin, 0) END,
  t.typnotnull,
  CASE WHEN t.typtype = 'd' AND t.typcollation <> bt.typcollation THEN (
    SELECT {_COLLATION} FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
    WHERE co.oid = t.typcollation)
  END,
  CASE WHEN t.typtype = 'd' THEN ARRAY(
    SELECT c.conname::text FROM pg_constraint c
    WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname)
  END,
  CASE WHEN t.typtype = 'd' THEN ARRAY(
    SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
    WHERE c.contypid = t.oid AND c.contype = 'c' ORDER BY c.conname)
  END,
  t.typarray
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
LEFT JOIN pg_class r ON r.oid = t.typrelid
LEFT JOIN pg_description d
  ON d.objoid = t.oid AND d.classoid = 'pg_type'::regclass AND d.objsubid = 0
WHERE n.nspname = ANY(:schemas)
  AND (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND r.relkind = 'c'))
  AND {_not_member("pg_type", "t.oid")}
"""

# Tables, partitions, views, materialized views and sequences (with what pg_sequence says
# and the column that owns a serial's sequence). Identity sequences are left out.
_RELATIONS = f"""
SELECT c.oid, n.nspname, c.relname, c.relkind, c.relpersistence = 'u', d.description,
  CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
  CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
  pn.nspname, p.relname,
  CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END,
  c.reloptions,
  format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
  s.seqcycle, ownn.nspname, own.relname, oa.attname
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_description d
  ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
LEFT JOIN pg_inherits i ON c.relispartition AND i.inhrelid = c.oid
LEFT JOIN pg_class p ON p.oid = i.inhparent
LEFT JOIN pg_namespace pn ON pn.oid = p.relnamespace
LEFT JOIN pg_sequence s ON c.relkind = 'S' AND s.seqrelid = c.oid
LEFT JOIN pg_depend sd
  ON c.relkind = 'S' AND sd.classid = 'pg_class'::regclass AND sd.objid = c.oid
  AND sd.refclassid = 'pg_class'::regclass AND sd.deptype IN ('a', 'i')
LEFT JOIN pg_class own ON own.oid = sd.refobjid
LEFT JOIN pg_namespace ownn ON ownn.oid = own.relnamespace
LEFT JOIN pg_attribute oa ON oa.attrelid = sd.refobjid AND oa.attnum = sd.refobjsubid
WHERE n.nspname = ANY(:schemas)
  AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
  AND sd.deptype IS DISTINCT FROM 'i'
  AND {_not_member("pg_class", "c.oid")}
"""

# Columns of tables and views and attributes of composite types, in position order; with
# grants, a table column's privileges (JSON: [grantee, privilege, grantable] lists).
# A default is written without its table (relation 0): a default cannot name a column,
# and naming the table makes PostgreSQL open it, building its relation cache entry, which
# for thousands of tables costs more than the rest of this query. Generated columns do
# name columns, so theirs are written with their table.
_COLUMNS = f"""
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
  pg_get_expr(ad.adbin, CASE WHEN a.attgenerated <> '' THEN ad.adrelid ELSE 0 END),
  a.attidentity, a.attgenerated,
  CASE WHEN co.oid IS NOT NULL THEN {_COLLATION} END,
  d.description, {{column_grants}},
  a.attnum::text, quote_ident(a.attname), a.atttypid::text, a.attcollation::text, c.relkind
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_collation co ON a.attcollation <> t.typcollation AND co.oid = a.attcollation
LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
LEFT JOIN pg_description d
  ON d.objoid = a.attrelid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum
WHERE n.nspname = ANY(:schemas)
  AND c.relkind IN ('r', 'p', 'v', 'm', 'c')
  AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""

# Read here rather than in the grants query: the columns are read here anyway, and only
# the few with privileges of their own cost anything more.
_COLUMN_GRANTS = """CASE WHEN a.attacl IS NOT NULL AND c.relkind IN ('r', 'p') THEN (
    SELECT json_agg(json_build_array(
        CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee)::text END,
        x.privilege_type, x.is_grantable)
      ORDER BY CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee)::text
        END COLLATE "C", x.privilege_type COLLATE "C", x.is_grantable)
    FROM aclexplode(a.attacl) x)
  END"""

# Constraints and indexes: `pg_get_constraintdef` and `pg_get_indexdef` open the table
# (building its relation cache entry) to name its columns, which on a fresh connection
# and thousands of tables is most of a snapshot's time. So the common shapes come as
# parts that `dbci.engines.postgresql.definitions` writes exactly as PostgreSQL does: primary,
# unique and foreign keys (those referencing a table whose columns the columns query
# read) and plain indexes. PostgreSQL writes the others. Servers newer than this code
# knows get PostgreSQL's text throughout (18 adds temporal keys and NOT ENFORCED).
_WRITTEN_HERE_UP_TO = 17

# A partition's copies of its parent's constraints (conparentid, or inherited checks that
# are not its own) come with the parent's and are left out.
_CONSTRAINTS = """
SELECT co.conrelid, co.conname, co.contype,
  CASE WHEN {written_here} THEN NULL ELSE pg_get_constraintdef(co.oid) END,
  rn.nspname, r.relname, d.description,
  array_to_string(co.conkey, ' '), co.confrelid,
  quote_ident(rn.nspname) || '.' || quote_ident(r.relname),
  array_to_string(co.confkey, ' '), co.confmatchtype, co.confupdtype, co.confdeltype,
  {delete_columns}, co.condeferrable, co.condeferred, co.convalidated,
  ix.indkey::text, ix.indnkeyatts, {nulls_not_distinct}
FROM pg_constraint co
JOIN pg_class c ON c.oid = co.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class r ON co.contype = 'f' AND r.oid = co.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace
LEFT JOIN pg_index ix ON co.contype IN ('p', 'u') AND ix.indexrelid = co.conindid
LEFT JOIN pg_description d
  ON d.objoid = co.oid AND d.classoid = 'pg_constraint'::regclass AND d.objsubid = 0
WHERE n.nspname = ANY(:schemas)
  AND co.contype IN ('p', 'u', 'c', 'f', 'x')
  AND co.conparentid = 0 AND co.conislocal
ORDER BY co.conrelid, co.conname
"""
# A referenced table outside the schemas has no column names read; pg_get_constraintdef
# leaves out the schema of a table the (empty) search path finds: pg_catalog's.
_CONSTRAINT_WRITTEN_HERE = (
    "co.contype IN ('p', 'u') OR co.contype = 'f' AND r.relkind IN ('r', 'p') "
    "AND rn.nspname = ANY(:schemas) AND rn.nspname !~ '^pg_'"
)


def _constraints_sql(major: int, written_here: bool) -> str:
    since_15 = major >= 15
    return _CONSTRAINTS.format(
        written_here=_CONSTRAINT_WRITTEN_HERE if written_here else "false",
        delete_columns="array_to_string(co.confdelsetcols, ' ')" if since_15 else "NULL",
        nulls_not_distinct="ix.indnullsnotdistinct" if since_15 else "NULL",
    )


# Indexes no constraint owns, and not a partition's part of its parent's index. One on
# key columns only with their default order, no predicate and no storage or operator
# class options comes as parts, for `index_definition` to write (which also checks its
# operator classes and collations); PostgreSQL writes the others.
_INDEXES = """
SELECT i.indrelid, n.nspname, ic.relname, ic.relkind,
  CASE WHEN {written_here} THEN NULL ELSE pg_get_indexdef(i.indexrelid) END,
  i.indisunique, am.amname, d.description, pg_get_expr(i.indpred, i.indrelid, true),
  i.indexrelid, quote_ident(ic.relname),
  quote_ident(tn.nspname) || '.' || quote_ident(t.relname), i.indnkeyatts,
  i.indkey::text, i.indclass::text, i.indcollation::text
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = ic.relnamespace
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace tn ON tn.oid = t.relnamespace
JOIN pg_am am ON am.oid = ic.relam
LEFT JOIN pg_description d
  ON d.objoid = i.indexrelid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
WHERE n.nspname = ANY(:schemas)
  AND NOT ic.relispartition
  AND NOT EXISTS (
    SELECT 1 FROM pg_constraint co
    WHERE co.conindid = i.indexrelid AND co.conrelid = i.indrelid
      AND co.contype IN ('p', 'u', 'x'))
"""
# Operator class options (`gist (v tsvector_ops (siglen = 32))`) live on the index's
# attributes; btree and hash operator classes take none.
_INDEX_WRITTEN_HERE = """ic.relkind = 'i' AND i.indexprs IS NULL AND i.indpred IS NULL
    AND ic.reloptions IS NULL AND i.indoption::int2[] <@ ARRAY[0]::int2[] {nulls}
    AND (am.amname IN ('btree', 'hash') OR NOT EXISTS (
      SELECT 1 FROM pg_attribute ia
      WHERE ia.attrelid = i.indexrelid AND ia.attoptions IS NOT NULL))"""


def _indexes_sql(major: int, written_here: bool) -> str:
    nulls = "AND NOT i.indnullsnotdistinct" if major >= 15 else ""
    written = _INDEX_WRITTEN_HERE.format(nulls=nulls) if written_here else "false"
    return _INDEXES.format(written_here=written)


# Each default operator class and the type it is the default for.
_DEFAULT_OPCLASSES = "SELECT o.oid::text, o.opcintype::text FROM pg_opclass o WHERE o.opcdefault"

# The statements of the indexes `index_definition` turned back.
_INDEXDEFS = "SELECT x.oid, pg_get_indexdef(x.oid) FROM unnest(CAST(:oids AS oid[])) x(oid)"


# Functions, window functions and procedures; not aggregates, and not the constructors
# PostgreSQL makes for a range type (they depend on it internally).
_ROUTINES = f"""
SELECT p.oid, n.nspname, p.proname, p.prokind, pg_get_function_identity_arguments(p.oid),
  pg_get_function_result(p.oid), l.lanname, p.provolatile, p.prosecdef, p.prosrc,
  pg_get_functiondef(p.oid), d.description
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
LEFT JOIN pg_description d
  ON d.objoid = p.oid AND d.classoid = 'pg_proc'::regclass AND d.objsubid = 0
WHERE n.nspname = ANY(:schemas)
  AND p.prokind IN ('f', 'w', 'p')
  AND {_not_member("pg_proc", "p.oid")}
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend x
    WHERE x.classid = 'pg_proc'::regclass AND x.objid = p.oid AND x.deptype = 'i')
"""

# What views and materialized views read (through their rewrite rule); the types in
# routines' signatures and what a routine's SQL-standard body (BEGIN ATOMIC) uses; the
# routines and types that tables' column defaults, generated columns and constraints
# (with the index of an exclusion constraint) use; and those an index's expressions and
# predicate use. As (source, oid of the view, routine, table or index, kind, schema, key
# name); the sources are 'v', 'f', 't' and 'i'. An array type stands for its element
# type, a table's row type for the table. What uses a routine or type is looked up by
# the oids the routines and types queries found (:routines, :types, with the types'
# array types), through pg_depend's index on the referenced object: reading all of
# pg_depend would cost more than the rest of this query.
_DEPENDENCIES = """
WITH raw AS (
  SELECT 'v'::text AS src, rw.ev_class AS owner, d.refclassid, d.refobjid
  FROM pg_rewrite rw
  JOIN pg_class c ON c.oid = rw.ev_class
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rw.oid
  WHERE n.nspname = ANY(:schemas) AND c.relkind IN ('v', 'm')
    AND d.refclassid IN ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass)
    AND NOT (d.refclassid = 'pg_class'::regclass AND d.refobjid = rw.ev_class)
  UNION
  SELECT 'f', p.oid, d.refclassid, d.refobjid
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
  WHERE n.nspname = ANY(:schemas) AND d.deptype = 'n'
    AND d.refclassid IN ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass)
    AND NOT (d.refclassid = 'pg_proc'::regclass AND d.refobjid = p.oid)
  UNION
  SELECT x.src, x.owner, d.refclassid, d.refobjid
  FROM pg_depend d
  CROSS JOIN LATERAL (
    SELECT 't'::text, ad.adrelid FROM pg_attrdef ad
    WHERE d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid
    UNION ALL
    SELECT 't', co.conrelid FROM pg_constraint co
    WHERE d.classid = 'pg_constraint'::regclass AND co.oid = d.objid AND co.conrelid <> 0
    UNION ALL
    SELECT CASE WHEN ix.indisexclusion THEN 't' ELSE 'i' END,
      CASE WHEN ix.indisexclusion THEN ix.indrelid ELSE ix.indexrelid END
    FROM pg_index ix
    WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0 AND ix.indexrelid = d.objid
  ) x(src, owner)
  WHERE d.deptype = 'n' AND d.objsubid = 0
    AND d.classid IN ('pg_attrdef'::regclass, 'pg_constraint'::regclass, 'pg_class'::regclass)
    AND (d.refclassid = 'pg_proc'::regclass AND d.refobjid = ANY(CAST(:routines AS oid[]))
      OR d.refclassid = 'pg_type'::regclass AND d.refobjid = ANY(CAST(:types AS oid[])))
),
refs AS (
  SELECT DISTINCT r.src, r.owner, r.refclassid, COALESCE(e.oid, r.refobjid) AS refobjid
  FROM raw r
  LEFT JOIN pg_type e ON r.refclassid = 'pg_type'::regclass AND e.typarray = r.refobjid
)
SELECT r.src, r.owner,
  CASE
    WHEN rc.oid IS NOT NULL THEN CASE rc.relkind WHEN 'v' THEN 'view'
      WHEN 'm' THEN 'materialized view' WHEN 'c' THEN 'composite type' ELSE 'table' END
    WHEN rp.oid IS NOT NULL THEN CASE rp.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END
    WHEN ty.typtype = 'e' THEN 'enum'
    WHEN ty.typtype = 'd' THEN 'domain'
    WHEN ty.typtype = 'c' THEN CASE tr.relkind WHEN 'v' THEN 'view'
      WHEN 'm' THEN 'materialized view' WHEN 'c' THEN 'composite type' ELSE 'table' END
  END,
  n.nspname,
  CASE
    WHEN rc.oid IS NOT NULL THEN rc.relname::text
    WHEN rp.oid IS NOT NULL
      THEN rp.proname || '(' || pg_get_function_identity_arguments(rp.oid) || ')'
    ELSE ty.typname::text
  END
FROM refs r
LEFT JOIN pg_class rc ON r.refclassid = 'pg_class'::regclass AND rc.oid = r.refobjid
LEFT JOIN pg_proc rp ON r.refclassid = 'pg_proc'::regclass AND rp.oid = r.refobjid
LEFT JOIN pg_type ty ON r.refclassid = 'pg_type'::regclass AND ty.oid = r.refobjid
LEFT JOIN pg_class tr ON ty.typtype = 'c' AND tr.oid = ty.typrelid
JOIN pg_namespace n ON n.oid = COALESCE(rc.relnamespace, rp.pronamespace, ty.typnamespace)
WHERE n.nspname = ANY(:schemas)
"""

# Triggers a user made: not internal (constraint triggers of foreign keys), and not a
# partition's copy of its parent's trigger.
_TRIGGERS = """
SELECT tg.tgrelid, tg.tgname, pg_get_triggerdef(tg.oid), tg.tgenabled, fn.nspname, f.proname,
  pg_get_function_identity_arguments(f.oid), d.description
FROM pg_trigger tg
JOIN pg_class c ON c.oid = tg.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc f ON f.oid = tg.tgfoid
JOIN pg_namespace fn ON fn.oid = f.pronamespace
LEFT JOIN pg_description d
  ON d.objoid = tg.oid AND d.classoid = 'pg_trigger'::regclass AND d.objsubid = 0
WHERE n.nspname = ANY(:schemas) AND NOT tg.tgisinternal AND {not_cloned}
"""
_TRIGGER_NOT_CLONED = "tg.tgparentid = 0"
_TRIGGER_NOT_CLONED_12 = (  # tgparentid arrived in PostgreSQL 13
    "NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_trigger'::regclass "
    "AND x.objid = tg.oid AND x.deptype = 'P')"
)

# Privileges granted on schemas, relations, routines and types, without those every owner
# has anyway (acldefault: the owner's own, and PUBLIC's EXECUTE on routines and USAGE on
# types); then those defaults that an object's privileges lack (revoked: a NULL ACL is the
# default, so only objects whose ACL is set can lack one). As (catalog letter, oid,
# grantee, privilege, grantable, revoked). Column privileges come with the columns.
_GRANTS = """
WITH objects(cat, oid, acl, owner, deftype) AS (
  SELECT 'n', n.oid, n.nspacl, n.nspowner, 'n'
  FROM pg_namespace n
  WHERE n.nspname = ANY(:schemas) AND n.nspacl IS NOT NULL
  UNION ALL
  SELECT 'c', c.oid, c.relacl, c.relowner, CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = ANY(:schemas) AND c.relacl IS NOT NULL
    AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
  UNION ALL
  SELECT 'p', p.oid, p.proacl, p.proowner, 'f'
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = ANY(:schemas) AND p.proacl IS NOT NULL
  UNION ALL
  SELECT 't', t.oid, t.typacl, t.typowner, 'T'
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
  WHERE n.nspname = ANY(:schemas) AND t.typacl IS NOT NULL AND t.typtype IN ('e', 'd', 'c')
)
SELECT o.cat, o.oid,
  (CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee)::text END)
    COLLATE "C" AS grantee,
  a.privilege_type COLLATE "C" AS privilege, a.is_grantable, false AS revoked
FROM objects o, aclexplode(o.acl) a
WHERE NOT EXISTS (
  SELECT 1 FROM aclexplode(acldefault(o.deftype::"char", o.owner)) x
  WHERE x.grantee = a.grantee AND x.privilege_type = a.privilege_type
    AND x.is_grantable = a.is_grantable)
UNION ALL
SELECT o.cat, o.oid,
  (CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee)::text END)
    COLLATE "C",
  x.privilege_type COLLATE "C", false, true
FROM objects o, aclexplode(acldefault(o.deftype::"char", o.owner)) x
WHERE NOT EXISTS (
  SELECT 1 FROM aclexplode(o.acl) a
  WHERE a.grantee = x.grantee AND a.privilege_type = x.privilege_type)
ORDER BY 1, 2, 3, 4, 5, 6
"""

_VOLATILITY = {"i": "immutable", "s": "stable", "v": "volatile"}
_IDENTITY = {"a": "ALWAYS", "d": "BY DEFAULT"}
_CONSTRAINT_TYPES = {
    "p": "primary key",
    "u": "unique",
    "c": "check",
    "f": "foreign key",
    "x": "exclude",
}
# (lowest, highest) value of each sequence type: NO MINVALUE / NO MAXVALUE mean these.
_SEQUENCE_RANGE = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}


def snapshot_postgresql(
    db: Database,
    schemas: Sequence[str],
    *,
    include_grants: bool = False,
    exclude_tables: Collection[tuple[str, str]] = (),
    parallel: bool = True,
    server_definitions: bool = False,
) -> Snapshot:
    """The objects of `schemas` as a snapshot, read with a fixed number of catalog queries.

    With `parallel`, a second connection runs some of the queries at the same time; a
    caller that already reads two databases at once passes False. With
    `server_definitions`, PostgreSQL writes every key and index definition (slower on a
    fresh connection; the tests compare the two ways).

    `exclude_tables` holds `(schema, table)` pairs (the migration history table) left out
    with their indexes, constraints, triggers and owned sequences. Grants are read only
    with `include_grants`. Must be called outside a transaction: it opens its own and
    rolls it back.
    """
    major = _server_major(db)
    if 0 < major < 12:
        raise InputError(f"schema snapshots need PostgreSQL 12 or later, not {major}")
    params = {"schemas": list(schemas)}
    written_here = 12 <= major <= _WRITTEN_HERE_UP_TO and not server_definitions
    keys_sql = (_indexes_sql(major, written_here), _constraints_sql(major, written_here))
    db.begin()
    try:
        _start_reading(db)
        # A second connection, reading the same transaction snapshot, runs half of the
        # queries at the same time (the server works on both at once).
        helper = _second_reader(db) if parallel else None
        try:
            rows, parts = _read(db, helper, params, major, include_grants, keys_sql)
        finally:
            if helper is not None:
                helper.rollback()
                helper.close()
    finally:
        db.rollback()
    return _build(rows, parts, set(exclude_tables))


def _write_definitions(db: Database, rows: _Rows, default_opclasses: dict[str, str]) -> None:
    """Fill in the key and index definitions the queries left for dbci to write (see
    `dbci.engines.postgresql.definitions`), asking PostgreSQL for any index it turns back. Index
    rows get their key and INCLUDE columns as a last item (None: read them from the
    definition). `default_opclasses` maps each default operator class to its type."""
    columns = column_index((row[0], *row[10:14]) for row in rows.columns)
    rows.constraints = [
        row[:7]
        if row[3] is not None
        else (*row[:3], constraint_definition(columns, row[2], row[0], *row[7:]), *row[4:7])
        for row in rows.constraints
    ]
    written: dict[int, tuple[str, tuple[str, ...], tuple[str, ...]] | None] = {}
    for row in rows.indexes:
        if row[4] is None:
            written[row[9]] = index_definition(
                columns, default_opclasses, row[0], *row[5:7], *row[10:]
            )
    turned_back = [oid for oid, parts in written.items() if parts is None]
    from_server = (
        dict(db.query(_INDEXDEFS, {"oids": _oid_array(turned_back)})) if turned_back else {}
    )
    indexes = []
    for row in rows.indexes:
        parts = written.get(row[9])
        if parts is not None:
            indexes.append((*row[:4], parts[0], *row[5:10], parts[1:]))
        else:
            definition = row[4] if row[4] is not None else from_server[row[9]]
            indexes.append((*row[:4], definition, *row[5:10], None))
    rows.indexes = indexes


def _start_reading(db: Database, snapshot_id: str | None = None) -> None:
    """Open the read-only transaction all the catalog queries share."""
    db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    if snapshot_id is not None:
        db.execute(f"SET TRANSACTION SNAPSHOT {db.literal(snapshot_id)}")
    # JIT compiling these short catalog queries costs more than it saves.
    db.query("SELECT set_config('search_path', '', true), set_config('jit', 'off', true)", {})


def _second_reader(db: Database) -> Database | None:
    """Another connection in a transaction that sees exactly what `db`'s sees, or None when
    one cannot be opened (then `db` runs every query itself)."""
    try:
        snapshot_id = db.query("SELECT pg_export_snapshot()")[0][0]
        helper = type(db).connect(db.url, where=db.where, connect_timeout=5)
    except Exception:
        return None
    try:
        helper.begin()
        _start_reading(helper, snapshot_id)
    except Exception:
        helper.close()
        return None
    return helper


def _read(
    db: Database,
    helper: Database | None,
    params: dict[str, Any],
    major: int,
    include_grants: bool,
    keys_sql: tuple[str, str],
) -> tuple[_Rows, _Parts]:
    """Every catalog query, and the parts of the objects that need only some of them.

    The relations, dependencies, triggers and grants queries run in a second thread: on
    `helper` from the start, else on `db` once its own queries are answered. Either way
    the server works on them while this thread writes the key and index definitions and
    makes the columns and constraints, the client's largest share of a snapshot.
    """
    types = db.query(_TYPES, params)
    routines = db.query(_ROUTINES, params)
    used = {  # what tables and indexes may use, for the dependencies query
        **params,
        "routines": _oid_array(row[0] for row in routines),
        "types": _oid_array(oid for row in types for oid in (row[0], row[-1]) if oid),
    }
    not_cloned = _TRIGGER_NOT_CLONED_12 if 0 < major < 13 else _TRIGGER_NOT_CLONED

    def read_late(reader: Database) -> tuple[list[Any], ...]:
        return (
            reader.query(_RELATIONS, params),
            reader.query(_DEPENDENCIES, used),
            reader.query(_TRIGGERS.format(not_cloned=not_cloned), params),
            reader.query(_GRANTS, params) if include_grants else [],
        )

    with ThreadPoolExecutor(max_workers=1) as pool:
        late = pool.submit(read_late, helper) if helper is not None else None
        rows = _Rows(
            schemas=db.query(_SCHEMAS, params),
            extensions=db.query(_EXTENSIONS, params),
            types=types,
            relations=[],
            columns=db.query(
                _COLUMNS.format(column_grants=_COLUMN_GRANTS if include_grants else "NULL"),
                params,
            ),
            indexes=db.query(keys_sql[0], params),
            constraints=db.query(keys_sql[1], params),
            routines=routines,
            dependencies=[],
            triggers=[],
            grants=[],
        )
        any_written = any(row[4] is None for row in rows.indexes)
        opclasses = db.query(_DEFAULT_OPCLASSES, {}) if any_written else []
        if late is None:
            late = pool.submit(read_late, db)
        _write_definitions(db, rows, dict(opclasses))
        parts = _parts(rows)
        rows.relations, rows.dependencies, rows.triggers, rows.grants = late.result()
    return rows, parts


@dataclasses.dataclass
class _Parts:
    """What `_parts` makes of the column and constraint rows."""

    columns: dict[int, list[Any]]  # the rows of each relation's columns, in order
    table_columns: dict[int, tuple[Column, ...]]
    constraints: dict[int, tuple[Constraint, ...]]


@dataclasses.dataclass
class _Rows:
    """The answers of the catalog queries."""

    schemas: list[Any]
    extensions: list[Any]
    types: list[Any]
    relations: list[Any]
    columns: list[Any]
    constraints: list[Any]
    indexes: list[Any]
    routines: list[Any]
    dependencies: list[Any]
    triggers: list[Any]
    grants: list[Any]


def _column_grants(acl: list[list[Any]]) -> tuple[Grant, ...]:
    return tuple(Grant(grantee=g, privilege=p, grantable=o) for g, p, o in acl)


def _oid_array(oids: Iterable[int]) -> str:
    """Oids as an array literal, for `CAST(:name AS oid[])`."""
    return "{" + ",".join(map(str, oids)) + "}"


def _server_major(db: Database) -> int:
    try:
        return int(db.server_version().split(".")[0])
    except (ValueError, NotImplementedError):
        return 0


def _parts(rows: _Rows) -> _Parts:
    """The column rows by relation, and each table's columns and constraints."""
    columns: dict[int, list[Any]] = defaultdict(list)
    for row in rows.columns:
        columns[row[0]].append(row)
    table_columns = {
        relid: tuple(
            assemble(
                Column,
                {
                    "name": attname,
                    "data_type": data_type,
                    "nullable": not attnotnull,
                    "default": None if attgenerated else default,
                    "identity": _IDENTITY.get(attidentity),
                    "generated": default if attgenerated else None,
                    "collation": collation,
                    "comment": column_comment,
                    "grants": _column_grants(acl) if acl else (),
                },
            )
            for (
                _,
                attname,
                data_type,
                attnotnull,
                default,
                attidentity,
                attgenerated,
                collation,
                column_comment,
                acl,
                *_,
            ) in relation_columns
        )
        for relid, relation_columns in columns.items()
        if relation_columns[0][14] in ("r", "p")  # the relation kind: a table's columns
    }
    constraints: dict[int, list[Constraint]] = defaultdict(list)
    for relid, name, contype, definition, ref_schema, ref_table, comment in rows.constraints:
        constraints[relid].append(
            assemble(
                Constraint,
                {
                    "name": name,
                    "constraint_type": _CONSTRAINT_TYPES[contype],
                    "definition": definition,
                    "references": (ref_schema, ref_table) if ref_table is not None else None,
                    "comment": comment,
                },
            )
        )
    return _Parts(
        columns=columns,
        table_columns=table_columns,
        constraints={relid: tuple(found) for relid, found in constraints.items()},
    )


def _build(rows: _Rows, parts: _Parts, excluded: set[tuple[str, str]]) -> Snapshot:
    snapshot = Snapshot(dialect="postgresql")
    objects: list[DbObject] = []
    add = objects.append

    grants: dict[tuple[str, int], list[Grant]] = defaultdict(list)
    for cat, oid, grantee, privilege, grantable, revoked in rows.grants:
        grants[(cat, oid)].append(
            Grant(grantee=grantee, privilege=privilege, grantable=grantable, revoked=revoked)
        )

    def granted(cat: str, oid: int) -> tuple[Grant, ...]:
        found = grants.get((cat, oid))
        return tuple(found) if found else ()

    for oid, name, comment in rows.schemas:
        add(Schema(schema=name, name=name, comment=comment, grants=granted("n", oid)))

    for name, schema, version, comment in rows.extensions:
        add(Extension(schema=schema, name=name, version=version, comment=comment))

    columns = parts.columns
    for (
        oid,
        schema,
        name,
        typtype,
        typrelid,
        comment,
        labels,
        base,
        default,
        not_null,
        collation,
        check_names,
        check_defs,
        _array_type,
    ) in rows.types:
        type_grants = granted("t", oid)
        if typtype == "e":
            add(
                Enum(
                    schema=schema,
                    name=name,
                    comment=comment,
                    grants=type_grants,
                    labels=tuple(labels),
                )
            )
        elif typtype == "d":
            add(
                Domain(
                    schema=schema,
                    name=name,
                    comment=comment,
                    grants=type_grants,
                    data_type=base,
                    default=default,
                    not_null=not_null,
                    collation=collation,
                    constraints=tuple(
                        DomainConstraint(name=n, definition=d)
                        for n, d in zip(check_names, check_defs, strict=True)
                    ),
                )
            )
        else:
            attributes = tuple(
                Attribute(name=r[1], data_type=r[2], collation=r[7])
                for r in columns.get(typrelid, ())
            )
            add(
                CompositeType(
                    schema=schema,
                    name=name,
                    comment=comment,
                    grants=type_grants,
                    attributes=attributes,
                )
            )

    # Relations: which oids are in the snapshot (tables, views) and under which name.
    relation_names: dict[int, tuple[str, str]] = {}
    view_keys: dict[int, Key] = {}
    table_keys: dict[int, Key] = {}
    for (
        oid,
        schema,
        name,
        relkind,
        unlogged,
        comment,
        bound,
        partition_key,
        parent_schema,
        parent,
        view_definition,
        options,
        seq_type,
        seq_start,
        seq_increment,
        seq_min,
        seq_max,
        seq_cache,
        seq_cycle,
        owner_schema,
        owner_table,
        owner_column,
    ) in rows.relations:
        if relkind == "S":
            if owner_table is not None and (owner_schema, owner_table) in excluded:
                continue  # goes with its excluded table
            lowest, highest = _SEQUENCE_RANGE.get(seq_type, (None, None))
            ascending = seq_increment > 0
            add(
                model.Sequence(
                    schema=schema,
                    name=name,
                    comment=comment,
                    grants=granted("c", oid),
                    data_type=seq_type,
                    start=seq_start,
                    increment=seq_increment,
                    minimum=None if seq_min == (1 if ascending else lowest) else seq_min,
                    maximum=None if seq_max == (highest if ascending else -1) else seq_max,
                    cache=seq_cache,
                    cycle=seq_cycle,
                    owned_by=(owner_table, owner_column) if owner_table is not None else None,
                )
            )
            continue
        if (schema, name) in excluded:
            continue
        relation_names[oid] = (schema, name)
        if relkind in ("r", "p"):
            table_keys[oid] = ("table", schema, name)
            add(
                Table(
                    schema=schema,
                    name=name,
                    comment=comment,
                    grants=granted("c", oid),
                    columns=parts.table_columns.get(oid, ()),
                    constraints=parts.constraints.get(oid, ()),
                    partition_by=partition_key,
                    partition_of=qualify(parent_schema, parent) if parent is not None else None,
                    partition_bound=bound,
                    unlogged=unlogged,
                )
            )
        else:
            check_option = None
            view_options: list[str] = []
            for option in options or ():
                if option.startswith("check_option="):
                    check_option = option.partition("=")[2].upper()
                else:
                    view_options.append(option)
            view_class = View if relkind == "v" else MaterializedView
            view = view_class(
                schema=schema,
                name=name,
                comment=comment,
                grants=granted("c", oid),
                definition=view_definition,
                options=tuple(view_options),
                check_option=check_option,
                dependencies=(),  # filled in below
                column_comments=tuple(
                    (r[1], r[8]) for r in columns.get(oid, ()) if r[8] is not None
                ),
            )
            view_keys[oid] = view.key
            add(view)

    index_keys: dict[int, Key] = {}
    for (
        relid,
        schema,
        name,
        relkind,
        definition,
        unique,
        method,
        comment,
        predicate,
        index_oid,
        lists,
    ) in rows.indexes:
        table = relation_names.get(relid)
        if table is None:
            continue  # on an excluded table, or an extension's
        if relkind == "I":
            # A partitioned table's index reads `ON ONLY`, which would leave the partitions
            # without theirs; created plainly it makes them.
            at = definition.find(" ON ONLY ", len("CREATE INDEX ") + len(name))
            if at >= 0:
                definition = definition[:at] + " ON " + definition[at + len(" ON ONLY ") :]
        keys, include = lists if lists is not None else index_lists(definition)
        index: Index = assemble(
            Index,
            {
                "schema": schema,
                "name": name,
                "comment": comment,
                "grants": (),
                "table": table[1],
                "definition": definition,
                "unique": unique,
                "method": method,
                "columns": keys,
                "include": include,
                "predicate": predicate,
                "dependencies": (),
            },
        )
        index_keys[index_oid] = index.key
        add(index)

    routine_keys: dict[int, Key] = {}
    for (
        oid,
        schema,
        name,
        prokind,
        arguments,
        result,
        language,
        volatility,
        security_definer,
        body,
        definition,
        comment,
    ) in rows.routines:
        routine_class = Procedure if prokind == "p" else Function
        routine = routine_class(
            schema=schema,
            name=name,
            comment=comment,
            grants=granted("p", oid),
            arguments=arguments,
            result=result,
            language=language,
            volatility=_VOLATILITY[volatility],
            security_definer=security_definer,
            body=body,
            definition=definition,
        )
        routine_keys[oid] = routine.key
        add(routine)

    for (
        relid,
        name,
        definition,
        enabled,
        fn_schema,
        fn_name,
        fn_arguments,
        comment,
    ) in rows.triggers:
        table = relation_names.get(relid)
        if table is None:
            continue
        add(
            Trigger(
                schema=table[0],
                name=name,
                comment=comment,
                table=table[1],
                definition=definition,
                function=("function", fn_schema, f"{fn_name}({fn_arguments})"),
                enabled=enabled,
            )
        )

    objects_add = snapshot.objects.__setitem__
    for obj in objects:
        objects_add(obj.key, obj)

    # Dependencies: only on objects of the snapshot, each once, sorted.
    dependencies: dict[Key, set[Key]] = defaultdict(set)
    present = snapshot.objects
    sources = {"v": view_keys, "f": routine_keys, "t": table_keys, "i": index_keys}
    for src, owner, kind, schema, name in rows.dependencies:
        source = sources[src].get(owner)
        target = (kind, schema, name)
        if source is not None and target != source and target in present:
            dependencies[source].add(target)
    replace = _replace_dependencies
    for source, targets in dependencies.items():
        present[source] = replace(present[source], tuple(sorted(targets)))
    return snapshot


def index_lists(definition: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The key items and the INCLUDE columns of a `pg_get_indexdef` statement.

    Read from the definition rather than with one `pg_get_indexdef(oid, k)` call per key:
    those calls cost a third of the index query on a large schema. Key items are written
    as in the definition (an expression in parentheses, `DESC`, an operator class).
    """
    using = definition.find(" USING ")
    start = definition.find("(", using)
    keys, end = _paren_list(definition, start)
    include: tuple[str, ...] = ()
    rest = definition[end:]
    if rest.startswith(" INCLUDE ("):
        include, _ = _paren_list(definition, end + len(" INCLUDE "))
    return keys, include


def _paren_list(text: str, start: int) -> tuple[tuple[str, ...], int]:
    """Split the parenthesised list at `text[start]` on its top-level commas; return the
    items and the position after the closing parenthesis. Quotes are respected."""
    items: list[str] = []
    depth, quote, begin, i = 0, "", start + 1, start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""  # a doubled quote closes and reopens: the same result
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                items.append(text[begin:i].strip())
                return tuple(item for item in items if item), i + 1
        elif ch == "," and depth == 1:
            items.append(text[begin:i].strip())
            begin = i + 1
        i += 1
    return tuple(items), len(text)


def _replace_dependencies(obj: DbObject, dependencies: tuple[Key, ...]) -> DbObject:
    return dataclasses.replace(obj, dependencies=dependencies)  # type: ignore[call-arg]
