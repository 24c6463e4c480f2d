"""PostgreSQL: transactional DDL, advisory locks compatible with Flyway's."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from dbci.engines.base import Database, StatementError, first_words
from dbci.errors import DatabaseUnavailable, InputError
from dbci.sqlsplit import Statement
from dbci.urls import DatabaseUrl

# Flyway's advisory lock key: "Flyway" in ASCII plus Java's String.hashCode of the
# quoted table name, so dbci and Flyway never migrate the same database at once.
_LOCK_MAGIC = (0x46 << 40) + (0x6C << 32) + (0x79 << 24) + (0x77 << 16) + (0x61 << 8) + 0x79


# Every statement that needs autocommit contains one of these words.
_AUTOCOMMIT_HINT = re.compile(r"concurrently|vacuum|system|database|tablespace|subscription", re.I)


def java_string_hash(value: str) -> int:
    """Java's `String.hashCode()` (over UTF-16 code units), as a signed 32-bit int."""
    h = 0
    data = value.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + ((data[i] << 8) | data[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h >= (1 << 31) else h


def flyway_lock_key(qualified_table: str) -> int:
    """The advisory lock number Flyway takes for a history table."""
    return _LOCK_MAGIC + java_string_hash(qualified_table)


class PostgreSQLDatabase(Database):
    """PostgreSQL through psycopg 3."""

    dialect: ClassVar[str] = "postgresql"
    display_name: ClassVar[str] = "PostgreSQL"
    batch_migrations: ClassVar[bool] = True
    paramstyle: ClassVar[str] = "pyformat"

    @classmethod
    def connect(cls, url: DatabaseUrl, *, where: str, connect_timeout: int) -> Database:
        import psycopg

        params: dict[str, Any] = {
            "host": url.host,
            "port": url.port,
            "user": url.username,
            "password": url.password,
            "dbname": url.database,
            "connect_timeout": connect_timeout,
        }
        params.update(url.query_dict())  # sslmode, options, a list of hosts, …
        try:
            connection = psycopg.connect(
                autocommit=True,
                # Migration statements are each run once: psycopg's automatic server-side
                # preparation of repeated queries only adds bookkeeping here.
                prepare_threshold=None,
                **{key: value for key, value in params.items() if value is not None},
            )
        except psycopg.ProgrammingError as exc:  # a connection option libpq does not know
            raise InputError(f"{where}: {_first_line(exc)}") from None
        except psycopg.Error as exc:
            raise DatabaseUnavailable(f"cannot connect to {where}: {_reason(exc)}") from None
        return cls(connection, url=url, where=where)

    def server_version(self) -> str:
        number = int(self.dbapi.info.server_version)
        if number >= 100000:  # PostgreSQL 10 and later: major * 10000 + minor
            return f"{number // 10000}.{number % 10000}"
        return f"{number // 10000}.{number // 100 % 100}.{number % 100}"

    def current_user(self) -> str:
        return str(self.query("SELECT current_user")[0][0])

    def database_name(self) -> str:
        return str(self.query("SELECT current_database()")[0][0])

    def current_schema(self) -> str:
        row = self.query("SELECT current_schema()")[0][0]
        return str(row) if row else "public"

    def schema_exists(self, schema: str) -> bool:
        rows = self.query("SELECT 1 FROM pg_namespace WHERE nspname = :s", {"s": schema})
        return bool(rows)

    def create_schema_sql(self, schema: str) -> str:
        return f"CREATE SCHEMA IF NOT EXISTS {self.quote(schema)}"

    def use_schema_sql(self, schema: str) -> str | None:
        # Flyway puts its default schema first and keeps the rest of the search_path.
        current = str(self.query("SHOW search_path")[0][0])
        if current == schema or current.startswith(schema + ","):
            return None
        path = f"{self.quote(schema)},{current}" if current.strip() else self.quote(schema)
        return f"SELECT set_config('search_path', {self.literal(path)}, false)"

    def table_exists(self, schema: str, table: str) -> bool:
        rows = self.query(
            "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :s AND c.relname = :t AND c.relkind IN ('r', 'p')",
            {"s": schema, "t": table},
        )
        return bool(rows)

    def drop_database_sql(self, name: str) -> str:
        return f"DROP DATABASE IF EXISTS {self.quote(name)} WITH (FORCE)"

    def history_table_ddl(self, schema: str, table: str) -> list[str]:
        qualified = self.qualified(schema, table)
        return [
            f"CREATE TABLE {qualified} (\n"
            '    "installed_rank" INT NOT NULL,\n'
            '    "version" VARCHAR(50),\n'
            '    "description" VARCHAR(200) NOT NULL,\n'
            '    "type" VARCHAR(20) NOT NULL,\n'
            '    "script" VARCHAR(1000) NOT NULL,\n'
            '    "checksum" INTEGER,\n'
            '    "installed_by" VARCHAR(100) NOT NULL,\n'
            '    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),\n'
            '    "execution_time" INTEGER NOT NULL,\n'
            '    "success" BOOLEAN NOT NULL\n'
            ")",
            f"ALTER TABLE {qualified} ADD CONSTRAINT {self.quote(table + '_pk')} "
            'PRIMARY KEY ("installed_rank")',
            f'CREATE INDEX {self.quote(table + "_s_idx")} ON {qualified} ("success")',
        ]

    def needs_autocommit(self, statement: Statement) -> bool:
        if super().needs_autocommit(statement):
            return True
        if not _AUTOCOMMIT_HINT.search(statement.sql):
            return False  # the common case, decided without tokenizing the statement further
        words = first_words(statement, 6)
        if not words:
            return False
        head = words[0]
        if head == "VACUUM":
            return True
        if head in ("CREATE", "DROP") and "INDEX" in words[:3]:
            return "CONCURRENTLY" in words[:4]
        if head == "REINDEX":
            return "CONCURRENTLY" in words or words[1:2] in (["SYSTEM"], ["DATABASE"])
        if head in ("CREATE", "DROP") and words[1:2] in (["DATABASE"], ["TABLESPACE"]):
            return True
        if head in ("CREATE", "DROP") and words[1:2] == ["SUBSCRIPTION"]:
            return True
        if head == "ALTER" and words[1:2] == ["SYSTEM"]:
            return True
        return False

    def literal(self, value: Any) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int):
            return str(value)
        from psycopg.sql import Literal

        return Literal(value).as_string(self.dbapi)

    def describe_error(self, exc: BaseException) -> StatementError:
        import psycopg

        if isinstance(exc, psycopg.OperationalError) and self.dbapi.closed:
            return StatementError(_first_line(exc), connection_lost=True)
        diag = getattr(exc, "diag", None)
        if diag is not None and diag.message_primary:
            message = diag.message_primary
            if diag.sqlstate:
                message = f"{message} (SQLSTATE {diag.sqlstate})"
            offset = int(diag.statement_position) - 1 if diag.statement_position else None
            return StatementError(message, offset)
        return StatementError(_first_line(exc), connection_lost=bool(self.dbapi.closed))

    @contextlib.contextmanager
    def lock(
        self, schema: str, table: str, on_wait: Callable[[], None] | None = None
    ) -> Iterator[None]:
        key = flyway_lock_key(self.qualified(schema, table))
        if not self.query("SELECT pg_try_advisory_lock(:k)", {"k": key})[0][0]:
            if on_wait:
                on_wait()
            self.query("SELECT pg_advisory_lock(:k)", {"k": key})
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                self.query("SELECT pg_advisory_unlock(:k)", {"k": key})


def _reason(exc: BaseException) -> str:
    # libpq repeats its complaint for each address a host name resolves to: keep each once.
    lines = list(dict.fromkeys(line.strip() for line in str(exc).splitlines() if line.strip()))
    return " ".join(lines) if lines else type(exc).__name__


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
