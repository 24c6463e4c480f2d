"""SQLite, the embedded default: one file, transactional DDL, a file lock for runs."""

from __future__ import annotations

import dataclasses
import getpass
import hashlib
import tempfile
from pathlib import Path
from typing import Any, ClassVar

from dbci.engines.base import Database, StatementError, first_words
from dbci.errors import DatabaseUnavailable
from dbci.migrate.locking import LockPolicy, milliseconds
from dbci.settings.urls import DatabaseUrl
from dbci.sqlsplit import Statement


class SQLiteDatabase(Database):
    """SQLite through the standard library's sqlite3."""

    dialect: ClassVar[str] = "sqlite"
    display_name: str = "SQLite"
    driver_error_module: ClassVar[str] = "sqlite3"

    def __init__(self, dbapi: Any, *, url: DatabaseUrl, where: str) -> None:
        super().__init__(dbapi, url=url, where=where)
        self._file_locks: dict[str, Any] = {}

    @classmethod
    def connect(cls, url: DatabaseUrl, *, where: str, connect_timeout: int) -> Database:
        import sqlite3

        database = url.database or ":memory:"
        is_uri = database.startswith("file:")
        try:
            if database != ":memory:" and not is_uri:
                # The embedded default should just work: make the file's folder.
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                database,
                timeout=30,  # wait for another writer's transaction to end
                isolation_level=None,  # autocommit: dbci issues BEGIN/COMMIT itself
                uri=is_uri,
            )
        except (OSError, sqlite3.Error) as exc:
            raise DatabaseUnavailable(f"cannot open {where}: {exc}") from None
        return cls(connection, url=url, where=where)

    def server_version(self) -> str:
        import sqlite3

        return sqlite3.sqlite_version

    def current_user(self) -> str:
        # SQLite has no users; record who ran it, as Flyway records the login.
        try:
            return getpass.getuser()
        except Exception:
            return "sqlite"

    def database_name(self) -> str:
        return Path(self.url.database or "memory").stem

    def current_schema(self) -> str:
        return "main"

    def schema_exists(self, schema: str) -> bool:
        rows = self.query("SELECT name FROM pragma_database_list")
        return schema in {row[0] for row in rows}

    def create_schema_sql(self, schema: str) -> str:
        from dbci.errors import InputError

        raise InputError(
            f'{self.where}: SQLite has no schema {schema!r}: use schemas = ["main"] or none'
        )

    def table_exists(self, schema: str, table: str) -> bool:
        if not self.schema_exists(schema):  # <schema>.sqlite_master is an error, not "no"
            return False
        rows = self.query(
            f"SELECT 1 FROM {self.quote(schema)}.sqlite_master WHERE type = 'table' AND name = :t",
            {"t": table},
        )
        return bool(rows)

    def history_table_ddl(self, schema: str, table: str) -> list[str]:
        return [
            f"CREATE TABLE {self.qualified(schema, table)} (\n"
            '    "installed_rank" INT NOT NULL PRIMARY KEY,\n'
            '    "version" VARCHAR(50),\n'
            '    "description" VARCHAR(200) NOT NULL,\n'
            '    "type" VARCHAR(20) NOT NULL,\n'
            '    "script" VARCHAR(1000) NOT NULL,\n'
            '    "checksum" INT,\n'
            '    "installed_by" VARCHAR(100) NOT NULL,\n'
            "    \"installed_on\" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')),\n"
            '    "execution_time" INT NOT NULL,\n'
            '    "success" BOOLEAN NOT NULL\n'
            ")",
            f"CREATE INDEX {self.qualified(schema, table + '_s_idx')} ON {self.quote(table)} "
            '("success")',
        ]

    def needs_autocommit(self, statement: Statement) -> bool:
        return super().needs_autocommit(statement) or first_words(statement, 1) == ["VACUUM"]

    # ---- lock waits and cancellation ---------------------------------------------------
    def timeout_statements(self, policy: LockPolicy) -> list[str]:
        # SQLite's lock wait is its busy timeout: how long a write waits for another
        # connection's transaction on the file.
        if policy.lock_timeout <= 0:
            return []
        return [f"PRAGMA busy_timeout = {milliseconds(policy.lock_timeout)}"]

    def cancel_running(self) -> None:
        if self.running_since is not None:
            self.dbapi.interrupt()  # thread-safe: the running statement ends "interrupted"

    def describe_error(self, exc: BaseException) -> StatementError:
        error = super().describe_error(exc)
        text = str(exc).lower()
        return dataclasses.replace(
            error,
            lock_timeout="database is locked" in text or "database table is locked" in text,
            cancelled=text.strip() == "interrupted",
        )

    # ---- the migration lock --------------------------------------------------------------
    # SQLite's own locks last one transaction; a run spans many, so two runs on one file
    # serialise on a lock file keyed by the database's path (kept out of the user's
    # folder, in the temp directory).
    def lock_name(self, schema: str, table: str) -> str | None:
        database = self.url.database
        if not database or database == ":memory:":
            return None
        digest = hashlib.sha1(str(Path(database).resolve()).encode()).hexdigest()[:16]
        return str(Path(tempfile.gettempdir()) / f"dbci-sqlite-{digest}.lock")

    def try_lock(self, name: str, wait_seconds: float) -> bool:
        from filelock import FileLock, Timeout

        lock = self._file_locks.setdefault(name, FileLock(name))
        try:
            lock.acquire(timeout=max(0.0, wait_seconds))
        except Timeout:
            return False
        return True

    def unlock(self, name: str) -> None:
        lock = self._file_locks.pop(name, None)
        if lock is not None:
            lock.release()
