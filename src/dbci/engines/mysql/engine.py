"""MySQL and MariaDB through PyMySQL: no transactional DDL, Flyway's named lock.

A MySQL "schema" is a database, as in Flyway: the history table lives in the default
schema (the URL's database), `CREATE SCHEMA` creates a database and `USE` selects it.

Every DDL statement commits implicitly, so a migration that holds one cannot be rolled
back: such a migration runs statement by statement, and when one fails the runner
records a failed history row, as Flyway does, saying which statements had been applied.
A migration of DML only (INSERT, UPDATE, DELETE, …) still runs in one transaction with
its history row, so it is all or nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

from dbci import cancel
from dbci.engines.base import (
    Database,
    Notice,
    StatementError,
    StatementFailure,
    first_words,
    line_offset,
)
from dbci.engines.postgresql.engine import java_string_hash
from dbci.errors import DatabaseUnavailable, InputError
from dbci.migrate.locking import LockPolicy, LockWait, Session
from dbci.settings.urls import DatabaseUrl
from dbci.sqlsplit import Statement

# The statements that do not commit implicitly: a migration made only of these runs in a
# transaction. Anything else (DDL, GRANT, LOCK TABLES, a CALL whose body may do DDL) is
# taken to commit, which is what MySQL's "statements that cause an implicit commit" says.
_TRANSACTIONAL = frozenset(
    {"INSERT", "UPDATE", "DELETE", "REPLACE", "SELECT", "WITH", "VALUES", "TABLE", "DO", "SET"}
)
# Error codes PyMySQL raises when the server went away or the link broke.
_CONNECTION_LOST = frozenset({2006, 2013, 2014, 2045, 2055, 0})
# "... near 'x' at line 3": the line of the statement the server stopped at.
_AT_LINE = re.compile(r"' at line (\d+)\b")
# A lock not granted in time (lock_wait_timeout, innodb_lock_wait_timeout), a deadlock.
_LOCK_NOT_AVAILABLE = frozenset({1205, 1213})
# A statement interrupted: KILL QUERY (1317), MySQL's max_execution_time (3024), MariaDB's
# max_statement_time (1969).
_INTERRUPTED = frozenset({1317, 3024, 1969})
# The table a statement locks first, from its head: what a metadata lock wait is for.
_NAME = r"(`(?:[^`]|``)+`|[\w$]+)(?:\s*\.\s*(`(?:[^`]|``)+`|[\w$]+))?"
_STATEMENT_TABLE = re.compile(
    r"^\s*(?:ALTER\s+(?:ONLINE\s+|IGNORE\s+)*TABLE|DROP\s+TABLE(?:\s+IF\s+EXISTS)?"
    r"|TRUNCATE(?:\s+TABLE)?|RENAME\s+TABLE|OPTIMIZE\s+TABLE|LOCK\s+TABLES?"
    r"|CREATE\s+(?:OR\s+REPLACE\s+)?(?:UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?INDEX\s+"
    r"(?:IF\s+NOT\s+EXISTS\s+)?\S+\s+ON|DROP\s+INDEX\s+(?:IF\s+EXISTS\s+)?\S+\s+ON"
    r"|INSERT(?:\s+IGNORE)?(?:\s+INTO)?|REPLACE(?:\s+INTO)?|UPDATE|DELETE\s+FROM"
    r"|CREATE\s+(?:OR\s+REPLACE\s+)?TRIGGER\s+.*?\s+ON)\s+" + _NAME,
    re.IGNORECASE | re.DOTALL,
)


class MySQLDatabase(Database):
    """MySQL or MariaDB through PyMySQL."""

    dialect: ClassVar[str] = "mysql"
    display_name: str = "MySQL"
    driver_error_module: ClassVar[str] = "pymysql"
    transactional_ddl: ClassVar[bool] = False
    begin_sql: ClassVar[str] = "START TRANSACTION"
    paramstyle: ClassVar[str] = "pyformat"
    watches_lock_waits: ClassVar[bool] = True

    @classmethod
    def connect(cls, url: DatabaseUrl, *, where: str, connect_timeout: int) -> Database:
        import pymysql

        options = url.query_dict()
        params: dict[str, Any] = {
            "host": url.host or "127.0.0.1",
            "port": url.port or 3306,
            "user": url.username or "root",
            "password": url.password or "",
            "database": url.database or None,
            "charset": options.pop("charset", "utf8mb4"),
            "autocommit": True,
            "connect_timeout": connect_timeout,
            # Also bounds the handshake: a host that accepts the connection and never
            # answers fails within the connect timeout. Lifted once connected (below).
            "read_timeout": connect_timeout,
        }
        if "unix_socket" in options:
            params["unix_socket"] = options.pop("unix_socket")
        if options:
            raise InputError(
                f"{where}: unknown MySQL connection option(s) {', '.join(sorted(options))} "
                "(dbci takes charset and unix_socket)"
            )
        try:
            connection = pymysql.connect(**params)
        except pymysql.err.MySQLError as exc:
            raise DatabaseUnavailable(f"cannot connect to {where}: {_message(exc)}") from None
        # A migration may run for hours: no read timeout once the session is up. PyMySQL
        # applies `_read_timeout` to the socket before its next read.
        connection._read_timeout = None  # type: ignore[attr-defined]  # private, not in the stubs
        database = cls(connection, url=url, where=where)
        server: str = connection.get_server_info()  # type: ignore[no-untyped-call]  # stubs
        if "mariadb" in server.lower():
            database.display_name = "MariaDB"
        return database

    # ---- identity -------------------------------------------------------------------
    def quote(self, name: str) -> str:
        return "`" + name.replace("`", "``") + "`"

    def server_version(self) -> str:
        # MariaDB 10 announces itself as "5.5.5-10.11.19-MariaDB-…" for old clients.
        return str(self.dbapi.get_server_info()).removeprefix("5.5.5-").split("-")[0]

    def current_user(self) -> str:
        # The account as the server matched it ("root@localhost"), as Flyway records it.
        return str(self.query("SELECT CURRENT_USER()")[0][0]).split("@")[0]

    def database_name(self) -> str:
        return str(self.query("SELECT DATABASE()")[0][0] or "")

    def current_schema(self) -> str:
        name = self.query("SELECT DATABASE()")[0][0]
        if not name:
            raise InputError(
                f"{self.where}: no database selected: name one in the URL or set schemas"
            )
        return str(name)

    def schema_exists(self, schema: str) -> bool:
        rows = self.query(
            "SELECT 1 FROM information_schema.schemata WHERE schema_name = :s", {"s": schema}
        )
        return bool(rows)

    def create_schema_sql(self, schema: str) -> str:
        return f"CREATE DATABASE IF NOT EXISTS {self.quote(schema)}"

    def use_schema_sql(self, schema: str) -> str | None:
        return None if self.dbapi.db == schema.encode() else f"USE {self.quote(schema)}"

    def use_schema(self, schema: str) -> None:
        # select_db keeps PyMySQL's idea of the current database in step with the server.
        if self.use_schema_sql(schema) is not None:
            self.dbapi.select_db(schema)
        self.restore_schema = schema

    def capture_state(self) -> None:
        # MySQLConnection: the database the connection was opened in, and foreign_key_checks
        # and sql_safe_updates as they were (Flyway 7's doRestoreOriginalState).
        database, checks, safe = self.query(
            "SELECT DATABASE(), @@foreign_key_checks, @@sql_safe_updates"
        )[0]
        self._original_state: tuple[str | None, int, int] | None = (
            str(database) if database else None,
            int(checks),
            int(safe),
        )

    def restore_state_statements(self) -> list[str]:
        # `USE` the default schema (changeCurrentSchemaTo: setCatalog), and the two settings.
        original = getattr(self, "_original_state", None)
        if original is None:
            return []
        database, checks, safe = original
        schema = self.restore_schema or database
        use = [f"USE {self.quote(schema)}"] if schema else []
        return use + [f"SET foreign_key_checks = {checks}, sql_safe_updates = {safe}"]

    def table_exists(self, schema: str, table: str) -> bool:
        rows = self.query(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = :s "
            "AND table_name = :t AND table_type = 'BASE TABLE'",
            {"s": schema, "t": table},
        )
        return bool(rows)

    def row_estimates(self, tables: Sequence[str], schema: str) -> dict[str, int | None]:
        # information_schema.tables.table_rows: InnoDB's estimate from its statistics.
        estimates: dict[str, int | None] = {}
        for table in tables:
            parts = [p.strip("`") for p in table.split(".", 1)]
            owner, name = parts if len(parts) == 2 else (schema, parts[0])
            rows = self.query(
                "SELECT table_rows FROM information_schema.tables"
                " WHERE table_schema = :s AND table_name = :t",
                {"s": owner, "t": name},
            )
            estimates[table] = int(rows[0][0]) if rows and rows[0][0] is not None else None
        return estimates

    def history_table_ddl(self, schema: str, table: str) -> list[str]:
        # Flyway's createMetaDataTable.sql for MySQL and MariaDB.
        qualified = self.qualified(schema, table)
        return [
            f"CREATE TABLE {qualified} (\n"
            "    `installed_rank` INT NOT NULL,\n"
            "    `version` VARCHAR(50),\n"
            "    `description` VARCHAR(200) NOT NULL,\n"
            "    `type` VARCHAR(20) NOT NULL,\n"
            "    `script` VARCHAR(1000) NOT NULL,\n"
            "    `checksum` INT,\n"
            "    `installed_by` VARCHAR(100) NOT NULL,\n"
            "    `installed_on` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
            "    `execution_time` INT NOT NULL,\n"
            "    `success` BOOL NOT NULL,\n"
            f"    CONSTRAINT {self.quote(table + '_pk')} PRIMARY KEY (`installed_rank`)\n"
            ") ENGINE=InnoDB",
            f"CREATE INDEX {self.quote(table + '_s_idx')} ON {qualified} (`success`)",
        ]

    # ---- execution -------------------------------------------------------------------
    def split(self, script: str) -> list[Statement]:
        from dbci.sqlsplit import split_statements

        return split_statements(script, "mysql")

    def script_statement(self, sql: str) -> str:
        # A routine, trigger or event body holds `;`s that the mysql client would split
        # on: such a statement goes between DELIMITER lines, as mysqldump writes it.
        if ";" not in sql:
            return super().script_statement(sql)
        return f"DELIMITER $$\n{sql}\n$$\nDELIMITER ;"

    def needs_autocommit(self, statement: Statement) -> bool:
        words = first_words(statement, 2)
        if not words:
            return False
        if words[0] == "SET" and words[1:2] in (["TRANSACTION"], ["AUTOCOMMIT"]):
            return True
        return words[0] not in _TRANSACTIONAL or super().needs_autocommit(statement)

    def literal(self, value: Any) -> str:
        if value is None or isinstance(value, bool | int):
            return super().literal(value)
        # MySQL strings take backslash escapes (unless NO_BACKSLASH_ESCAPES): the driver
        # knows the connection's mode and character set.
        return str(self.dbapi.escape(str(value)))

    def describe_error(self, exc: BaseException) -> StatementError:
        import pymysql

        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        lost = isinstance(exc, pymysql.err.InterfaceError) or (
            isinstance(exc, pymysql.err.OperationalError) and code in _CONNECTION_LOST
        )
        if lost:
            return StatementError(_message(exc), connection_lost=True)
        return StatementError(
            _message(exc),
            lock_timeout=code in _LOCK_NOT_AVAILABLE,
            cancelled=code in _INTERRUPTED,
        )

    def run_each(self, statements: Sequence[Statement]) -> None:
        # The server gives a syntax error's line within the statement ("... at line 3");
        # the runner wants a character offset: that line's first character.
        for statement in statements:
            try:
                self._execute_noting(statement.sql)
            except Exception as exc:
                error = self.describe_error(exc)
                match = _AT_LINE.search(error.message)
                if match is not None and not error.connection_lost:
                    offset = line_offset(statement.sql, int(match.group(1)))
                    error = dataclasses.replace(error, offset=offset)
                raise StatementFailure(statement, error) from exc

    def _execute_noting(self, sql: str) -> None:
        """Run a migration's statement and keep its warnings and notes in `notices`.

        The server counts them in its answer (the OK or EOF packet's warning count):
        `SHOW WARNINGS` is sent only when that count is not 0, so a statement without
        any costs no extra round trip, as MariaDB Connector/J's `getWarnings` does (which
        Flyway calls after each statement): its warnings have no SQL state (`new
        SQLWarning(message, null, code)`), and Flyway's `JdbcTemplate.extractWarnings`
        turns that into ""."""
        with self.calling():
            cursor = self.dbapi.cursor()
            try:
                cursor.execute(sql)
                if cursor.warning_count:
                    cursor.execute("SHOW WARNINGS")  # Level, Code, Message
                    self.notices.extend(
                        Notice(str(row[2]), "", int(row[1])) for row in cursor.fetchall()
                    )
            finally:
                cursor.close()

    # ---- lock waits and cancellation ---------------------------------------------------
    def timeout_statements(self, policy: LockPolicy) -> list[str]:
        settings = []
        if policy.lock_timeout > 0:
            # Whole seconds, at least 1: metadata locks (DDL) and InnoDB's row locks.
            seconds = max(1, math.ceil(policy.lock_timeout))
            settings += [f"lock_wait_timeout = {seconds}", f"innodb_lock_wait_timeout = {seconds}"]
        if policy.statement_timeout > 0:
            if self.display_name == "MariaDB":
                settings.append(f"max_statement_time = {policy.statement_timeout:g}")
            else:  # MySQL bounds only SELECT statements this way
                ms = math.ceil(policy.statement_timeout * 1000)
                settings.append(f"max_execution_time = {ms}")
        return [f"SET SESSION {', '.join(settings)}"] if settings else []

    def backend_id(self) -> str | None:
        return str(self.dbapi.thread_id())

    def cancel_running(self) -> None:
        if self.running_since is None:
            return
        # KILL QUERY ends the statement and leaves the connection usable (the rollback).
        with cancel.cleaning_up():
            side = type(self).connect(self.url, where=self.where, connect_timeout=5)
            try:
                side.execute(f"KILL QUERY {int(self.dbapi.thread_id())}")
            finally:
                side.close()

    def describe_lock_wait(self, backend: str) -> LockWait | None:
        thread = int(backend)
        mine = self.query(
            "SELECT STATE, INFO FROM information_schema.PROCESSLIST WHERE ID = :id", {"id": thread}
        )
        if not mine:
            return None
        state, statement = (str(mine[0][0] or ""), str(mine[0][1] or ""))
        row_wait = self._row_lock_wait(thread)
        if row_wait is not None:
            return row_wait
        if "lock" not in state.lower():
            return None
        table = _statement_table(statement)
        return LockWait(table, self._metadata_lock_holders(thread, table), state)

    def _row_lock_wait(self, thread: int) -> LockWait | None:
        """An InnoDB row lock wait (MariaDB's and MySQL 5.7's information_schema)."""
        with contextlib.suppress(Exception):
            rows = self.query(
                "SELECT l.lock_table, b.trx_mysql_thread_id, p.USER, p.HOST, p.COMMAND, "
                "b.trx_started, LEFT(b.trx_query, 200) "
                "FROM information_schema.INNODB_TRX r "
                "JOIN information_schema.INNODB_LOCK_WAITS w ON w.requesting_trx_id = r.trx_id "
                "JOIN information_schema.INNODB_LOCKS l ON l.lock_id = w.requested_lock_id "
                "JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id "
                "LEFT JOIN information_schema.PROCESSLIST p ON p.ID = b.trx_mysql_thread_id "
                "WHERE r.trx_mysql_thread_id = :id",
                {"id": thread},
            )
            if rows:
                blockers = [_transaction(r[1:]) for r in rows]
                return LockWait(str(rows[0][0]).replace("`", ""), blockers, "row lock")
        return None

    def _metadata_lock_holders(self, thread: int, table: str | None) -> list[Session]:
        """Who holds the metadata lock on `table`: the metadata_lock_info plugin or the
        performance schema where one is there, else the sessions with an open transaction
        (a transaction holds the metadata locks of every table it touched until it ends)."""
        schema, _, name = (table or "").rpartition(".")
        queries = (
            "SELECT m.THREAD_ID, p.USER, p.HOST, p.COMMAND, p.TIME, LEFT(p.INFO, 200) "
            "FROM information_schema.METADATA_LOCK_INFO m "
            "JOIN information_schema.PROCESSLIST p ON p.ID = m.THREAD_ID "
            "WHERE m.THREAD_ID <> :id AND m.TABLE_NAME = :t AND m.TABLE_SCHEMA = :s",
            "SELECT t.PROCESSLIST_ID, p.USER, p.HOST, p.COMMAND, p.TIME, LEFT(p.INFO, 200) "
            "FROM performance_schema.metadata_locks m "
            "JOIN performance_schema.threads t ON t.THREAD_ID = m.OWNER_THREAD_ID "
            "JOIN information_schema.PROCESSLIST p ON p.ID = t.PROCESSLIST_ID "
            "WHERE m.LOCK_STATUS = 'GRANTED' AND t.PROCESSLIST_ID <> :id "
            "AND m.OBJECT_NAME = :t AND m.OBJECT_SCHEMA = :s",
        )
        params = {"id": thread, "t": name, "s": schema or self.database_name()}
        for sql in queries if table else ():
            with contextlib.suppress(Exception):
                rows = self.query(sql, params)
                if rows:
                    return [_process(row) for row in rows]
        with contextlib.suppress(Exception):
            rows = self.query(
                "SELECT b.trx_mysql_thread_id, p.USER, p.HOST, p.COMMAND, b.trx_started, "
                "LEFT(b.trx_query, 200) FROM information_schema.INNODB_TRX b "
                "LEFT JOIN information_schema.PROCESSLIST p ON p.ID = b.trx_mysql_thread_id "
                "WHERE b.trx_mysql_thread_id <> :id ORDER BY b.trx_started",
                {"id": thread},
            )
            return [_transaction(r) for r in rows]
        return []

    # ---- the migration lock --------------------------------------------------------------
    def lock_name(self, schema: str, table: str) -> str | None:
        # Flyway's MySQL lock: a named lock "Flyway-<hash of the quoted table>" held by the
        # session, so dbci and Flyway never migrate the same schema at once.
        return f"Flyway-{java_string_hash(self.qualified(schema, table))}"

    def try_lock(self, name: str, wait_seconds: float) -> bool:
        got = self.query(
            "SELECT GET_LOCK(:n, :w)", {"n": name, "w": math.ceil(max(0.0, wait_seconds))}
        )[0][0]
        if got is None:  # NULL: the server could not take it (killed, out of memory)
            raise DatabaseUnavailable(f"{self.where}: could not take the lock {name}")
        return bool(got == 1)

    def unlock(self, name: str) -> None:
        self.query("SELECT RELEASE_LOCK(:n)", {"n": name})

    def lock_holder(self, name: str) -> Session | None:
        rows = self.query(
            "SELECT p.ID, p.USER, p.HOST, p.COMMAND, p.TIME, LEFT(p.INFO, 200) "
            "FROM information_schema.PROCESSLIST p WHERE p.ID = IS_USED_LOCK(:n)",
            {"n": name},
        )
        return _process(rows[0]) if rows else None


def _state(command: object, default: str) -> str:
    """A process list COMMAND as a state: an idle connection in a transaction is "Sleep"."""
    text = str(command or "")
    return f"{default} (idle)" if text == "Sleep" else (text or default)


def _transaction(row: Sequence[Any]) -> Session:
    """An InnoDB transaction's session: (thread id, USER, HOST, COMMAND, trx_started, query)."""
    ident, user, host, command, started, query = row
    return Session(str(ident), user, None, _state(command, "in transaction"), started, query, host)


def _process(row: Sequence[Any]) -> Session:
    """A PROCESSLIST row (ID, USER, HOST, COMMAND, TIME, INFO) as a session."""
    ident, user, host, command, seconds, query = row
    since = None
    if isinstance(seconds, int | float):
        since = (datetime.now() - timedelta(seconds=float(seconds))).replace(microsecond=0)
    return Session(str(ident), user, None, str(command or "") or None, since, query, host)


def _statement_table(sql: str) -> str | None:
    """The table a statement names first (`ALTER TABLE a.b …` → `a.b`), or None."""
    match = _STATEMENT_TABLE.match(sql)
    if match is None:
        return None
    parts = [p.strip("`").replace("``", "`") for p in match.groups() if p]
    return ".".join(parts)


def _message(exc: BaseException) -> str:
    """PyMySQL's `(code, "message")` as `message (MySQL error code)`, on one line."""
    args: tuple[Any, ...] = getattr(exc, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):
        text = " ".join(str(args[1]).split())
        return f"{text} (MySQL error {args[0]})" if args[0] else text
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
