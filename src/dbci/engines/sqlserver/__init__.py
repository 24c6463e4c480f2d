"""SQL Server (through ODBC): connection, catalog snapshot, DDL and the objects clean drops.

This module registers the engine and stays light: the driver (pyodbc) and the catalog
readers are imported by the methods that use them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING

from dbci.engines.registry import register
from dbci.engines.spec import Engine
from dbci.errors import InputError

if TYPE_CHECKING:
    from dbci.engines.base import Database
    from dbci.engines.spec import SchemaObject
    from dbci.schema.diff import _Planner
    from dbci.schema.model import DbObject, Snapshot
    from dbci.settings.urls import UrlParts


class SQLServer(Engine):
    name = "mssql"
    display_name = "SQL Server"
    default_port = 1433
    default_schema = "dbo"
    sqlfluff_dialect = "tsql"
    url_backends = {"mssql": "mssql", "sqlserver": "mssql"}
    jdbc_kinds = ("sqlserver",)
    driver = "pyodbc"
    driver_module = "pyodbc"
    known_drivers = frozenset({"pyodbc", "pymssql", "aioodbc"})

    def from_jdbc(self, kind: str, rest: str, where: str) -> UrlParts:
        # jdbc:sqlserver://host:1433;databaseName=db;user=u;password=p;encrypt=false
        from dbci.settings.urls import UrlParts

        head, *props = rest.lstrip("/").split(";")
        host, _, port = head.partition(":")
        values = {k.strip().lower(): v for k, _, v in (p.partition("=") for p in props if p)}
        # No driver named: the engine takes the first installed ODBC driver for SQL Server.
        query = {"driver": values["driver"]} if "driver" in values else {}
        if values.get("encrypt", "").lower() == "false":
            query["Encrypt"] = "no"
        if values.get("trustservercertificate", "").lower() == "true":
            query["TrustServerCertificate"] = "yes"
        try:
            port_number = int(port) if port else self.default_port
        except ValueError:
            raise InputError(f"{where}: bad port in JDBC URL 'jdbc:sqlserver:{head}'") from None
        return UrlParts(
            self.name,
            username=values.get("user"),
            password=values.get("password"),
            host=host or "localhost",
            port=port_number,
            database=values.get("databasename") or values.get("database"),
            query=tuple(query.items()),
        )

    def database_class(self) -> type[Database]:
        from dbci.engines.sqlserver.engine import SQLServerDatabase

        return SQLServerDatabase

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
        from dbci.engines.sqlserver.snapshot import snapshot_mssql

        return snapshot_mssql(db, schemas, exclude_tables=exclude_tables)

    def emit_ddl(self, planner: _Planner) -> list[str]:
        from dbci.engines.sqlserver.diff import emit_mssql

        return emit_mssql(planner)

    def ddl_renderer(self) -> Callable[[DbObject], str]:
        from dbci.engines.sqlserver.diff import create_ddl

        return create_ddl

    def script(self, statements: Sequence[str]) -> str:
        # T-SQL's batches end in GO.
        from dbci.engines.sqlserver.diff import mssql_script

        return mssql_script(statements)

    def clean_objects(
        self, db: Database, schemas: Sequence[str], excluded: set[tuple[str, str]]
    ) -> list[SchemaObject]:
        from dbci.engines.sqlserver.objects import mssql_objects

        return [
            o
            for o in mssql_objects(db, schemas)
            if not (o.kind == "table" and (o.schema, o.name) in excluded)
        ]

    def clean_statements(
        self, db: Database, schemas: Sequence[str], drop_schemas: Sequence[str]
    ) -> list[str]:
        from dbci.engines.sqlserver.objects import mssql_clean_statements

        return mssql_clean_statements(db, schemas, drop_schemas)


ENGINE = register(SQLServer())
