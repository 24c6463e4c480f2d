"""Deploy targets for the reliability suite: one real database on PostgreSQL or MariaDB
that a scenario empties, deploys to, damages (a killed client, a terminated connection)
and then inspects, through the test's own connection, never through dbci.

The migrations of a scenario are `V1__seed.sql` (a table of customers, 500 rows, deployed
before the fault) and `V2`…`V<n>`: each makes a table `m<k>`, fills it with 100 rows and
waits a little, so that a fault lands inside a migration as often as between two. On
MariaDB they are written to be run again (`IF NOT EXISTS`, `INSERT IGNORE`), as Flyway
asks of MySQL migrations, whose DDL cannot be rolled back.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from support.postgres import PgCluster

SEED_ROWS = 500
ROWS_PER_TABLE = 100


@dataclass
class History:
    """The history table as the test reads it: (version, success) rows in rank order."""

    rows: list[tuple[str | None, bool]]

    def successes(self) -> list[str]:
        return [v for v, ok in self.rows if ok and v is not None]

    def failures(self) -> list[str]:
        return [v for v, ok in self.rows if not ok and v is not None]


class DeployTarget:
    """A database a scenario deploys to, on a real server."""

    engine: str
    name: str  # the database's name
    url: str  # for dbci
    build_url: str  # the build database beside it, cleaned for each rebuild

    def reset(self) -> None:
        """Empty the database, once nobody else is connected to it."""
        raise NotImplementedError

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until no other session is connected to the database: a killed client's
        server session may still be finishing what it was sent (a COMMIT) for a moment,
        and what the test reads must come after it."""
        deadline = time.monotonic() + timeout
        while self._others() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not self._others(), "a session of the deploy is still connected"

    def _others(self) -> int:
        raise NotImplementedError

    def drop(self) -> None:
        raise NotImplementedError

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def terminate_connections(self) -> int:
        """End every other session on the database, as an administrator would; how many."""
        raise NotImplementedError

    def tables(self) -> dict[str, int]:
        """Every table of the database but dbci's own, with its row count."""
        raise NotImplementedError

    def history(self) -> History:
        if "flyway_schema_history" not in self._all_tables():
            return History([])
        rows = self.query(
            "SELECT version, success FROM flyway_schema_history "
            "WHERE type <> 'SCHEMA' ORDER BY installed_rank"
        )
        return History([(v, bool(ok)) for v, ok in rows])

    def _all_tables(self) -> set[str]:
        raise NotImplementedError

    def migrations(self, count: int, sleep_ms: int) -> dict[str, str]:
        """The scenario's files: the seed and `count` table migrations after it."""
        raise NotImplementedError


class PostgresTarget(DeployTarget):
    """A database on the suite's PostgreSQL server."""

    engine = "postgresql"

    def __init__(self, cluster: PgCluster) -> None:
        self.cluster = cluster
        self.name = f"dbci_t_rel_{secrets.token_hex(4)}"
        self.url = cluster.database_url(self.name)
        self.build_url = cluster.database_url(self.name + "_b")
        self._conn: Any = None
        for name in (self.name, self.name + "_b"):
            cluster.admin_connection().execute(f'CREATE DATABASE "{name}"')

    def reset(self) -> None:
        # Faster than a new database (which PostgreSQL writes whole to its WAL); the schema
        # stays, with the owner and grants a new database gives it.
        self.settle()
        names = ", ".join(f'"{n}"' for n in self._all_tables())
        if names:
            self.query(f"DROP TABLE {names} CASCADE")

    def drop(self) -> None:
        self._close()
        self.cluster.drop_database(self.name)
        self.cluster.drop_database(self.name + "_b")

    def _others(self) -> int:
        rows = self.cluster.admin_connection().execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> %s",
            [self.name, self._connection().info.backend_pid],
        )
        return int(rows.fetchone()[0])

    def _connection(self) -> Any:
        from support.postgres import connect

        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = connect(self.url, autocommit=True)
        return self._conn

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        cursor = self._connection().execute(sql)
        return list(cursor.fetchall()) if cursor.description else []

    def terminate_connections(self) -> int:
        rows = self.cluster.admin_connection().execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> %s",
            [self.name, self._connection().info.backend_pid],
        )
        return int(rows.fetchone()[0])

    def _all_tables(self) -> set[str]:
        rows = self.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {r[0] for r in rows}

    def tables(self) -> dict[str, int]:
        names = sorted(self._all_tables() - {"flyway_schema_history", "dbci_snapshot_history"})
        return {n: self.query(f'SELECT count(*) FROM "{n}"')[0][0] for n in names}

    def migrations(self, count: int, sleep_ms: int) -> dict[str, str]:
        files = {
            "V1__seed.sql": (
                "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);\n"
                "INSERT INTO customers SELECT g, 'c' || g "
                f"FROM generate_series(1, {SEED_ROWS}) g;\n"
            )
        }
        for k in range(2, count + 2):
            files[f"V{k}__m{k}.sql"] = (
                f"CREATE TABLE m{k} (id int PRIMARY KEY, customer int REFERENCES customers);\n"
                f"INSERT INTO m{k} SELECT g, g FROM generate_series(1, {ROWS_PER_TABLE}) g;\n"
                f"SELECT pg_sleep({sleep_ms / 1000});\n"
                f"CREATE INDEX m{k}_customer ON m{k} (customer);\n"
            )
        return files


class MySQLTarget(DeployTarget):
    """A database on the suite's MariaDB server."""

    engine = "mysql"

    def __init__(self, server: Any) -> None:
        self.server = server
        self.name = f"dbci_t_rel_{secrets.token_hex(4)}"
        self.url = server.database_url(self.name)
        self.build_url = server.database_url(self.name + "_b")
        self._conn: Any = None
        for name in (self.name, self.name + "_b"):
            server.execute(f"CREATE DATABASE `{name}`")

    def reset(self) -> None:
        self.settle()
        self._close()
        self.server.execute(f"DROP DATABASE IF EXISTS `{self.name}`")
        self.server.execute(f"CREATE DATABASE `{self.name}`")

    def drop(self) -> None:
        self._close()
        self.terminate_connections()
        for name in (self.name, self.name + "_b"):
            self.server.execute(f"DROP DATABASE IF EXISTS `{name}`")

    def _others(self) -> int:
        mine = self._conn.thread_id() if self._conn is not None and self._conn.open else 0
        rows = self.server.execute(
            "SELECT count(*) FROM information_schema.processlist "
            f"WHERE db = '{self.name}' AND id NOT IN (CONNECTION_ID(), {int(mine)})"
        )
        return int(rows[0][0])

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self._conn is None or not self._conn.open:
            self._conn = self.server.connect(self.name)
        with self._conn.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())

    def terminate_connections(self) -> int:
        admin = self.server.connect()
        try:
            with admin.cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM information_schema.processlist "
                    "WHERE db = %s AND id <> CONNECTION_ID()",
                    [self.name],
                )
                ids = [r[0] for r in cursor.fetchall()]
                ended = 0
                for ident in ids:
                    try:
                        cursor.execute(f"KILL CONNECTION {int(ident)}")
                        ended += 1
                    except Exception:  # noqa: BLE001 - it ended on its own meanwhile
                        pass
                return ended
        finally:
            admin.close()

    def _all_tables(self) -> set[str]:
        rows = self.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
        )
        return {r[0] for r in rows}

    def tables(self) -> dict[str, int]:
        names = sorted(self._all_tables() - {"flyway_schema_history", "dbci_snapshot_history"})
        return {n: self.query(f"SELECT count(*) FROM `{n}`")[0][0] for n in names}

    def migrations(self, count: int, sleep_ms: int) -> dict[str, str]:
        files = {
            "V1__seed.sql": (
                "CREATE TABLE customers (id int PRIMARY KEY, name varchar(20) NOT NULL);\n"
                "INSERT INTO customers (id, name) WITH RECURSIVE seq (n) AS (SELECT 1 UNION ALL "
                f"SELECT n + 1 FROM seq WHERE n < {SEED_ROWS}) SELECT n, concat('c', n) FROM seq;\n"
            )
        }
        for k in range(2, count + 2):
            files[f"V{k}__m{k}.sql"] = (
                f"CREATE TABLE IF NOT EXISTS m{k} (id int PRIMARY KEY, customer int, "
                "FOREIGN KEY (customer) REFERENCES customers (id));\n"
                f"INSERT IGNORE INTO m{k} SELECT id, id FROM customers WHERE id <= "
                f"{ROWS_PER_TABLE};\n"
                f"DO SLEEP({sleep_ms / 1000});\n"
                f"CREATE INDEX IF NOT EXISTS m{k}_customer ON m{k} (customer);\n"
            )
        return files


def lost_data(target: DeployTarget, *, failed_rows_count: bool = False) -> list[str]:
    """What the target lost or made up: a migration recorded as successful without all its
    rows, a table (or a row of it) without a successful record, the seed's rows gone. On an
    engine without transactional DDL, `failed_rows_count` lets a failed record stand for
    the effect of a migration that was interrupted (it is what `repair` then removes)."""
    history = target.history()
    tables = target.tables()
    recorded = set(history.successes())
    if failed_rows_count:
        recorded |= set(history.failures())
    problems = []
    for version in history.successes():
        table = "customers" if version == "1" else f"m{version}"
        rows = SEED_ROWS if version == "1" else ROWS_PER_TABLE
        if tables.get(table) != rows:
            problems.append(f"V{version} recorded, but {table} has {tables.get(table)} rows")
    for table, count in tables.items():
        version = "1" if table == "customers" else table.removeprefix("m")
        if version not in recorded:
            problems.append(f"{table} ({count} rows) exists without a record of V{version}")
    return problems


def start_deploy(root: Path) -> subprocess.Popen[str]:
    """`dbci deploy -e target` of the scenario's project, started as a user starts it."""
    return subprocess.Popen(
        [sys.executable, "-m", "dbci", "--project", str(root), "-e", "target", "deploy"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def write_scenario(root: Path, target: DeployTarget, count: int, sleep_ms: int) -> Path:
    """The scenario's project: its migrations, and `target` (and its `build` environment, a
    database beside it that each rebuild cleans) in its dbci.toml."""
    from support.projects import write_project

    toml = (
        f'[environments.target]\nurl = "{target.url}"\n'
        f'[environments.build]\nurl = "{target.build_url}"\nprovisioner = "clean"\n'
        # Eight deploys queue for one lock: the last may wait longer than Flyway's default
        # 50 tries on a loaded machine, and giving up is not what these scenarios test.
        "[flyway]\nconnectTimeout = 5\nlockRetryCount = -1\n"
    )
    return write_project(root, target.migrations(count, sleep_ms), toml)
