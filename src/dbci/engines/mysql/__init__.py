"""MySQL and MariaDB: connection, catalog snapshot, DDL and the objects clean drops.

This module registers the engine and stays light: the driver (PyMySQL) and the catalog
readers are imported by the methods that use them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any

from dbci.engines.registry import register
from dbci.engines.spec import Engine

if TYPE_CHECKING:
    from dbci.engines.base import Database
    from dbci.engines.spec import SchemaObject
    from dbci.schema.diff import _Planner
    from dbci.schema.model import DbObject, Snapshot
    from dbci.settings.urls import DatabaseUrl


class MySQL(Engine):
    name = "mysql"
    display_name = "MySQL"
    default_port = 3306
    sqlfluff_dialect = "mysql"
    url_backends = {"mysql": "mysql", "mariadb": "mariadb"}
    jdbc_kinds = ("mysql", "mariadb")
    driver = "pymysql"
    driver_module = "pymysql"
    known_drivers = frozenset({"pymysql", "mysqldb", "mysqlconnector", "aiomysql", "asyncmy"})
    schema_is_database = True
    moves_columns = True

    def lint_dialect(self, backend: str) -> str:
        # SQLFluff has a MariaDB dialect of its own.
        return backend if backend in self.url_backends else self.sqlfluff_dialect

    def server_address(self, url: DatabaseUrl) -> tuple[str | None, int | None, str | None]:
        # A `unix_socket` is the local server.
        local = any(k.lower() == "unix_socket" for k, _ in url.query)
        return ("localhost" if local else url.host), url.port, url.database

    def data_refresh(self) -> Any:
        from dbci.engines.mysql.data import MysqlData

        return MysqlData()

    def data_catalog(self, db: Database, schemas: list[str], history_table: str) -> Any:
        from dbci.engines.mysql.data_catalog import read_mysql

        return read_mysql(db, schemas, history_table)

    def database_class(self) -> type[Database]:
        from dbci.engines.mysql.engine import MySQLDatabase

        return MySQLDatabase

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
        from dbci.engines.mysql.snapshot import snapshot_mysql

        return snapshot_mysql(db, schemas, exclude_tables=exclude_tables)

    def emit_ddl(self, planner: _Planner) -> list[str]:
        from dbci.engines.mysql.ddl import emit_mysql

        return emit_mysql(planner)

    def ddl_renderer(self) -> Callable[[DbObject], str]:
        from dbci.engines.mysql.ddl import create_ddl

        return create_ddl

    def loses_data(self, old: DbObject, new: DbObject) -> bool | None:
        from dbci.engines.mysql.ddl import mysql_loses_data

        return mysql_loses_data(old, new)

    def script(self, statements: Sequence[str]) -> str:
        # Routine bodies go between DELIMITER lines.
        from dbci.engines.mysql.ddl import mysql_script

        return mysql_script(statements)

    def clean_objects(
        self, db: Database, schemas: Sequence[str], excluded: set[tuple[str, str]]
    ) -> list[SchemaObject]:
        from dbci.engines.mysql.objects import mysql_objects

        return [
            o
            for o in mysql_objects(db, schemas)
            if not (o.kind == "table" and (o.schema, o.name) in excluded)
        ]

    def clean_statements(
        self, db: Database, schemas: Sequence[str], drop_schemas: Sequence[str]
    ) -> list[str]:
        from dbci.engines.mysql.objects import mysql_clean_statements

        return mysql_clean_statements(db, schemas, drop_schemas)


ENGINE = register(MySQL())
