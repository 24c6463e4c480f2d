"""PostgreSQL: connection, catalog snapshot, DDL and the objects clean drops.

This module registers the engine and stays light: the driver (psycopg) and the catalog
readers are imported by the methods that use them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbci.engines.registry import register
from dbci.engines.spec import Engine

if TYPE_CHECKING:
    from dbci.engines.base import Database
    from dbci.engines.spec import SchemaObject
    from dbci.schema.diff import _Planner
    from dbci.schema.model import Snapshot
    from dbci.settings.urls import DatabaseUrl

# JDBC PostgreSQL properties that have a libpq equivalent.
_JDBC_PARAMS = {
    "sslmode": "sslmode",
    "sslrootcert": "sslrootcert",
    "sslcert": "sslcert",
    "sslkey": "sslkey",
    "applicationname": "application_name",
    "connecttimeout": "connect_timeout",
    "options": "options",
}


class PostgreSQL(Engine):
    name = "postgresql"
    display_name = "PostgreSQL"
    default_port = 5432
    default_schema = "public"
    sqlfluff_dialect = "postgres"
    url_backends = {"postgresql": "postgresql", "postgres": "postgresql"}
    jdbc_kinds = ("postgresql",)
    driver = "psycopg"
    driver_module = "psycopg"
    known_drivers = frozenset({"psycopg", "psycopg2", "psycopg2cffi", "pg8000", "asyncpg"})
    model_ddl = True
    keeps_generated_values = True
    # pg_depend records the columns a view's rewrite rule and a trigger's WHEN and UPDATE OF
    # use; PL/pgSQL and quoted SQL bodies are text (only BEGIN ATOMIC bodies are recorded,
    # and their text then follows a rename too).
    keeps_column_users = frozenset({"view", "materialized view", "trigger"})
    default = True

    def jdbc_query(self, params: dict[str, str]) -> dict[str, str]:
        query: dict[str, str] = {}
        for key, value in params.items():
            mapped = _JDBC_PARAMS.get(key.lower())
            if mapped:
                query[mapped] = value
            elif key.lower() == "currentschema":
                query["options"] = f"-csearch_path={value}"
        return query

    def server_address(self, url: DatabaseUrl) -> tuple[str | None, int | None, str | None] | None:
        # libpq lets the query's `dbname`, `host` and `port` override the URL's; a
        # `service=` or `hostaddr=` leaves the database to the client's own files.
        query = {k.lower(): v for k, v in url.query}
        if "service" in query or "hostaddr" in query:
            return None
        try:
            port = int(query["port"]) if "port" in query else url.port
        except ValueError:
            return None
        return query.get("host", url.host), port, query.get("dbname", url.database)

    def database_class(self) -> type[Database]:
        from dbci.engines.postgresql.engine import PostgreSQLDatabase

        return PostgreSQLDatabase

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
        from dbci.engines.postgresql.snapshot import snapshot_postgresql

        return snapshot_postgresql(
            db,
            schemas,
            include_grants=include_grants,
            include_owners=include_owners,
            exclude_tables=exclude_tables,
            parallel=parallel,
        )

    def emit_ddl(self, planner: _Planner) -> list[str]:
        from dbci.engines.postgresql.ddl import emit_postgresql

        return emit_postgresql(planner)

    def clean_objects(
        self, db: Database, schemas: Sequence[str], excluded: set[tuple[str, str]]
    ) -> list[SchemaObject]:
        from dbci.engines.postgresql.objects import postgresql_objects

        return [
            o
            for o in postgresql_objects(db, schemas)
            if not (o.kind in ("table", "foreign table") and (o.schema, o.name) in excluded)
        ]

    def clean_statements(
        self, db: Database, schemas: Sequence[str], drop_schemas: Sequence[str]
    ) -> list[str]:
        from dbci.engines.postgresql.objects import postgresql_clean_statements

        return postgresql_clean_statements(db, schemas, drop_schemas)

    def data_catalog(self, db: Database, schemas: list[str], history_table: str) -> Any:
        from dbci.engines.postgresql.data_catalog import read_postgresql

        return read_postgresql(db, schemas, history_table)

    def data_refresh(self) -> Any:
        from dbci.engines.postgresql.data import PostgresData

        return PostgresData()

    def embedded(self, directory: Path) -> AbstractContextManager[tuple[str, str]]:
        from dbci.engines.postgresql.embedded import embedded_postgresql

        return embedded_postgresql(directory)

    def catalog_state(self, db: Database) -> Callable[[], Any]:
        from dbci.engines.postgresql.catalog_state import CATALOG_STATE

        return lambda: tuple(db.query(CATALOG_STATE)[0])

    def pgtap_available(self, db: Database) -> bool:
        rows = db.query("SELECT 1 FROM pg_available_extensions WHERE name = 'pgtap'")
        return bool(rows)


ENGINE = register(PostgreSQL())
