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
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from dbci import cancel
from dbci.errors import DatabaseUnavailable, DbciError, GateFailed
from dbci.migrate.locking import NO_WAIT_LIMITS, LockPolicy, LockWait
from dbci.migrate.locking import Session as OtherSession
from dbci.settings.urls import DatabaseUrl
from dbci.sqlsplit import (
    Statement,
    leading_words,
    split_statements,
    split_windows,
    terminated,
)

if TYPE_CHECKING:
    from dbci.migrate.lockwatch import LockWatch

# A `:name` parameter in dbci's own queries (not a `::type` cast).
_NAMED_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@dataclass(frozen=True)
class StatementError:
    """A database's complaint about one statement."""

    message: str
    offset: int | None = None  # 0-based character offset into the statement, when known
    connection_lost: bool = False
    # The statement could not get a lock in time (a lock timeout, a deadlock): nothing of
    # it happened, and it may be tried again.
    lock_timeout: bool = False
    # The server cancelled it on request (a signal's cancel, a DBA's pg_cancel_backend) or
    # because it ran past statement_timeout.
    cancelled: bool = False
    # The script line it failed at, when the engine knows it better than an offset into
    # the statement: a bad data row of a COPY … FROM STDIN.
    line: int | None = None


class StatementFailure(Exception):
    """A statement of a script failed; `statement` is None when the engine cannot tell which."""

    def __init__(self, statement: Statement | None, error: StatementError) -> None:
        super().__init__(error.message)
        self.statement = statement
        self.error = error
        self.attempts = 1  # tries it had, after lock timeouts (dbci.migrate.locking)


class ScriptFailure(Exception):
    """A statement of a script sent by `run_script` failed: the index of its part, what
    the server said (its offset within that part), and how many parts had completed (all
    before it, or fewer: PostgreSQL parses a whole message before it runs any of it)."""

    def __init__(self, index: int, error: StatementError, completed: int | None = None) -> None:
        super().__init__(error.message)
        self.index = index
        self.error = error
        self.completed = index if completed is None else completed


@dataclass(frozen=True)
class Notice:
    """What the server said about a statement that did not fail: PostgreSQL's `RAISE
    NOTICE`/`WARNING`, a MySQL warning or note. `part`: within `run_script`, the first part
    whose answer had not been collected when it came (None elsewhere): the part that raised
    it, or the one before, when the driver read the notice ahead of that part's answer."""

    message: str
    sql_state: str = ""  # "" when the driver gives none (MariaDB Connector/J's warnings)
    error_code: int = 0
    part: int | None = None

    def flyway_text(self) -> str:
        """The console line, as Flyway's `DefaultSqlScriptExecutor.printWarnings` logs a
        JDBC `SQLWarning`: state 00000 at INFO (`DB: <message>`), any other at WARN, which
        Flyway's console prints after `WARNING: `."""
        if self.sql_state == "00000":
            return f"DB: {self.message}"
        return (
            f"WARNING: DB: {self.message} (SQL State: {self.sql_state} - "
            f"Error Code: {self.error_code})"
        )


class Database:
    """A live connection to one database plus its engine's rules."""

    dialect: ClassVar[str] = "generic"
    display_name: str = "database"  # per connection: a MySQL connection may be MariaDB
    transactional_ddl: ClassVar[bool] = True
    begin_sql: ClassVar[str] = "BEGIN"
    # Whether the engine takes many statements in one message, dbci's history rows written
    # as literals (see literal()): then runs of migrations go in batches (batches.apply_all).
    batch_migrations: ClassVar[bool] = False
    # How the driver marks a named parameter: "named" (`:x`) or "pyformat" (`%(x)s`).
    paramstyle: ClassVar[str] = "named"
    # Whether the server tells who holds a lock a session waits for (describe_lock_wait).
    watches_lock_waits: ClassVar[bool] = False

    def __init__(self, dbapi: Any, *, url: DatabaseUrl, where: str) -> None:
        self.dbapi = dbapi
        self.url = url
        self.where = where
        self.url_text = url.masked()
        # How statements wait for locks (open_session sets the run's), and where a retry
        # after a lock timeout is announced.
        self.lock_policy: LockPolicy = NO_WAIT_LIMITS
        self.notify: Callable[[str], None] = lambda _text: None
        self.lock_watch: LockWatch | None = None
        # When the statement running now started (time.monotonic), else None; and when the
        # last one did: the lock watcher's view of this connection.
        self.running_since: float | None = None
        self.last_started: float | None = None
        # What the server said about the migrations' statements (engines that hear it).
        self.notices: list[Notice] = []
        # The default schema dbci made current (use_schema): restore_state_statements goes
        # back to it; None until then (it may not exist yet).
        self.restore_schema: str | None = None
        cancel.register(self)

    def take_notices(self) -> list[Notice]:
        """The notices heard since the last call, which forgets them."""
        taken, self.notices = self.notices, []
        return taken

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

    def user_schemas(self) -> list[str]:
        """The schemas a snapshot reads when none are configured: every schema that is
        neither the system's nor an extension's, sorted. An engine whose schema is its
        database (MySQL, SQLite's `main`) has the current one."""
        return [self.current_schema()]

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
        self.restore_schema = schema

    # ---- the session's original state ------------------------------------------------------
    # Flyway puts the connection back as it was before each migration and callback
    # (DbMigrate.doMigrateGroup, DefaultCallbackExecutor.execute: restoreOriginalState() and
    # changeCurrentSchemaTo(schema)) and before each history row
    # (JdbcTableSchemaHistory.doAddAppliedMigration): a migration's `SET search_path`, `USE`
    # or `SET ROLE` lasts for that migration only, batched or not.
    def capture_state(self) -> None:
        """Remember the session's original state (its role, …), at session start before
        any script ran. Nothing by default."""

    def restore_state_statements(self) -> list[str]:
        """The statements that put the session back in its original state, in the default
        schema once dbci made it current (`use_schema`); none on engines with nothing to
        restore. They change nothing when nothing changed, so they are sent unconditionally:
        a DO block or a function can change the session where no splitter sees it."""
        return []

    def restore_state(self) -> None:
        """Run `restore_state_statements` (before a migration, a callback, a history row)."""
        for sql in self.restore_state_statements():
            self.execute(sql)

    def table_exists(self, schema: str, table: str) -> bool:
        raise NotImplementedError

    def row_estimates(self, tables: Sequence[str], schema: str) -> dict[str, int | None]:
        """Each table's row count as the catalog's statistics estimate it (never read from
        the table itself), keyed by the name as given; an unqualified name is in `schema`.
        A table the catalog does not know, or has no estimate for, is None; an engine with
        no such statistics (SQLite) gives none at all."""
        return {}

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

    def split_raw(self, data: bytes) -> list[Statement]:
        """`split` of a large script's UTF-8 bytes, decoded a window at a time."""
        return split_windows(data, self.dialect)

    def script_statement(self, sql: str) -> str:
        """One statement as a script file writes it, for the engine's own client to run."""
        return terminated(sql)

    def needs_autocommit(self, statement: Statement) -> bool:
        """True for a statement that cannot run inside dbci's transaction.

        Every engine: a script's own transaction control (`BEGIN; … COMMIT;`), which
        means the script manages its transactions itself. Engines add their own.
        """
        if not statement.head(8).upper().startswith(_TRANSACTION_WORDS):
            return False  # most statements, decided without reading further
        return is_transaction_control(first_words(statement, 2))

    def execute(self, sql: str) -> None:
        """Run one statement exactly as written (no parameter processing)."""
        with self.calling():
            cursor = self.dbapi.cursor()
            try:
                cursor.execute(sql)
            finally:
                cursor.close()

    @contextlib.contextmanager
    def calling(self) -> Iterator[None]:
        """Around every call to the server: none starts once the run is cancelled (but in a
        clean-up), a signal never cuts one in two, and the lock watcher sees how long it
        runs."""
        cancel.check()
        started = time.monotonic()
        self.running_since = self.last_started = started
        try:
            with cancel.shielded():
                yield
        finally:
            self.running_since = None

    def run_each(self, statements: Sequence[Statement]) -> None:
        """Run statements one at a time; the first failure raises `StatementFailure`."""
        for statement in statements:
            try:
                self.execute(statement.sql)
            except Exception as exc:
                raise StatementFailure(statement, self.describe_error(exc)) from exc

    def run_script(self, parts: Sequence[str | Statement]) -> None:
        """Run `parts` (one statement each) in order; raise `ScriptFailure` at the first
        that fails. Engines that take many statements in one message send them so."""
        for index, part in enumerate(parts):
            try:
                self.execute(part if isinstance(part, str) else part.sql)
            except Exception as exc:
                raise ScriptFailure(index, self.describe_error(exc)) from exc

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
        with self.calling():
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
        """Roll back; a connection that is already gone has nothing to roll back. Runs to
        its end after a signal too: it is how a cancelled migration is undone."""
        with cancel.cleaning_up(), contextlib.suppress(Exception):
            self.execute("ROLLBACK")

    def describe_error(self, exc: BaseException) -> StatementError:
        """The database's message for a failed statement, in one line."""
        return StatementError(str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc))

    # ---- locking -----------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(
        self,
        schema: str,
        table: str,
        on_wait: Callable[[], None] | None = None,
        retry_count: int = -1,
    ) -> Iterator[None]:
        """Hold the migration lock for this database: one dbci (or Flyway) at a time.

        Each try waits up to a second (`try_lock`); after `retry_count` more tries (Flyway's
        `lockRetryCount`; -1: forever) the run gives up naming the session that holds it."""
        name = self.lock_name(schema, table)
        if name is None:
            yield
            return
        tries = 0
        while not self.try_lock(name, 0 if tries == 0 else 1.0):
            if tries == 0 and on_wait:
                on_wait()
            if 0 <= retry_count <= tries:
                holder = None
                with contextlib.suppress(Exception):
                    holder = self.lock_holder(name)
                held = holder.describe() if holder else "another session"
                raise GateFailed(
                    f"{self.where}: the migration lock of {self.qualified(schema, table)} is held "
                    f"by {held}: "
                    f"gave up after {retry_count} retr{'y' if retry_count == 1 else 'ies'} a "
                    "second apart (lockRetryCount; -1 waits forever)"
                )
            tries += 1
        try:
            yield
        finally:
            with cancel.cleaning_up(), contextlib.suppress(Exception):
                self.unlock(name)

    def lock_name(self, schema: str, table: str) -> str | None:
        """The migration lock's name for this history table; None: the engine has none."""
        return None

    def try_lock(self, name: str, wait_seconds: float) -> bool:
        """Take the migration lock, waiting up to `wait_seconds` for it; False if not."""
        return True

    def unlock(self, name: str) -> None:
        """Release the migration lock."""

    def lock_holder(self, name: str) -> OtherSession | None:
        """The session that holds the migration lock, as far as the server tells."""
        return None

    # ---- lock waits and cancellation -----------------------------------------------------
    def timeout_statements(self, policy: LockPolicy) -> list[str]:
        """The statements that bound this session's lock waits (and statements) per
        `policy`: run at the start of a writing session and again before each migration,
        so that a migration's own SET lasts for that migration only."""
        return []

    def apply_timeouts(self, policy: LockPolicy) -> None:
        """Bound this session's lock waits and statements per `policy` from now on."""
        self.lock_policy = policy
        for sql in self.timeout_statements(policy):
            self.execute(sql)

    def backend_id(self) -> str | None:
        """This connection's session on the server (pid, connection id), for the lock
        watcher and for `cancel_running`."""
        return None

    def describe_lock_wait(self, backend: str) -> LockWait | None:
        """On a side connection: the lock session `backend` waits for now, and who holds
        it; None when it waits for no lock."""
        return None

    def cancel_running(self) -> None:
        """Ask the server to cancel the statement this connection runs (from another
        thread: the signal's). Nothing by default."""

    def close(self) -> None:
        cancel.unregister(self)
        if self.lock_watch is not None:
            self.lock_watch.close()
            self.lock_watch = None
        with contextlib.suppress(Exception):
            self.dbapi.close()

    @contextlib.contextmanager
    def losing_connection(self) -> Iterator[None]:
        """Turn the driver's error for a connection that dropped (the server restarted,
        an administrator ended the session) into `DatabaseUnavailable` (exit 3, one line),
        and any other refusal of the database's (a permission it does not grant, a catalog
        it cannot read) into one line naming the database, the object and the login (exit
        1), wherever in the body it is raised; other errors pass through unchanged."""
        try:
            yield
        except DbciError:
            raise
        except Exception as exc:
            driver_error = self._driver_error(exc)
            if driver_error is None:
                raise
            error = self.describe_error(driver_error)
            if error.connection_lost:
                raise self.lost(driver_error) from None
            login = f'user "{self.url.username}"' if self.url.username else "the default login"
            raise GateFailed(f"{self.where}: {error.message} (as {login})") from None

    # The driver's error classes (psycopg.Error, …): what the database itself refused.
    driver_error_module: ClassVar[str] = ""

    def _driver_error(self, exc: BaseException) -> BaseException | None:
        """This engine's driver's own error in `exc` (SQLAlchemy wraps it), or None."""
        found = driver_error(exc)
        if found is None or not self.driver_error_module:
            return None
        module, error = found
        return error if module == self.driver_error_module else None

    def lost(self, exc: BaseException) -> DatabaseUnavailable:
        """The error for a connection that dropped mid-run."""
        return DatabaseUnavailable(
            f"lost the connection to {self.where}: {self.describe_error(exc).message}"
        )


# The database drivers' modules: an error raised in one of them is the database's answer.
DRIVER_MODULES = frozenset({"psycopg", "pymysql", "sqlite3", "pyodbc"})


def driver_error(exc: BaseException) -> tuple[str, BaseException] | None:
    """(the driver's module, its error) when `exc` is a database driver's error (SQLAlchemy
    wraps one as `.orig`), else None."""
    if type(exc).__module__.startswith("sqlalchemy"):
        exc = getattr(exc, "orig", None) or exc
    module = type(exc).__module__.split(".")[0].lstrip("_")
    # SQLAlchemy's own (a database error it could not wrap) counts as the database's too.
    return (module, exc) if module in DRIVER_MODULES or module == "sqlalchemy" else None


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


# The first words of the statements that control a transaction (is_transaction_control).
_TRANSACTION_WORDS = ("BEGIN", "COMMIT", "END", "ABORT", "START", "ROLLBACK")
# How much of a statement its first words are looked for in (a large INSERT is not copied).
_HEAD = 4096


def first_words(statement: Statement, count: int = 4) -> list[str]:
    """The statement's first words, upper-cased, comments skipped."""
    words = leading_words(statement.head(_HEAD), count)
    if len(words) < count and len(statement) > _HEAD:  # comments longer than the head
        words = leading_words(statement.sql, count)
    return words


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
