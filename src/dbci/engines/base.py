"""What dbci needs of a database engine, over one DBAPI connection.

The connection runs in autocommit and dbci issues BEGIN/COMMIT itself: a migration
and its history row commit together, and statements that cannot run inside a
transaction run outside one. Scripts go through the cursor without parameters, so
`%` and `?` in a script mean what they mean to the database, not to the driver.
Each engine (PostgreSQL, SQLite, later MySQL and SQL Server) is one subclass, which
connects with its driver directly: SQLAlchemy is imported only by the commands that
reflect schemas, because its import alone costs more than a typical migration run.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from dbci.errors import DatabaseUnavailable, DbciError
from dbci.sqlsplit import Statement, leading_words, split_statements, terminated
from dbci.urls import DatabaseUrl

# A `:name` parameter in dbci's own queries (not a `::type` cast).
_NAMED_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@dataclass(frozen=True)
class StatementError:
    """A database's complaint about one statement."""

    message: str
    offset: int | None = None  # 0-based character offset into the statement, when known
    connection_lost: bool = False


class StatementFailure(Exception):
    """A statement of a script failed; `statement` is None when the engine cannot tell which."""

    def __init__(self, statement: Statement | None, error: StatementError) -> None:
        super().__init__(error.message)
        self.statement = statement
        self.error = error


class Database:
    """A live connection to one database plus its engine's rules."""

    dialect: ClassVar[str] = "generic"
    display_name: ClassVar[str] = "database"
    transactional_ddl: ClassVar[bool] = True
    begin_sql: ClassVar[str] = "BEGIN"
    # Whether the engine takes many statements in one message, dbci's history rows written
    # as literals (see literal()): then runs of migrations go in batches (runner.apply_all).
    batch_migrations: ClassVar[bool] = False
    # How the driver marks a named parameter: "named" (`:x`) or "pyformat" (`%(x)s`).
    paramstyle: ClassVar[str] = "named"

    def __init__(self, dbapi: Any, *, url: DatabaseUrl, where: str) -> None:
        self.dbapi = dbapi
        self.url = url
        self.where = where
        self.url_text = url.masked()

    @classmethod
    def connect(cls, url: DatabaseUrl, *, where: str, connect_timeout: int) -> Database:
        """Open a connection in autocommit, or raise `DatabaseUnavailable` (exit 3)."""
        raise NotImplementedError

    # ---- identity -------------------------------------------------------------------
    def quote(self, name: str) -> str:
        """Quote an identifier."""
        return '"' + name.replace('"', '""') + '"'

    def qualified(self, schema: str, name: str) -> str:
        """`"schema"."name"`, as Flyway writes a table."""
        return f"{self.quote(schema)}.{self.quote(name)}"

    def server_version(self) -> str:
        raise NotImplementedError

    def current_user(self) -> str:
        raise NotImplementedError

    def database_name(self) -> str:
        raise NotImplementedError

    def current_schema(self) -> str:
        raise NotImplementedError

    def schema_exists(self, schema: str) -> bool:
        raise NotImplementedError

    def create_schema_sql(self, schema: str) -> str:
        """The statement that creates a schema."""
        raise NotImplementedError

    def create_schema(self, schema: str) -> None:
        self.execute(self.create_schema_sql(schema))

    def use_schema_sql(self, schema: str) -> str | None:
        """The statement that makes `schema` where unqualified names resolve, or None."""
        return None

    def use_schema(self, schema: str) -> None:
        """Make `schema` where unqualified names resolve, as Flyway does."""
        sql = self.use_schema_sql(schema)
        if sql is not None:
            self.execute(sql)

    def table_exists(self, schema: str, table: str) -> bool:
        raise NotImplementedError

    def create_database_sql(self, name: str) -> str:
        """The statement that creates a database on this server (create-database builds)."""
        return f"CREATE DATABASE {self.quote(name)}"

    def drop_database_sql(self, name: str) -> str:
        """The statement that drops a build database, whoever is still connected to it."""
        return f"DROP DATABASE IF EXISTS {self.quote(name)}"

    def history_table_ddl(self, schema: str, table: str) -> list[str]:
        """Statements that create Flyway's history table in this engine's form."""
        raise NotImplementedError

    # ---- execution -------------------------------------------------------------------
    def split(self, script: str) -> list[Statement]:
        """Split a script into statements by this engine's rules."""
        return split_statements(script, self.dialect)

    def script_statement(self, sql: str) -> str:
        """One statement as a script file writes it, for the engine's own client to run."""
        return terminated(sql)

    def needs_autocommit(self, statement: Statement) -> bool:
        """True for a statement that cannot run inside dbci's transaction.

        Every engine: a script's own transaction control (`BEGIN; … COMMIT;`), which
        means the script manages its transactions itself. Engines add their own.
        """
        return is_transaction_control(first_words(statement, 2))

    def execute(self, sql: str) -> None:
        """Run one statement exactly as written (no parameter processing)."""
        cursor = self.dbapi.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()

    def run_each(self, statements: Sequence[Statement]) -> None:
        """Run statements one at a time; the first failure raises `StatementFailure`."""
        for statement in statements:
            try:
                self.execute(statement.sql)
            except Exception as exc:
                raise StatementFailure(statement, self.describe_error(exc)) from exc

    def literal(self, value: Any) -> str:
        """`value` as a SQL literal, for SQL that dbci writes out (batches, dry runs).

        Standard SQL: strings in single quotes with quotes doubled. Engines whose
        strings also take backslash escapes override it.
        """
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, int):
            return str(value)
        return "'" + str(value).replace("'", "''") + "'"

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Run a statement of dbci's own, with `:name` parameters, and return its rows."""
        cursor = self.dbapi.cursor()
        try:
            if params:
                if self.paramstyle == "pyformat":
                    sql = _NAMED_PARAMETER.sub(r"%(\1)s", sql.replace("%", "%%"))
                cursor.execute(sql, params)
            else:
                cursor.execute(sql)
            return cursor.fetchall() if cursor.description is not None else []
        finally:
            cursor.close()

    def begin(self) -> None:
        self.execute(self.begin_sql)

    def commit(self) -> None:
        self.execute("COMMIT")

    def rollback(self) -> None:
        """Roll back; a connection that is already gone has nothing to roll back."""
        with contextlib.suppress(Exception):
            self.execute("ROLLBACK")

    def describe_error(self, exc: BaseException) -> StatementError:
        """The database's message for a failed statement, in one line."""
        return StatementError(str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc))

    # ---- locking -----------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, schema: str, table: str, on_wait: Any = None) -> Iterator[None]:
        """Hold the migration lock for this database: one dbci (or Flyway) at a time."""
        yield

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.dbapi.close()

    @contextlib.contextmanager
    def losing_connection(self) -> Iterator[None]:
        """Turn the driver's error for a connection that dropped (the server restarted,
        an administrator ended the session) into `DatabaseUnavailable` (exit 3, one line),
        wherever in the body it is raised; other errors pass through unchanged."""
        try:
            yield
        except DbciError:
            raise
        except Exception as exc:
            if self.describe_error(exc).connection_lost:
                raise self.lost(exc) from None
            raise

    def lost(self, exc: BaseException) -> DatabaseUnavailable:
        """The error for a connection that dropped mid-run."""
        return DatabaseUnavailable(
            f"lost the connection to {self.where}: {self.describe_error(exc).message}"
        )


def is_transaction_control(words: list[str]) -> bool:
    """`BEGIN`, `START TRANSACTION`, `COMMIT`, `END`, `ROLLBACK` (not `ROLLBACK TO`), `ABORT`."""
    if not words:
        return False
    head, rest = words[0], words[1:2]
    if head in ("BEGIN", "COMMIT", "END", "ABORT"):
        return True
    if head == "START":
        return rest == ["TRANSACTION"]
    if head == "ROLLBACK":
        return rest != ["TO"]
    return False


def first_words(statement: Statement, count: int = 4) -> list[str]:
    """The statement's first words, upper-cased, comments skipped."""
    return leading_words(statement.sql, count)


def line_offset(sql: str, line: int) -> int | None:
    """The offset of 1-based `line`'s start in `sql`, or None past its end."""
    if line < 1:
        return None
    offset = 0
    for _ in range(line - 1):
        offset = sql.find("\n", offset) + 1
        if offset == 0:
            return None
    return offset
