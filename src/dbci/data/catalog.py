"""Reading the tables `dbci data refresh` copies from a live database's catalog.

`read_catalog` reads, for every base table of the given schemas at once, what the refresh
must respect: the columns (type, kind, length, nullability, whether the database computes
them), the primary key, the other unique column sets and the foreign keys. It asks the
catalog a fixed handful of queries whatever the number of tables (PostgreSQL: columns,
keys, foreign keys, sequences; MySQL/MariaDB: tables, columns, key parts, foreign key
columns), because a refresh may face thousands of tables and a query per table would cost
a round trip each.

The queries are engine-specific (pg_catalog; information_schema as MySQL fills it): each
engine package has its reader (`Engine.data_catalog`, in its `data_catalog` module), which
hands the rows to `assemble`. The readers do not open a transaction:
a caller that needs one consistent view of a catalog that may change meanwhile reads it
inside its own (REPEATABLE READ) transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from dbci.data.model import Catalog, Column, ForeignKey, Name, Table
from dbci.engines.base import Database
from dbci.errors import InputError


def assemble(
    columns: dict[Name, list[Column]],
    keys: dict[Name, list[tuple[bool, tuple[str, ...]]]],
    foreign_keys: dict[Name, list[ForeignKey]],
    sequences: Iterable[Name],
) -> Catalog:
    """The catalog of the tables `columns` lists (in (schema, name) order), with their keys
    (each table's primary key first) and foreign keys; those of tables not listed are
    dropped. A unique set of the same columns as the primary key or an earlier set (in
    another order) adds nothing and is left out."""
    catalog = Catalog(sequences=list(sequences))
    for key in sorted(columns):
        primary: tuple[str, ...] = ()
        unique: list[tuple[str, ...]] = []
        seen: set[frozenset[str]] = set()
        for is_primary, key_columns in keys.get(key, ()):  # the primary key comes first
            if is_primary:
                primary = key_columns
            elif frozenset(key_columns) not in seen:
                unique.append(key_columns)
            seen.add(frozenset(key_columns))
        catalog.tables[key] = Table(
            schema=key[0],
            name=key[1],
            columns=tuple(columns[key]),
            primary_key=primary,
            unique=tuple(unique),
            foreign_keys=tuple(foreign_keys.get(key, ())),
        )
    return catalog


def read_catalog(
    db: Database, schemas: Sequence[str], *, history_table: str = "flyway_schema_history"
) -> Catalog:
    """The base tables of `schemas` (PostgreSQL schemas, MySQL databases) and, on
    PostgreSQL, their sequences, read with a fixed number of catalog queries (each
    engine's `Engine.data_catalog`).

    A partitioned table is one table (its partitions are not listed); views, foreign tables
    and `history_table` (in every schema) are left out. Names keep the catalog's spelling.
    A column's kind looks through domains to the type beneath. Unique sets are UNIQUE
    constraints and unique indexes with neither a WHERE clause nor expressions, other than
    the primary key. Foreign keys are all those of the tables, their parents in any schema
    (`dbci.data.order` ignores those outside the catalog). Raises `InputError` for an
    engine whose catalog is not read.
    """
    from dbci.engines.registry import engine

    if not schemas:
        return Catalog()
    catalog: Catalog | None = engine(db.dialect).data_catalog(db, list(schemas), history_table)
    if catalog is None:
        raise InputError(
            f"{db.where}: dbci data refresh reads PostgreSQL and MySQL/MariaDB databases, "
            f"not {db.display_name}"
        )
    return catalog
