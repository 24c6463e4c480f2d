"""MySQL's and MariaDB's catalog (information_schema) as `dbci data refresh` reads it
(`dbci.data.catalog`): every listed table's columns, keys and foreign keys, in four
queries whatever the number of tables."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from dbci.data.catalog import assemble
from dbci.data.model import Catalog, Column, ForeignKey, Name
from dbci.engines.base import Database

# The base tables of the schemas (not views, sequences, nor MariaDB's system-versioned
# tables). The history table is left out by the reader: information_schema compares names
# without regard to case.
_MY_TABLES = """
SELECT TABLE_SCHEMA, TABLE_NAME
FROM information_schema.TABLES
WHERE TABLE_SCHEMA IN ({schemas}) AND TABLE_TYPE = 'BASE TABLE'
"""

# The columns of the schemas' tables and views (those of the listed tables are kept), in
# position order, with the most bytes a character of the column's character set takes.
_MY_COLUMNS = """
SELECT c.TABLE_SCHEMA, c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE, c.DATA_TYPE,
  c.IS_NULLABLE, c.CHARACTER_MAXIMUM_LENGTH, c.CHARACTER_OCTET_LENGTH, cs.MAXLEN, c.EXTRA,
  c.GENERATION_EXPRESSION
FROM information_schema.COLUMNS c
LEFT JOIN information_schema.CHARACTER_SETS cs ON cs.CHARACTER_SET_NAME = c.CHARACTER_SET_NAME
WHERE c.TABLE_SCHEMA IN ({schemas})
ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION
"""

# The parts of every unique index (the primary key is the index PRIMARY), in order. A part
# without a column (MySQL 8's functional key parts) makes its index keep no column set
# distinct.
_MY_KEY_PARTS = """
SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, COLUMN_NAME
FROM information_schema.STATISTICS
WHERE TABLE_SCHEMA IN ({schemas}) AND NON_UNIQUE = 0
ORDER BY TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX
"""

# The columns of each foreign key and those it references, in the key's order.
_MY_FOREIGN_KEYS = """
SELECT TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_SCHEMA,
  REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME
FROM information_schema.KEY_COLUMN_USAGE
WHERE TABLE_SCHEMA IN ({schemas}) AND REFERENCED_TABLE_NAME IS NOT NULL
ORDER BY TABLE_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION
"""

# The kinds of MySQL's and MariaDB's types, by DATA_TYPE; anything else (enum, set, bit,
# year, geometry, MariaDB's inet6, …) is "other". MariaDB's JSON is a longtext: text.
_MY_KINDS = {
    "char": "text",
    "varchar": "text",
    "tinytext": "text",
    "text": "text",
    "mediumtext": "text",
    "longtext": "text",
    "tinyint": "integer",
    "smallint": "integer",
    "mediumint": "integer",
    "int": "integer",
    "bigint": "integer",
    "decimal": "numeric",
    "float": "numeric",
    "double": "numeric",
    "date": "date",
    "datetime": "timestamp",
    "timestamp": "timestamp",
    "time": "time",
    "uuid": "uuid",
    "json": "json",
    "binary": "bytes",
    "varbinary": "bytes",
    "tinyblob": "bytes",
    "blob": "bytes",
    "mediumblob": "bytes",
    "longblob": "bytes",
}
_MY_INT_BITS = {"tinyint": 8, "smallint": 16, "mediumint": 24, "int": 32, "bigint": 64}
# The types whose CHARACTER_MAXIMUM_LENGTH counts characters; the TEXT types' counts bytes.
_MY_CHARACTER_LIMITED = frozenset({"char", "varchar"})


def _my_column(row: Sequence[Any]) -> Column:
    """A column from a row of `_MY_COLUMNS` (after its table's schema and name)."""
    name, column_type, data_type, nullable, max_chars, max_bytes, char_bytes, extra, expr = row
    data_type = data_type.lower()
    kind = _MY_KINDS.get(data_type, "other")
    max_length = None
    if data_type in _MY_CHARACTER_LIMITED:
        max_length = max_chars
    elif kind == "text" and max_bytes is not None:
        # At most this many characters fit whatever they are (a character set's widest).
        max_length = max_bytes // (char_bytes or 1)
    extra = (extra or "").upper()
    generated = bool(expr) or "VIRTUAL GENERATED" in extra or "STORED GENERATED" in extra
    return Column(
        name=name,
        type_name=column_type,
        kind=kind,
        nullable=nullable == "YES",
        max_length=max_length,
        int_bits=_MY_INT_BITS.get(data_type),
        unsigned=kind in ("integer", "numeric") and " unsigned" in column_type.lower(),
        generated=generated,
    )


def read_mysql(db: Database, schemas: list[str], history_table: str) -> Catalog:
    """The catalog of a MySQL or MariaDB server's `schemas` (databases), in four
    information_schema queries. Each reads one view (the columns' also looks up the small
    CHARACTER_SETS): MariaDB materialises both views of a join, and the tables and the
    columns are matched here instead."""
    params: dict[str, Any] = {f"s{index}": schema for index, schema in enumerate(schemas)}
    listed = ", ".join(f":s{index}" for index in range(len(schemas)))

    def rows(sql: str) -> list[Any]:
        return db.query(sql.format(schemas=listed), params)

    columns: dict[Name, list[Column]] = {
        (schema, table): [] for schema, table in rows(_MY_TABLES) if table != history_table
    }
    for row in rows(_MY_COLUMNS):
        table_columns = columns.get((row[0], row[1]))
        if table_columns is not None:
            table_columns.append(_my_column(row[2:]))
    parts: dict[tuple[str, str, str], list[str | None]] = defaultdict(list)
    for schema, table, index, column in rows(_MY_KEY_PARTS):
        parts[(schema, table, index)].append(column)
    keys: dict[Name, list[tuple[bool, tuple[str, ...]]]] = defaultdict(list)
    for (schema, table, index), index_columns in sorted(
        parts.items(), key=lambda item: (item[0][:2], item[0][2] != "PRIMARY", item[0][2])
    ):
        if None not in index_columns:
            named = tuple(column for column in index_columns if column is not None)
            keys[(schema, table)].append((index == "PRIMARY", named))
    key_columns: dict[tuple[str, str, str], list[tuple[str, str, str, str]]] = defaultdict(list)
    for schema, table, name, column, parent_schema, parent, parent_column in rows(_MY_FOREIGN_KEYS):
        key_columns[(schema, table, name)].append((column, parent_schema, parent, parent_column))
    foreign_keys: dict[Name, list[ForeignKey]] = defaultdict(list)
    for (schema, table, name), pairs in key_columns.items():
        foreign_keys[(schema, table)].append(
            ForeignKey(
                name=name,
                columns=tuple(pair[0] for pair in pairs),
                parent=(pairs[0][1], pairs[0][2]),
                parent_columns=tuple(pair[3] for pair in pairs),
            )
        )
    return assemble(columns, keys, foreign_keys, [])
