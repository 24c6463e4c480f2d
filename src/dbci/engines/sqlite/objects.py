"""The objects SQLite's schemas (attached databases) hold, and the statements that drop
them all, for `dbci clean` and `migrate`'s empty-schema check (`dbci.migrate.clean`):
"trigger", "view", "index" or "table"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dbci.engines.base import Database
from dbci.engines.spec import SchemaObject


def sqlite_clean_statements(db: Database, schemas: Sequence[str]) -> list[str]:
    """The statements that empty `schemas` (SQLite cannot drop an attached database from
    SQL: every schema is emptied)."""
    listing = sqlite_listing(db, schemas, set())
    statements = [o.drop_sql for o in listing.objects]
    if statements and listing.foreign_key_cycle:
        # Tables that reference each other in a cycle cannot be ordered so that each
        # DROP TABLE (an implicit DELETE when foreign keys are enforced) leaves no
        # dangling reference; deferring the checks to COMMIT, when all are gone, can.
        # The pragma lasts until the end of the current transaction.
        statements.insert(0, "PRAGMA defer_foreign_keys = ON")
    # AUTOINCREMENT counters live in sqlite_sequence, which cannot be dropped: empty it,
    # as Flyway does, so that tables created again start from 1.
    statements += [f"DELETE FROM {db.quote(s)}.sqlite_sequence" for s in listing.sequences]
    return statements


@dataclass(frozen=True)
class SQLiteListing:
    objects: list[SchemaObject]
    foreign_key_cycle: bool  # some tables reference each other in a cycle
    sequences: list[str]  # schemas that hold sqlite_sequence (AUTOINCREMENT counters)


_SQLITE_ORDER = {"trigger": 0, "view": 1, "index": 2, "table": 3}


def sqlite_listing(
    db: Database, schemas: Sequence[str], excluded: set[tuple[str, str]]
) -> SQLiteListing:
    objects: list[SchemaObject] = []
    cycle = False
    sequences: list[str] = []
    for schema in schemas:
        if not db.schema_exists(schema):
            continue
        master = f"{db.quote(schema)}.sqlite_master"
        rows = db.query(f"SELECT type, name, tbl_name, sql FROM {master} ORDER BY name")
        if any(name == "sqlite_sequence" for _, name, _, _ in rows):
            sequences.append(schema)
        # A foreign key never leaves its database, so the edges are within the schema.
        references = db.query(
            f'SELECT m.name, f."table" FROM {master} m, pragma_foreign_key_list(m.name, :s) f '
            "WHERE m.type = 'table'",
            {"s": schema},
        )
        by_kind: dict[str, list[str]] = {kind: [] for kind in _SQLITE_ORDER}
        virtual: list[str] = []
        for kind, name, table, sql in rows:
            # sqlite_sequence, sqlite_stat1, sqlite_autoindex_…: SQLite's own.
            if kind not in by_kind or name.startswith("sqlite_"):
                continue
            if kind == "index" and sql is None:  # made for a UNIQUE or PRIMARY KEY constraint
                continue
            if (schema, table) in excluded:  # the table itself, its indexes and triggers
                continue
            if kind == "table" and (sql or "").upper().startswith("CREATE VIRTUAL"):
                virtual.append(name)
            else:
                by_kind[kind].append(name)
        # Virtual tables first: dropping one drops its shadow tables, which SQLite may
        # refuse to drop on their own (defensive mode); IF EXISTS then skips them.
        tables, has_cycle = _drop_order(by_kind["table"], references)
        cycle = cycle or has_cycle
        by_kind["table"] = virtual + tables
        for kind in _SQLITE_ORDER:
            keyword = kind.upper()
            for name in by_kind[kind]:
                target = db.qualified(schema, name)
                objects.append(
                    SchemaObject(kind, schema, name, f"DROP {keyword} IF EXISTS {target}")
                )
    return SQLiteListing(objects, cycle, sequences)


def _drop_order(tables: list[str], references: list[tuple[str, str]]) -> tuple[list[str], bool]:
    """Tables ordered so that each is dropped before the tables it references.

    With foreign keys enforced, DROP TABLE deletes the rows first, which fails while
    another table's rows still reference them. Returns the order and whether a cycle was
    broken (by taking the first remaining name), which needs deferred checks.
    """
    known = set(tables)
    # SQLite matches a foreign key's parent table name case-insensitively.
    by_folded = {name.casefold(): name for name in tables}
    referenced_by: dict[str, set[str]] = {name: set() for name in tables}
    for child, parent_name in references:
        parent = by_folded.get(str(parent_name).casefold())
        if child in known and parent is not None and parent != child:
            referenced_by[parent].add(child)
    order: list[str] = []
    remaining = list(tables)  # already sorted by name
    cycle = False
    while remaining:
        ready = [t for t in remaining if not (referenced_by[t] & set(remaining))]
        if not ready:
            cycle = True
            ready = remaining[:1]
        for table in ready:
            remaining.remove(table)
        order.extend(ready)
    return order, cycle
