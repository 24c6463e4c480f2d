"""A real MySQL/MariaDB server for tests: the one `DBCI_TEST_MYSQL_URL` names.

There is no embedded MySQL: without the variable (or with a server that does not answer)
the tests that need one are skipped with the reason, except under `CI=true`, where a
missing server fails them. Each test gets a scratch database `dbci_t_<hex>`, dropped after.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

ENV_URL = "DBCI_TEST_MYSQL_URL"
SCRATCH_PREFIX = "dbci_t_"


class MySQLUnavailable(RuntimeError):
    """No MySQL server is reachable; the message says why."""


@dataclass(frozen=True)
class MySQLServer:
    """The server named by `DBCI_TEST_MYSQL_URL` (`mysql://user[:pw]@host:port[/db]`)."""

    url: str

    def connect(self, database: str | None = None):  # -> pymysql.Connection
        """A PyMySQL connection in autocommit, to `database` or none."""
        import pymysql

        parts = urlsplit(self.url)
        return pymysql.connect(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 3306,
            user=parts.username or "root",
            password=parts.password or "",
            database=database,
            autocommit=True,
            connect_timeout=5,
        )

    def database_url(self, name: str) -> str:
        """The server's URL with `name` as its database."""
        parts = urlsplit(self.url)
        return urlunsplit(("mysql", parts.netloc, "/" + name, "", ""))

    def execute(self, sql: str, database: str | None = None) -> list[tuple]:
        """Run one statement on a fresh connection and return its rows."""
        connection = self.connect(database)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return list(cursor.fetchall())
        finally:
            connection.close()

    @contextmanager
    def scratch_database(self) -> Iterator[str]:
        """Yield the URL of a fresh empty database; drop it afterwards."""
        name = SCRATCH_PREFIX + secrets.token_hex(4)
        self.execute(f"CREATE DATABASE `{name}`")
        try:
            yield self.database_url(name)
        finally:
            self.execute(f"DROP DATABASE IF EXISTS `{name}`")


def open_server() -> MySQLServer:
    """The server `DBCI_TEST_MYSQL_URL` names, checked; `MySQLUnavailable` if none answers."""
    url = os.environ.get(ENV_URL, "").strip()
    if not url:
        raise MySQLUnavailable(f"{ENV_URL} is not set")
    server = MySQLServer(url)
    try:
        server.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        parts = urlsplit(url)
        raise MySQLUnavailable(
            f"{ENV_URL} ({parts.hostname}:{parts.port or 3306}) cannot be reached: "
            f"{' '.join(str(exc).split())}"
        ) from None
    return server
