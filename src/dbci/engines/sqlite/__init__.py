"""SQLite: connection, snapshot (SQLAlchemy's reflection and sqlite_master), DDL and the
objects clean drops.

This module registers the engine and stays light: the engine module and the readers are
imported by the methods that use them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbci.engines.registry import register
from dbci.engines.spec import Engine

if TYPE_CHECKING:
    from dbci.engines.base import Database
    from dbci.engines.spec import SchemaObject
    from dbci.schema.diff import _Planner
    from dbci.schema.model import Snapshot
    from dbci.settings.urls import DatabaseUrl, UrlParts


class SQLite(Engine):
    name = "sqlite"
    display_name = "SQLite"
    default_schema = "main"
    sqlfluff_dialect = "sqlite"
    url_backends = {"sqlite": "sqlite"}
    jdbc_kinds = ("sqlite",)
    driver = "pysqlite"
    driver_module = "sqlite3"
    known_drivers = frozenset({"pysqlite", "aiosqlite", "pysqlcipher"})
    server = False
    moves_columns = True
    # ALTER TABLE rewrites views and triggers for a renamed column and refuses a drop that
    # one of them uses ("error in view v after drop column").
    keeps_column_users = frozenset({"view", "trigger"})

    def from_jdbc(self, kind: str, rest: str, where: str) -> UrlParts:
        from dbci.settings.urls import UrlParts

        return UrlParts(self.name, database=None if rest in ("", ":memory:") else rest)

    def anchor_database(self, database: str | None, base_dir: Path) -> str | None:
        # Relative paths are taken relative to the project directory.
        if not database or database == ":memory:" or database.startswith("file:"):
            return database
        path = Path(database).expanduser()
        if not path.is_absolute():
            path = base_dir / path
        return str(path)

    def file_url(self, path: Path) -> str:
        return f"sqlite:///{path}"

    def identity(self, url: DatabaseUrl) -> tuple[Any, ...]:
        return (self.name, str(Path(url.database or "").resolve()) if url.database else None)

    def database_class(self) -> type[Database]:
        from dbci.engines.sqlite.engine import SQLiteDatabase

        return SQLiteDatabase

    def snapshot(
        self,
        db: Database,
        schemas: Sequence[str],
        *,
        include_grants: bool = False,
        include_owners: bool = False,
        exclude_tables: Collection[tuple[str, str]] = (),
        parallel: bool = True,
    ) -> Snapshot:
        from dbci.engines.sqlite.snapshot import snapshot_sqlite

        return snapshot_sqlite(db, schemas, exclude_tables=exclude_tables)

    def emit_ddl(self, planner: _Planner) -> list[str]:
        from dbci.engines.sqlite.ddl import emit_sqlite

        return emit_sqlite(planner)

    def clean_objects(
        self, db: Database, schemas: Sequence[str], excluded: set[tuple[str, str]]
    ) -> list[SchemaObject]:
        from dbci.engines.sqlite.objects import sqlite_listing

        return sqlite_listing(db, schemas, excluded).objects

    def clean_statements(
        self, db: Database, schemas: Sequence[str], drop_schemas: Sequence[str]
    ) -> list[str]:
        # SQLite cannot drop an attached database from SQL: every schema is emptied.
        from dbci.engines.sqlite.objects import sqlite_clean_statements

        return sqlite_clean_statements(db, schemas)

    def catalog_state(self, db: Database) -> Callable[[], Any]:
        # SQLite keeps every definition as text in sqlite_master, compared whole.
        return lambda: tuple(
            db.query("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
        )


ENGINE = register(SQLite())
