"""The objects PostgreSQL's schemas hold, and the statements that drop them all, for
`dbci clean` and `migrate`'s empty-schema check (`dbci.migrate.clean`).

They are read with a fixed number of catalog queries however many objects exist: a
schema with thousands of objects must not cost thousands of round trips. Every drop uses
`IF EXISTS` and `CASCADE`: an object may already be gone with something dropped before it
(a view with its table, an operator with its function), and the list is read once, before
anything is dropped.

Kinds: "extension", "materialized view", "view", "table", "foreign table", "sequence",
"function", "procedure", "aggregate", "domain", "type", "collation", "text search
configuration", "text search dictionary", "text search parser", "text search template",
"operator", "operator class", "operator family", "conversion" and "statistics".
"""

from __future__ import annotations

from collections.abc import Sequence

from dbci.engines.base import Database
from dbci.engines.spec import SchemaObject


def postgresql_clean_statements(
    db: Database, schemas: Sequence[str], drop_schemas: Sequence[str]
) -> list[str]:
    """Empty `schemas`; those in `drop_schemas` are dropped whole (`DROP SCHEMA … CASCADE`),
    after the others are emptied."""
    dropped = [s for s in schemas if s in drop_schemas]
    emptied = [s for s in schemas if s not in drop_schemas]
    statements = [o.drop_sql for o in postgresql_objects(db, emptied)] if emptied else []
    statements += [f"DROP SCHEMA IF EXISTS {db.quote(s)} CASCADE" for s in dropped]
    return statements


# The order objects are dropped in: extensions first (they own functions and types, which
# must not be dropped on their own), then what depends on tables, tables, what tables use.
_PG_ORDER = [
    "extension",
    "materialized view",
    "view",
    "table",
    "foreign table",
    "sequence",
    "statistics",
    "aggregate",
    "function",
    "procedure",
    "domain",
    "type",
    "collation",
    "text search configuration",
    "text search dictionary",
    "text search template",
    "text search parser",
    "operator class",
    "operator family",
    "operator",
    "conversion",
]

# The DROP statement's words for each kind, and whether it takes CASCADE.
_PG_DROP = {
    "extension": "EXTENSION",
    "materialized view": "MATERIALIZED VIEW",
    "view": "VIEW",
    "table": "TABLE",
    "foreign table": "FOREIGN TABLE",
    "sequence": "SEQUENCE",
    "statistics": "STATISTICS",
    "aggregate": "AGGREGATE",
    "function": "FUNCTION",
    "procedure": "PROCEDURE",
    "domain": "DOMAIN",
    "type": "TYPE",
    "collation": "COLLATION",
    "text search configuration": "TEXT SEARCH CONFIGURATION",
    "text search dictionary": "TEXT SEARCH DICTIONARY",
    "text search template": "TEXT SEARCH TEMPLATE",
    "text search parser": "TEXT SEARCH PARSER",
    "operator class": "OPERATOR CLASS",
    "operator family": "OPERATOR FAMILY",
    "operator": "OPERATOR",
    "conversion": "CONVERSION",
}


def _not_in_extension(catalog: str, oid: str) -> str:
    """SQL condition: the object is no extension's member (the extension's drop removes it)."""
    return (
        "NOT EXISTS (SELECT 1 FROM pg_depend e "
        f"WHERE e.classid = '{catalog}'::regclass AND e.objid = {oid} AND e.deptype = 'e')"
    )


_PG_EXTENSIONS = """
SELECT x.extname, n.nspname
FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
WHERE n.nspname = ANY(:schemas)
ORDER BY x.extname
"""

# Indexes, constraints, triggers, rules and policies are not listed: they go with their
# table, and always live in the table's schema. Composite types (relkind 'c') are listed as
# types, with the other types.
_PG_RELATIONS = f"""
SELECT c.relkind, n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(:schemas)
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
  AND {_not_in_extension("pg_class", "c.oid")}
  -- A partition goes with its parent when the parent is dropped too.
  AND NOT (c.relispartition AND EXISTS (
    SELECT 1 FROM pg_inherits i
    JOIN pg_class p ON p.oid = i.inhparent
    JOIN pg_namespace pn ON pn.oid = p.relnamespace
    WHERE i.inhrelid = c.oid AND pn.nspname = ANY(:schemas)))
  -- A sequence owned by a column (serial: 'a', identity: 'i') goes with its table.
  AND NOT (c.relkind = 'S' AND EXISTS (
    SELECT 1 FROM pg_depend d
    JOIN pg_class t ON t.oid = d.refobjid
    JOIN pg_namespace tn ON tn.oid = t.relnamespace
    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
      AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
      AND tn.nspname = ANY(:schemas)))
ORDER BY n.nspname, c.relname
"""

_PG_RELKINDS = {
    "r": "table",
    "p": "table",
    "v": "view",
    "m": "materialized view",
    "f": "foreign table",
    "S": "sequence",
}

# prokind arrived in PostgreSQL 11 (with procedures); before, two booleans said as much.
_PROKIND = "p.prokind"
_PROKIND_BEFORE_11 = "CASE WHEN p.proisagg THEN 'a' WHEN p.proiswindow THEN 'w' ELSE 'f' END"

_PG_ROUTINES = """
SELECT {prokind}, n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = ANY(:schemas)
  AND {not_in_extension}
  -- A range's and multirange's constructors go with their type (internal dependency).
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend d
    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'i')
ORDER BY n.nspname, p.proname, 4
"""

_PG_PROKINDS = {"f": "function", "w": "function", "p": "procedure", "a": "aggregate"}

# Types a user creates: base ('b', with C functions), composite ('c'), domain ('d'), enum
# ('e'), range ('r') and shell ('p', `CREATE TYPE t;`). Not listed: array types and table
# row types (each goes with its element type or table; both depend on it internally,
# deptype 'i') and multiranges ('m'), which PostgreSQL creates with a range and drops with it.
_PG_TYPES = """
SELECT t.typtype, n.nspname, t.typname
FROM pg_type t
JOIN pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_class c ON c.oid = t.typrelid
WHERE n.nspname = ANY(:schemas)
  AND t.typtype IN ('b', 'c', 'd', 'e', 'r', 'p')
  AND (t.typrelid = 0 OR c.relkind = 'c')
  AND NOT EXISTS (SELECT 1 FROM pg_type a WHERE a.typarray = t.oid)
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend d
    WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype IN ('e', 'i'))
ORDER BY n.nspname, t.typname
"""

# The remaining kinds of schema object, one arm of a UNION each:
# (kind, catalog, oid, name, namespace, extra column 1, extra column 2, FROM clause).
_PG_OTHER_ARMS = [
    ("collation", "pg_collation", "o.oid", "o.collname", "o.collnamespace", "NULL", "NULL", ""),
    (
        "text search configuration",
        "pg_ts_config",
        "o.oid",
        "o.cfgname",
        "o.cfgnamespace",
        "NULL",
        "NULL",
        "",
    ),
    (
        "text search dictionary",
        "pg_ts_dict",
        "o.oid",
        "o.dictname",
        "o.dictnamespace",
        "NULL",
        "NULL",
        "",
    ),
    (
        "text search template",
        "pg_ts_template",
        "o.oid",
        "o.tmplname",
        "o.tmplnamespace",
        "NULL",
        "NULL",
        "",
    ),
    (
        "text search parser",
        "pg_ts_parser",
        "o.oid",
        "o.prsname",
        "o.prsnamespace",
        "NULL",
        "NULL",
        "",
    ),
    (
        "operator",
        "pg_operator",
        "o.oid",
        "o.oprname",
        "o.oprnamespace",
        # A prefix operator has no left operand: DROP OPERATOR writes it NONE.
        "CASE WHEN o.oprleft = 0 THEN 'NONE' ELSE format_type(o.oprleft, NULL) END",
        "CASE WHEN o.oprright = 0 THEN 'NONE' ELSE format_type(o.oprright, NULL) END",
        "",
    ),
    (
        "operator class",
        "pg_opclass",
        "o.oid",
        "o.opcname",
        "o.opcnamespace",
        "am.amname::text",
        "NULL",
        "JOIN pg_am am ON am.oid = o.opcmethod",
    ),
    (
        "operator family",
        "pg_opfamily",
        "o.oid",
        "o.opfname",
        "o.opfnamespace",
        "am.amname::text",
        "NULL",
        "JOIN pg_am am ON am.oid = o.opfmethod",
    ),
    ("conversion", "pg_conversion", "o.oid", "o.conname", "o.connamespace", "NULL", "NULL", ""),
    # Extended statistics on a table go with it; listed for those on another schema's table.
    ("statistics", "pg_statistic_ext", "o.oid", "o.stxname", "o.stxnamespace", "NULL", "NULL", ""),
]


def _pg_other_objects_query() -> str:
    arms = []
    for kind, catalog, oid, name, namespace, extra1, extra2, joins in _PG_OTHER_ARMS:
        arms.append(
            f"SELECT '{kind}'::text, n.nspname::text, {name}::text, {extra1}::text, "
            f"{extra2}::text\n"
            f"FROM {catalog} o JOIN pg_namespace n ON n.oid = {namespace} {joins}\n"
            f"WHERE n.nspname = ANY(:schemas) AND {_not_in_extension(catalog, oid)}"
        )
    return "\nUNION ALL\n".join(arms) + "\nORDER BY 2, 3, 4, 5"


_PG_OTHERS = _pg_other_objects_query()


def _server_major(db: Database) -> int:
    # server_version() reads the connection's startup data: no query.
    try:
        return int(db.server_version().split(".")[0])
    except (ValueError, NotImplementedError):
        return 0


def postgresql_objects(db: Database, schemas: Sequence[str]) -> list[SchemaObject]:
    """Everything in the schemas with five catalog queries, whatever their size."""
    params = {"schemas": list(schemas)}
    found: list[SchemaObject] = []

    def add(kind: str, schema: str, name: str, target: str, cascade: bool = True) -> None:
        sql = f"DROP {_PG_DROP[kind]} IF EXISTS {target}" + (" CASCADE" if cascade else "")
        found.append(SchemaObject(kind, schema, name, sql))

    # CASCADE on an extension also drops objects elsewhere that use it (a column of its
    # type in another schema), exactly as Flyway's clean does.
    for extname, schema in db.query(_PG_EXTENSIONS, params):
        add("extension", schema, extname, db.quote(extname))

    for relkind, schema, name in db.query(_PG_RELATIONS, params):
        add(_PG_RELKINDS[relkind], schema, name, db.qualified(schema, name))

    major = _server_major(db)
    prokind = _PROKIND_BEFORE_11 if 0 < major < 11 else _PROKIND
    routines = _PG_ROUTINES.format(
        prokind=prokind, not_in_extension=_not_in_extension("pg_proc", "p.oid")
    )
    for kind_code, schema, name, arguments in db.query(routines, params):
        kind = _PG_PROKINDS.get(kind_code, "function")
        if kind == "aggregate" and not arguments:
            arguments = "*"  # an aggregate over no arguments is written agg(*)
        signature = f"{name}({arguments})"
        add(kind, schema, signature, f"{db.qualified(schema, name)}({arguments})")

    for typtype, schema, name in db.query(_PG_TYPES, params):
        add("domain" if typtype == "d" else "type", schema, name, db.qualified(schema, name))

    for kind, schema, name, extra1, extra2 in db.query(_PG_OTHERS, params):
        if kind == "operator":
            # Operator names are symbols, never quoted; only the schema is.
            operands = f"({extra1}, {extra2})"
            add(kind, schema, f"{name} {operands}", f"{db.quote(schema)}.{name} {operands}")
        elif kind in ("operator class", "operator family"):
            target = f"{db.qualified(schema, name)} USING {db.quote(extra1)}"
            add(kind, schema, name, target)
        else:
            add(kind, schema, name, db.qualified(schema, name))

    rank = {kind: i for i, kind in enumerate(_PG_ORDER)}
    # Stable sort: within a kind the queries' order (schema, name) stays.
    found.sort(key=lambda o: rank[o.kind])
    return found
