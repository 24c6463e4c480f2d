"""SQLite's snapshot: SQLAlchemy's reflection (`dbci.schema.reflection`), with what SQLite
keeps in `sqlite_master` that reflection does not give: each index's CREATE statement
(the exact definition, predicates and expressions too) and the triggers."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from dbci.engines.base import Database
from dbci.schema.model import Snapshot, quote_ident
from dbci.schema.reflection import snapshot_reflected


def snapshot_sqlite(
    db: Database, schemas: Sequence[str], *, exclude_tables: Collection[tuple[str, str]] = ()
) -> Snapshot:
    """The tables, views, indexes and triggers of `schemas` (attached databases)."""
    return snapshot_reflected(
        db, schemas, exclude_tables=exclude_tables, index_sql=_index_sql, triggers=_triggers
    )


def _index_sql(db: Database, schema: str) -> dict[str, tuple[str, str]]:
    """SQLite keeps each index's CREATE statement: the exact definition (predicates too).
    Index name -> (table, statement)."""
    rows = db.query(
        f"SELECT name, tbl_name, sql FROM {quote_ident(schema)}.sqlite_master "
        "WHERE type = 'index' AND sql IS NOT NULL"
    )
    return {name: (table, sql) for name, table, sql in rows}


def _triggers(db: Database, schema: str) -> list[tuple[str, str, str]]:
    """(table, name, statement) of each trigger, which SQLAlchemy does not reflect."""
    return [
        (table, name, sql)
        for table, name, sql in db.query(
            f"SELECT tbl_name, name, sql FROM {quote_ident(schema)}.sqlite_master "
            "WHERE type = 'trigger' ORDER BY name"
        )
    ]
