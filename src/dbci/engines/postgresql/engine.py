"""PostgreSQL: transactional DDL, advisory locks compatible with Flyway's."""

from __future__ import annotations

import contextlib
import dataclasses
import re
import select
from collections.abc import Sequence
from typing import Any, ClassVar

from dbci.engines.base import (
    Database,
    Notice,
    ScriptFailure,
    StatementError,
    StatementFailure,
    first_words,
)
from dbci.errors import DatabaseUnavailable, InputError, first_line
from dbci.migrate.locking import LockPolicy, LockWait, Session, milliseconds
from dbci.settings.urls import DatabaseUrl
from dbci.sqlsplit import Statement, copy_row_line
from dbci.sqlsplit.transaction_block import HINT as TRANSACTION_BLOCK_HINT
from dbci.sqlsplit.transaction_block import LEADING_WORDS, cannot_run_in_transaction_block

# Flyway's advisory lock key: "Flyway" in ASCII plus Java's String.hashCode of the
# quoted table name, so dbci and Flyway never migrate the same database at once.
_LOCK_MAGIC = (0x46 << 40) + (0x6C << 32) + (0x79 << 24) + (0x77 << 16) + (0x61 << 8) + 0x79


# SQLSTATEs: a lock not granted in time (lock_timeout, NOWAIT), a deadlock; a statement
# cancelled (pg_cancel_backend, a client's cancel request, statement_timeout).
_LOCK_NOT_AVAILABLE = frozenset({"55P03", "40P01"})
_QUERY_CANCELED = "57014"
# A message to the server holds at most this many bytes of statements: a large migration
# goes in several messages within its transaction, so it is never held twice in memory.
SCRIPT_MESSAGE_BYTES = 4 << 20
# When a session holds or waits for a lock since: its transaction's start, else its state's.
_SINCE = (
    "CASE WHEN {a}.state = 'idle' THEN {a}.state_change "
    "ELSE coalesce({a}.xact_start, {a}.query_start, {a}.state_change) END"
)


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
    display_name: str = "PostgreSQL"
    driver_error_module: ClassVar[str] = "psycopg"
    batch_migrations: ClassVar[bool] = True
    paramstyle: ClassVar[str] = "pyformat"
    watches_lock_waits: ClassVar[bool] = True

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
            raise InputError(f"{where}: {first_line(exc)}") from None
        except psycopg.Error as exc:
            raise DatabaseUnavailable(f"cannot connect to {where}: {_reason(exc)}") from None
        database = cls(connection, url=url, where=where)
        connection.add_notice_handler(database._heard)
        return database

    # Within run_script: the first part of the message being sent, and how many of its
    # parts have answered; the notice handler names the part a notice came from with them.
    _part_base: int | None = None
    _part_done: int = 0

    def _heard(self, diag: Any) -> None:
        """psycopg's notice handler: keep a NOTICE or WARNING (RAISE, `… already exists,
        skipping`) as the JDBC driver hands it to Flyway: its primary message and SQLSTATE
        (PgJDBC's `PSQLWarning`; error code 0)."""
        part = None if self._part_base is None else self._part_base + self._part_done
        self.notices.append(Notice(diag.message_primary or "", diag.sqlstate or "", 0, part))

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

    def user_schemas(self) -> list[str]:
        # `pg_` names are reserved to the system (pg_catalog, pg_toast, pg_temp_N, ...); a
        # schema an extension's script created is the extension's, as pg_dump leaves it out.
        rows = self.query(
            "SELECT n.nspname FROM pg_namespace n WHERE n.nspname !~ '^pg_' "
            "AND n.nspname <> 'information_schema' AND NOT EXISTS (SELECT 1 FROM pg_depend d "
            "WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid AND d.deptype = 'e') "
            'ORDER BY n.nspname COLLATE "C"'
        )
        return [str(row[0]) for row in rows]

    def create_schema_sql(self, schema: str) -> str:
        return f"CREATE SCHEMA IF NOT EXISTS {self.quote(schema)}"

    def use_schema_sql(self, schema: str) -> str | None:
        # Flyway puts its default schema first and keeps the rest of the search_path.
        current = str(self.query("SHOW search_path")[0][0])
        path = self._schema_first(schema, current)
        if path == current:
            return None
        return f"SELECT set_config('search_path', {self.literal(path)}, false)"

    def _schema_first(self, schema: str, path: str) -> str:
        """`path` with `schema` first (PostgreSQLConnection.changeCurrentSchemaTo)."""
        if path == schema or path.startswith(schema + ","):
            return path
        return f"{self.quote(schema)},{path}" if path.strip() else self.quote(schema)

    def capture_state(self) -> None:
        # PostgreSQLConnection: the role the connection was opened with (CURRENT_USER) and
        # its search_path, which the default schema goes in front of.
        role, path = self.query("SELECT current_user, current_setting('search_path')")[0]
        self._original_state: tuple[str, str] | None = (str(role), str(path))

    def restore_state_statements(self) -> list[str]:
        # One statement: `SET ROLE <original>` as PostgreSQLConnection.doRestoreOriginalState
        # does, and the search_path dbci set at session start (the original one until then).
        original = getattr(self, "_original_state", None)
        if original is None:
            return []
        role, path = original
        if self.restore_schema is not None:
            path = self._schema_first(self.restore_schema, path)
        return [
            f"SELECT set_config('role', {self.literal(role)}, false), "
            f"set_config('search_path', {self.literal(path)}, false)"
        ]

    def table_exists(self, schema: str, table: str) -> bool:
        rows = self.query(
            "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :s AND c.relname = :t AND c.relkind IN ('r', 'p')",
            {"s": schema, "t": table},
        )
        return bool(rows)

    def row_estimates(self, tables: Sequence[str], schema: str) -> dict[str, int | None]:
        # pg_class.reltuples, summed over a partitioned table's leaves; -1 (PostgreSQL 14+)
        # is a table never vacuumed or analyzed: no estimate.
        names = [t if "." in t else f"{self.quote(schema)}.{t}" for t in tables]
        rows = self.query(
            "SELECT q.i, CASE WHEN bool_or(c.reltuples < 0) THEN NULL"
            " ELSE sum(c.reltuples)::bigint END"
            " FROM unnest(CAST(:names AS text[])) WITH ORDINALITY AS q(name, i)"
            " CROSS JOIN LATERAL (SELECT to_regclass(q.name) AS oid) r"
            " LEFT JOIN pg_class c ON c.relkind IN ('r', 'm') AND (c.oid = r.oid"
            "  OR c.oid IN (SELECT t.relid FROM pg_partition_tree(r.oid) t))"
            " GROUP BY q.i",
            {"names": names},
        )
        found = {int(i): (None if n is None else int(n)) for i, n in rows}
        return {table: found.get(i + 1) for i, table in enumerate(tables)}

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
        # Every such statement says so in its first words: the head is enough (a large
        # INSERT is not copied to be looked at).
        if not TRANSACTION_BLOCK_HINT.search(statement.head(4096)):
            return False  # the common case, decided without tokenizing the statement further
        return cannot_run_in_transaction_block(first_words(statement, LEADING_WORDS))

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
            return StatementError(first_line(exc), connection_lost=True)
        diag = getattr(exc, "diag", None)
        if diag is not None and diag.message_primary:
            return _statement_error(
                diag.message_primary, diag.sqlstate, diag.statement_position
            )
        return StatementError(first_line(exc), connection_lost=bool(self.dbapi.closed))

    # ---- scripts in few round trips ----------------------------------------------------
    def run_script(
        self, parts: Sequence[str | Statement], *, message_bytes: int = SCRIPT_MESSAGE_BYTES
    ) -> None:
        """Run `parts` (one statement each) in order, as few messages as fit in
        `message_bytes` each; raise `ScriptFailure` at the first that fails.

        The simple query protocol answers each statement of a message with a result of
        its own and stops at the first error, so counting the results names the failing
        statement exactly, without running anything again. Within an explicit transaction
        (the parts' BEGIN … COMMIT) several messages are one transaction as well."""
        encoding = self.dbapi.info.encoding
        index = 0
        while index < len(parts):
            if _is_copy(parts[index]):  # its data goes by COPY's own protocol: alone
                self._copy_part(parts, index)
                index += 1
                continue
            end, size = index, 0
            while (
                end < len(parts)
                and not _is_copy(parts[end])
                and (end == index or size + len(parts[end]) < message_bytes)
            ):
                size += len(parts[end]) + 3
                end += 1
            # A newline before each `;`: a trailing `--` comment cannot swallow it.
            message = "\n;\n".join(_sql(part) for part in parts[index:end]) + "\n;"
            self._part_base, self._part_done = index, 0  # notices name their part
            try:
                with self.calling():
                    done, error = self._send(message.encode(encoding))
            finally:
                self._part_base = None
            del message
            if error is not None:
                failing = index + done
                if error.offset is not None:  # within the message: to its part
                    start = 0
                    for position in range(index, end):
                        length = len(parts[position]) + 3
                        if error.offset < start + length:
                            failing = position
                            break
                        start += length
                    error = dataclasses.replace(error, offset=max(0, error.offset - start))
                raise ScriptFailure(failing, error, completed=index + done)
            index = end

    # ---- COPY … FROM STDIN with its data ------------------------------------------------
    # Flyway runs it through PgJDBC's CopyManager.copyIn (PostgreSQLCopyParsedStatement),
    # inside the migration's transaction (canExecuteInTransaction: true) and never in a
    # JDBC batch: here too it runs alone, through psycopg's copy, in the open transaction.
    def run_each(self, statements: Sequence[Statement]) -> None:
        for statement in statements:
            try:
                if statement.is_copy:
                    self.copy_in(statement)
                else:
                    self.execute(statement.sql)
            except Exception as exc:
                raise StatementFailure(statement, self._copy_error(statement, exc)) from exc

    def copy_in(self, statement: Statement) -> None:
        """Run a `COPY … FROM STDIN` and send it its inline data (`Statement.copy_data`)."""
        data = statement.copy_data or ""
        with self.calling():
            cursor = self.dbapi.cursor()
            try:
                with cursor.copy(statement.sql) as copy:
                    for at in range(0, len(data), _COPY_CHUNK):
                        copy.write(data[at : at + _COPY_CHUNK])
            finally:
                cursor.close()

    def _copy_part(self, parts: Sequence[str | Statement], index: int) -> None:
        """Part `index` of `run_script`, a COPY … FROM STDIN; `ScriptFailure` if it fails."""
        statement = parts[index]
        assert isinstance(statement, Statement)
        self._part_base, self._part_done = index, 0  # notices name their part
        try:
            self.copy_in(statement)
        except Exception as exc:
            error = self._copy_error(statement, exc)
            raise ScriptFailure(index, error, completed=index) from exc
        finally:
            self._part_base = None

    def _copy_error(self, statement: Statement, exc: BaseException) -> StatementError:
        """`describe_error`, and for a bad row of a COPY's data: its line in the script."""
        error = self.describe_error(exc)
        diag = getattr(exc, "diag", None)
        found = _COPY_CONTEXT.search(diag.context or "") if statement.is_copy and diag else None
        if found is None:
            return error
        line = copy_row_line(statement, int(found.group(1)))
        return dataclasses.replace(error, message=f"{error.message}: {found.group()}", line=line)

    def _send(self, message: bytes) -> tuple[int, StatementError | None]:
        """Send one message of statements; (how many completed, the error of the next)."""
        from psycopg import pq

        pgconn = self.dbapi.pgconn
        done = 0
        failed: StatementError | None = None
        try:
            pgconn.send_query(message)
            while pgconn.flush():  # non-blocking: the rest when the socket takes it
                select.select([pgconn.socket], [pgconn.socket], [])
                pgconn.consume_input()
            while True:
                pgconn.consume_input()
                if pgconn.is_busy():
                    select.select([pgconn.socket], [], [], 1.0)
                    continue
                result = pgconn.get_result()
                if result is None:
                    if failed is not None and pgconn.status != pq.ConnStatus.OK:
                        failed = dataclasses.replace(failed, connection_lost=True)
                    return done, failed
                status = result.status
                if status == pq.ExecStatus.COPY_IN:
                    # A COPY … FROM STDIN the splitter did not see as one (no `;` after
                    # it): it has no data here; end it, with the reason.
                    pgconn.put_copy_end(
                        b"COPY FROM STDIN takes its data from the lines after its ;, "
                        b"up to a line \\."
                    )
                elif status == pq.ExecStatus.COPY_OUT:
                    while pgconn.get_copy_data(0)[0] > 0:
                        pass
                elif status == pq.ExecStatus.FATAL_ERROR:
                    failed = failed or _result_error(result)
                elif failed is None:
                    done += 1
                    # A notice libpq parses from here on comes from part `done` or, as
                    # libpq parses a notice at once, also ahead of an answer not yet
                    # collected (fe-protocol3.c), the one after (see Notice.part).
                    self._part_done = done
        except Exception as exc:  # libpq's complaint: the connection broke mid-message
            if pgconn.status != pq.ConnStatus.OK:
                return done, StatementError(first_line(exc), connection_lost=True)
            raise

    # ---- lock waits and cancellation ---------------------------------------------------
    def timeout_statements(self, policy: LockPolicy) -> list[str]:
        bounds = {
            "lock_timeout": policy.lock_timeout,
            "statement_timeout": policy.statement_timeout,
        }
        settings = [
            f"set_config('{name}', '{milliseconds(seconds)}ms', false)"
            for name, seconds in bounds.items()
            if seconds > 0
        ]
        return [f"SELECT {', '.join(settings)}"] if settings else []

    def backend_id(self) -> str | None:
        return str(self.dbapi.info.backend_pid)

    def cancel_running(self) -> None:
        if self.running_since is None:
            return  # nothing runs: a cancel request would only hit the next statement
        cancel_safe = getattr(self.dbapi, "cancel_safe", None)
        if cancel_safe is not None:
            cancel_safe(timeout=5)
        else:  # psycopg before 3.2
            self.dbapi.cancel()

    def describe_lock_wait(self, backend: str) -> LockWait | None:
        rows = self.query(
            "SELECT CASE WHEN w.relation IS NOT NULL THEN format('%I.%I', n.nspname, "
            "c.relname) END, w.mode, w.locktype, b.pid, b.usename, b.application_name, "
            f"b.state, {_SINCE.format(a='b')}, left(b.query, 200) "
            "FROM pg_locks w "
            "LEFT JOIN pg_class c ON c.oid = w.relation "
            "LEFT JOIN pg_namespace n ON n.oid = c.relnamespace "
            "CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS bp(pid) "
            "JOIN pg_stat_activity b ON b.pid = bp.pid "
            "WHERE w.pid = :pid AND NOT w.granted ORDER BY b.pid",
            {"pid": int(backend)},
        )
        if not rows:
            return None
        table = rows[0][0] or (None if rows[0][2] != "transactionid" else "a row")
        return LockWait(table, [_session(row[3:]) for row in rows], rows[0][1])

    # ---- the migration lock --------------------------------------------------------------
    def lock_name(self, schema: str, table: str) -> str | None:
        return str(flyway_lock_key(self.qualified(schema, table)))

    def try_lock(self, name: str, wait_seconds: float) -> bool:
        key = int(name)
        if wait_seconds <= 0:
            return bool(self.query("SELECT pg_try_advisory_lock(:k)", {"k": key})[0][0])
        # Wait for it (taken the moment it is free), but not longer than `wait_seconds`.
        wait = milliseconds(wait_seconds)
        self.execute(f"SELECT set_config('lock_timeout', '{wait}ms', false)")
        try:
            self.query("SELECT pg_advisory_lock(:k)", {"k": key})
            return True
        except Exception as exc:
            if self.describe_error(exc).lock_timeout:
                return False
            raise
        finally:
            with contextlib.suppress(Exception):
                self.execute("RESET lock_timeout")

    def unlock(self, name: str) -> None:
        self.query("SELECT pg_advisory_unlock(:k)", {"k": int(name)})

    def lock_holder(self, name: str) -> Session | None:
        key = int(name) & 0xFFFFFFFFFFFFFFFF
        rows = self.query(
            "SELECT a.pid, a.usename, a.application_name, a.state, "
            f"{_SINCE.format(a='a')}, left(a.query, 200) "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.classid = :c AND l.objid = :o AND l.database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())",
            {"c": key >> 32, "o": key & 0xFFFFFFFF},
        )
        return _session(rows[0]) if rows else None


def _sql(part: str | Statement) -> str:
    return part if isinstance(part, str) else part.sql


def _is_copy(part: str | Statement) -> bool:
    return not isinstance(part, str) and part.is_copy


# A COPY's data goes to the server this many characters a message.
_COPY_CHUNK = 1 << 20
# Where in its data a COPY failed: the context's `COPY things, line 2[, column id: …]`.
_COPY_CONTEXT = re.compile(r"^COPY .*?, line (\d+).*$", re.M)


def _statement_error(
    message: str, sqlstate: str | None, position: str | int | None
) -> StatementError:
    """A server error as dbci shows it: message and SQLSTATE, offset, and its kind."""
    text = f"{message} (SQLSTATE {sqlstate})" if sqlstate else message
    offset = int(position) - 1 if position else None
    return StatementError(
        text,
        offset,
        lock_timeout=sqlstate in _LOCK_NOT_AVAILABLE,
        cancelled=sqlstate == _QUERY_CANCELED,
    )


def _result_error(result: Any) -> StatementError:
    from psycopg import pq

    def field(name: pq.DiagnosticField) -> str | None:
        value = result.error_field(name)
        return value.decode("utf-8", errors="replace") if value is not None else None

    message = field(pq.DiagnosticField.MESSAGE_PRIMARY) or "the statement failed"
    return _statement_error(
        message,
        field(pq.DiagnosticField.SQLSTATE),
        field(pq.DiagnosticField.STATEMENT_POSITION),
    )


def _session(row: Sequence[Any]) -> Session:
    pid, user, application, state, since, query = row
    return Session(str(pid), user, application or None, state, since, query)


def _reason(exc: BaseException) -> str:
    # libpq repeats its complaint for each address a host name resolves to: keep each once.
    lines = list(dict.fromkeys(line.strip() for line in str(exc).splitlines() if line.strip()))
    return " ".join(lines) if lines else type(exc).__name__

