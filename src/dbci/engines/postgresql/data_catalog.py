"""PostgreSQL's catalog as `dbci data refresh` reads it (`dbci.data.catalog`): every
listed table's columns, keys and foreign keys, and the schemas' sequences, in four
queries whatever the number of tables."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from dbci.data.catalog import assemble
from dbci.data.model import Catalog, Column, ForeignKey, Name
from dbci.engines.base import Database

# The tables listed: plain and partitioned tables, not partitions (their rows are the
# partitioned table's) nor the migration history table.
_PG_LISTED = """
n.nspname = ANY(:schemas) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND c.relname <> :history"""

# Every listed table with its columns in position order (a table without columns gets one
# row of NULLs). A column of a domain type is described by the type under its domains (a
# domain over a domain too) and the length limit the innermost domain put on it.
_PG_COLUMNS = f"""
WITH RECURSIVE domains(oid, base, typmod) AS (
  SELECT t.oid, t.typbasetype, t.typtypmod FROM pg_type t WHERE t.typtype = 'd'
  UNION ALL
  SELECT d.oid, t.typbasetype, t.typtypmod
  FROM domains d JOIN pg_type t ON t.oid = d.base AND t.typtype = 'd'
), bases AS (
  SELECT d.oid, d.base, d.typmod
  FROM domains d JOIN pg_type t ON t.oid = d.base AND t.typtype <> 'd'
)
SELECT n.nspname::text, c.relname::text, a.attname::text,
  format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, a.attgenerated = 's',
  bn.nspname::text, bt.typname::text, bt.typcategory::text,
  CASE WHEN b.oid IS NULL THEN a.atttypmod ELSE b.typmod END
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN bases b ON b.oid = a.atttypid
LEFT JOIN pg_type bt ON bt.oid = COALESCE(b.base, a.atttypid)
LEFT JOIN pg_namespace bn ON bn.oid = bt.typnamespace
WHERE {_PG_LISTED}
ORDER BY n.nspname, c.relname, a.attnum
"""

# The primary key and the unique indexes (a UNIQUE constraint's own among them) of the
# listed tables, with their key columns in key order (not an index's INCLUDE columns).
# A partial index or one on expressions keeps no column set distinct, and is left out.
_PG_KEYS = f"""
SELECT n.nspname::text, c.relname::text, i.indisprimary,
  ARRAY(
    SELECT a.attname::text
    FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, position)
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
    WHERE k.position <= i.indnkeyatts
    ORDER BY k.position
  )
FROM pg_index i
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE {_PG_LISTED}
  AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
ORDER BY n.nspname, c.relname, NOT i.indisprimary, ic.relname
"""

# The foreign keys of the schemas' tables, child and parent columns in the key's order.
# A partition is read as its partitioned table on either side: a foreign key declared on a
# partition alone belongs to the table copied, and one referencing a partition references
# rows its partitioned table holds. The copies PostgreSQL makes of a partitioned table's
# foreign keys (on its partitions, and to each partition of a partitioned parent) have a
# parent constraint and are left out.
_PG_FOREIGN_KEYS = """
SELECT n.nspname::text, c.relname::text, co.conname::text,
  ARRAY(
    SELECT a.attname::text FROM unnest(co.conkey) WITH ORDINALITY k(attnum, position)
    JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.attnum
    ORDER BY k.position
  ),
  pn.nspname::text, p.relname::text,
  ARRAY(
    SELECT a.attname::text FROM unnest(co.confkey) WITH ORDINALITY k(attnum, position)
    JOIN pg_attribute a ON a.attrelid = co.confrelid AND a.attnum = k.attnum
    ORDER BY k.position
  ),
  co.condeferrable
FROM pg_constraint co
JOIN pg_class c ON c.oid = COALESCE(pg_partition_root(co.conrelid), co.conrelid)
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_class p ON p.oid = COALESCE(pg_partition_root(co.confrelid), co.confrelid)
JOIN pg_namespace pn ON pn.oid = p.relnamespace
WHERE n.nspname = ANY(:schemas) AND co.contype = 'f' AND co.conparentid = 0
ORDER BY n.nspname, c.relname, co.conname
"""

# Every sequence of the schemas, owned by a column (serial, identity) or not.
_PG_SEQUENCES = """
SELECT n.nspname::text, c.relname::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY(:schemas) AND c.relkind = 'S'
ORDER BY n.nspname, c.relname
"""

# The kinds of PostgreSQL's own types (pg_catalog's), by type name; a string type of
# another schema's (an extension's `citext`) is text; anything else is "other".
_PG_KINDS = {
    "text": "text",
    "varchar": "text",
    "bpchar": "text",
    "name": "text",
    "int2": "integer",
    "int4": "integer",
    "int8": "integer",
    "numeric": "numeric",
    "float4": "numeric",
    "float8": "numeric",
    "bool": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "timestamptz": "timestamp",
    "time": "time",
    "timetz": "time",
    "uuid": "uuid",
    "json": "json",
    "jsonb": "json",
    "bytea": "bytes",
}
_PG_INT_BITS = {"int2": 16, "int4": 32, "int8": 64}
# The types whose type modifier is a length in characters (plus a 4-byte header).
_PG_LENGTH_TYPES = frozenset({"varchar", "bpchar"})
_PG_VARHDRSZ = 4


def _pg_column(row: Sequence[Any]) -> Column:
    """A column from a row of `_PG_COLUMNS` (after its table's schema and name)."""
    name, type_name, nullable, generated, base_schema, base, category, typmod = row
    if base_schema == "pg_catalog" and base in _PG_KINDS:
        kind = _PG_KINDS[base]
    else:
        kind = "text" if category == "S" and base_schema != "pg_catalog" else "other"
    max_length = None
    if base_schema == "pg_catalog" and base in _PG_LENGTH_TYPES and typmod >= _PG_VARHDRSZ:
        max_length = typmod - _PG_VARHDRSZ
    return Column(
        name=name,
        type_name=type_name,
        kind=kind,
        nullable=nullable,
        max_length=max_length,
        int_bits=_PG_INT_BITS.get(base) if base_schema == "pg_catalog" else None,
        generated=generated,
    )


def read_postgresql(db: Database, schemas: list[str], history_table: str) -> Catalog:
    """The catalog of a PostgreSQL database's `schemas`, in four catalog queries."""
    params: dict[str, Any] = {"schemas": schemas, "history": history_table}
    columns: dict[Name, list[Column]] = {}
    for row in db.query(_PG_COLUMNS, params):
        table_columns = columns.setdefault((row[0], row[1]), [])
        if row[2] is not None:  # else a table without columns
            table_columns.append(_pg_column(row[2:]))
    keys: dict[Name, list[tuple[bool, tuple[str, ...]]]] = defaultdict(list)
    for schema, table, primary, key_columns in db.query(_PG_KEYS, params):
        keys[(schema, table)].append((primary, tuple(key_columns)))
    foreign_keys: dict[Name, list[ForeignKey]] = defaultdict(list)
    for schema, table, name, child, parent_schema, parent, parent_columns, deferrable in db.query(
        _PG_FOREIGN_KEYS, {"schemas": schemas}
    ):
        foreign_keys[(schema, table)].append(
            ForeignKey(
                name=name,
                columns=tuple(child),
                parent=(parent_schema, parent),
                parent_columns=tuple(parent_columns),
                deferrable=deferrable,
            )
        )
    sequences = [(schema, name) for schema, name in db.query(_PG_SEQUENCES, {"schemas": schemas})]
    return assemble(columns, keys, foreign_keys, sequences)
