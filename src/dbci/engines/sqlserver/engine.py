"""SQL Server over pyodbc: GO batches, Flyway's history table and application lock.

A script is split into batches at `GO` lines (sqlsplit's "mssql" dialect); each batch
goes to the server as one command, `repeat` times for `GO n`. The history table, the
lock's resource name and the statements that cannot run in a transaction follow Flyway's
SQL Server support (flyway-sqlserver: SQLServerDatabase, SQLServerApplicationLockTemplate,
SQLServerParser), so Flyway and dbci can take turns on one database.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from itertools import pairwise
from typing import Any, ClassVar

from dbci.engines.base import StatementError, StatementFailure, line_offset
from dbci.engines.postgresql.engine import java_string_hash
from dbci.engines.sqlserver.odbc import Diagnostic, ODBCDatabase, diagnostics_of
from dbci.errors import DatabaseUnavailable
from dbci.migrate.locking import LockPolicy, LockWait, Session, milliseconds
from dbci.settings.urls import DatabaseUrl
from dbci.sqlsplit import Statement

# The drivers tried, in order, when the URL names none: Microsoft's, then FreeTDS (the
# one Debian packages as tdsodbc, in dbci's image).
DRIVERS = ("ODBC Driver 18 for SQL Server", "ODBC Driver 17 for SQL Server", "FreeTDS")

# sp_getapplock's return codes below zero.
_LOCK_FAILURES = {
    -1: "timed out",
    -2: "the request was cancelled",
    -3: "chosen as deadlock victim",
    -999: "parameter validation or other call error",
}

# Error 8180 "Statement(s) could not be prepared" follows the error that says why.
_NOT_PREPARED = 8180
# sqlcmd's header of a server message; the line counts from the start of the batch.
_MESSAGE_HEADER = re.compile(
    r"^Msg \d+, Level \d+, State \d+,(?: Server [^,]*,)?(?P<procedure> Procedure [^,]*,)?"
    r" Line (?P<line>\d+)\s*",
    re.I,
)

# Words that can make a batch unable to run in a transaction; a batch without any is
# decided without tokenizing it.
_AUTOCOMMIT_HINT = re.compile(
    r"\b(?:begin|commit|rollback|database|fulltext|backup|restore|reconfigure|dbcc|sp_\w+)\b",
    re.I,
)
# System procedures that refuse to run inside a transaction (Flyway's SQLServerParser).
_NON_TRANSACTIONAL_PROCEDURES = frozenset(
    {
        "SP_ADDSUBSCRIPTION",
        "SP_DROPSUBSCRIPTION",
        "SP_ADDDISTRIBUTOR",
        "SP_DROPDISTRIBUTOR",
        "SP_ADDDISTPUBLISHER",
        "SP_DROPDISTPUBLISHER",
        "SP_ADDLINKEDSERVER",
        "SP_DROPLINKEDSERVER",
        "SP_ADDLINKEDSRVLOGIN",
        "SP_DROPLINKEDSRVLOGIN",
        "SP_SERVEROPTION",
        "SP_REPLICATIONDBOPTION",
        "SP_FULLTEXT_DATABASE",
    }
)
_MODULES = frozenset({"PROC", "PROCEDURE", "FUNCTION", "TRIGGER", "VIEW"})
_TRANSACTION = frozenset({"TRAN", "TRANSACTION"})

# T-SQL tokens for classifying a batch: comments (block comments nest), strings, quoted
# identifiers ("x" and [x], which are never keywords), variables and temp tables, words.
_TOKEN = re.compile(
    r"""
      (?P<block>/\*)
    | --[^\n]*
    | [Nn]?'(?:[^']|'')*'?
    | "(?:[^"]|"")*"?
    | \[(?:[^\]]|\]\])*\]?
    | [@\#][\w@\#$]*
    | (?P<word>[^\W\d][\w@\#$]*)
    | [0-9][\w.]*
    | \s+
    | .
    """,
    re.X | re.S,
)
_COMMENT_EDGE = re.compile(r"/\*|\*/")


def tsql_words(sql: str) -> list[str]:
    """The keywords and plain identifiers of a batch, upper-cased, in order.

    Comments, strings, quoted identifiers (`[x]`, `"x"`), variables and numbers are
    skipped, so `[commit]` or `'BACKUP'` never look like statements.
    """
    words: list[str] = []
    pos, end = 0, len(sql)
    while pos < end:
        match = _TOKEN.match(sql, pos)
        assert match is not None  # the last alternative matches any character
        pos = match.end()
        if match.lastgroup == "word":
            words.append(match.group().upper())
        elif match.lastgroup == "block":
            depth = 1
            for edge in _COMMENT_EDGE.finditer(sql, pos):
                depth += 1 if edge.group() == "/*" else -1
                if depth == 0:
                    pos = edge.end()
                    break
            else:
                pos = end
    return words


def lock_resource(database: str, schema: str, table: str) -> str:
    """Flyway's application lock name: `Flyway-` and Java's hashCode of [db].[schema].[table]."""
    qualified = ".".join(quote_name(name) for name in (database, schema, table))
    return f"Flyway-{java_string_hash(qualified)}"


def quote_name(name: str) -> str:
    """`[name]`, with `]` doubled."""
    return "[" + name.replace("]", "]]") + "]"


def message_line(text: str) -> tuple[int | None, str]:
    """The batch line of a message with sqlcmd's `Msg …, Line n` header, and the text after it.

    A line within a procedure that the batch called says nothing about the batch: None.
    """
    match = _MESSAGE_HEADER.match(text)
    if match is None:
        return None, text
    rest = text[match.end() :] or text
    return (None if match["procedure"] else int(match["line"])), rest


class SQLServerDatabase(ODBCDatabase):
    """SQL Server (and Azure SQL) through pyodbc and an ODBC driver."""

    dialect: ClassVar[str] = "mssql"
    display_name: str = "SQL Server"
    transactional_ddl: ClassVar[bool] = True
    # Only for SQL that dbci writes out (dry runs): `BEGIN` alone opens a T-SQL block.
    begin_sql: ClassVar[str] = "BEGIN TRANSACTION"
    watches_lock_waits: ClassVar[bool] = True
    odbc_drivers: ClassVar[tuple[str, ...]] = DRIVERS
    driver_hint: ClassVar[str] = (
        "install FreeTDS (Debian: apt-get install unixodbc tdsodbc) or Microsoft's msodbcsql18"
    )

    @classmethod
    def connection_attributes(cls, url: DatabaseUrl, driver: str) -> list[tuple[str, str]]:
        """Microsoft's drivers take `Server=host,port`; FreeTDS takes `Server` and `Port`.

        The URL's query passes through; `Encrypt` and `TrustServerCertificate` take
        true/false as well as yes/no, and become FreeTDS's `Encryption` for FreeTDS.
        """
        freetds = "freetds" in driver.lower() or "tdsodbc" in driver.lower()
        host = url.host or "localhost"
        attributes = [("DRIVER", driver)]
        if freetds:
            attributes.append(("Server", host))
            if url.port or "\\" not in host:  # a named instance (host\name) finds its port
                attributes.append(("Port", str(url.port or 1433)))
        else:
            attributes.append(("Server", f"{host},{url.port}" if url.port else host))
        if url.database:
            attributes.append(("Database", url.database))
        if url.username is not None:
            attributes.append(("UID", url.username))
        if url.password is not None:
            attributes.append(("PWD", url.password))
        given = set()
        for key, value in url.query:
            lower = key.lower()
            given.add(lower)
            if lower == "driver":
                continue
            if lower == "encrypt":
                if freetds:
                    attributes.append(("Encryption", _freetds_encryption(value)))
                else:
                    attributes.append(("Encrypt", _yes_no(value)))
            elif lower == "trustservercertificate":
                if not freetds:  # FreeTDS checks a certificate only when given a CA file
                    attributes.append(("TrustServerCertificate", _yes_no(value)))
            else:
                attributes.append((key, value))
        if freetds and not given & {"clientcharset", "client_charset"}:
            # pyodbc decodes VARCHAR data as UTF-8; FreeTDS's default is ISO 8859-1.
            attributes.append(("ClientCharset", "UTF-8"))
        if "app" not in given:
            attributes.append(("APP", "dbci"))  # what DBAs see in sys.dm_exec_sessions
        return attributes

    # ---- identity -------------------------------------------------------------------
    def quote(self, name: str) -> str:
        return quote_name(name)

    def server_version(self) -> str:
        # SERVERPROPERTY returns sql_variant, which ODBC drivers cannot hand to pyodbc.
        rows = self.query("SELECT CAST(SERVERPROPERTY('ProductVersion') AS NVARCHAR(128))")
        return str(rows[0][0])

    def current_user(self) -> str:
        return str(self.query("SELECT SUSER_SNAME()")[0][0])

    def database_name(self) -> str:
        return str(self.query("SELECT DB_NAME()")[0][0])

    def capture_state(self) -> None:
        # SQLServerConnection: the database the connection was opened in, and ANSI_NULLS
        # (bit 32 of @@OPTIONS) as it was. (SQL Server has no per-session default schema.)
        database, ansi_nulls = self.query(
            "SELECT DB_NAME(), CASE WHEN (32 & @@OPTIONS) = 32 THEN 'ON' ELSE 'OFF' END"
        )[0]
        self._original_state: tuple[str, str] | None = (str(database), str(ansi_nulls))

    def restore_state_statements(self) -> list[str]:
        # SQLServerConnection.doRestoreOriginalState: `USE` the original database and set
        # ANSI_NULLS back, in one batch. Flyway does not REVERT an `EXECUTE AS`; neither
        # does dbci (written from the documentation: no SQL Server to try it on).
        original = getattr(self, "_original_state", None)
        if original is None:
            return []
        database, ansi_nulls = original
        return [f"USE {self.quote(database)}; SET ANSI_NULLS {ansi_nulls}"]

    def current_schema(self) -> str:
        row = self.query("SELECT SCHEMA_NAME()")[0][0]
        return str(row) if row else "dbo"

    def schema_exists(self, schema: str) -> bool:
        return bool(self.query("SELECT 1 FROM sys.schemas WHERE name = :s", {"s": schema}))

    def user_schemas(self) -> list[str]:
        # The fixed database roles' schemas (db_owner, ...) have ids from 16384 on; sys,
        # INFORMATION_SCHEMA and guest are the system's.
        rows = self.query(
            "SELECT name FROM sys.schemas WHERE schema_id < 16384 "
            "AND name NOT IN ('sys', 'INFORMATION_SCHEMA', 'guest') ORDER BY name"
        )
        return [str(row[0]) for row in rows]

    def create_schema_sql(self, schema: str) -> str:
        # CREATE SCHEMA must be alone in its batch; through EXEC it is, wherever the
        # statement ends up (a dry run's script, a transaction).
        create = self.literal(f"CREATE SCHEMA {self.quote(schema)}")
        return f"IF SCHEMA_ID({self.literal(schema)}) IS NULL EXEC({create})"

    def table_exists(self, schema: str, table: str) -> bool:
        rows = self.query(
            "SELECT 1 FROM sys.tables t JOIN sys.schemas s ON s.schema_id = t.schema_id "
            "WHERE s.name = :s AND t.name = :t",
            {"s": schema, "t": table},
        )
        return bool(rows)

    def row_estimates(self, tables: Sequence[str], schema: str) -> dict[str, int | None]:
        # sys.partitions' row counts of the heap or clustered index (index_id 0 or 1).
        estimates: dict[str, int | None] = {}
        for table in tables:
            name = table if "." in table else f"{quote_name(schema)}.{table}"
            rows = self.query(
                "SELECT SUM(p.rows) FROM sys.partitions p"
                " WHERE p.object_id = OBJECT_ID(:n) AND p.index_id IN (0, 1)",
                {"n": name},
            )
            estimates[table] = int(rows[0][0]) if rows and rows[0][0] is not None else None
        return estimates

    def drop_database_sql(self, name: str) -> str:
        # DROP DATABASE fails while any session uses the database (a crashed build's):
        # SINGLE_USER WITH ROLLBACK IMMEDIATE ends them first.
        quoted = self.quote(name)
        return (
            f"IF DB_ID({self.literal(name)}) IS NOT NULL\n"
            "BEGIN\n"
            f"    ALTER DATABASE {quoted} SET SINGLE_USER WITH ROLLBACK IMMEDIATE;\n"
            f"    DROP DATABASE {quoted};\n"
            "END"
        )

    def history_table_ddl(self, schema: str, table: str) -> list[str]:
        """Flyway's SQL Server history table (SQLServerDatabase.getRawCreateScript)."""
        qualified = self.qualified(schema, table)
        return [
            f"CREATE TABLE {qualified} (\n"
            "    [installed_rank] INT NOT NULL,\n"
            "    [version] NVARCHAR(50),\n"
            "    [description] NVARCHAR(200),\n"
            "    [type] NVARCHAR(20) NOT NULL,\n"
            "    [script] NVARCHAR(1000) NOT NULL,\n"
            "    [checksum] INT,\n"
            "    [installed_by] NVARCHAR(100) NOT NULL,\n"
            "    [installed_on] DATETIME NOT NULL DEFAULT GETDATE(),\n"
            "    [execution_time] INT NOT NULL,\n"
            "    [success] BIT NOT NULL\n"
            ")",
            f"ALTER TABLE {qualified} ADD CONSTRAINT {self.quote(table + '_pk')} "
            "PRIMARY KEY ([installed_rank])",
            f"CREATE INDEX {self.quote(table + '_s_idx')} ON {qualified} ([success])",
        ]

    def literal(self, value: Any) -> str:
        """The standard literal, with strings as N'…' (Unicode) literals."""
        text = super().literal(value)
        return "N" + text if text.startswith("'") else text

    # ---- execution -------------------------------------------------------------------
    def script_statement(self, sql: str) -> str:
        """Each statement its own batch, ended by GO as sqlcmd and SSMS expect (CREATE
        SCHEMA, PROCEDURE, VIEW … must each start a batch)."""
        return sql.rstrip() + "\nGO"

    def needs_autocommit(self, statement: Statement) -> bool:
        """True for a batch that manages its own transaction or that SQL Server refuses
        to run in one: BEGIN TRAN/COMMIT/ROLLBACK, CREATE/ALTER/DROP DATABASE and FULLTEXT,
        BACKUP, RESTORE, RECONFIGURE, DBCC, some replication and linked-server procedures.

        The whole batch is read, as Flyway does (a batch may start with SET XACT_ABORT ON
        and open its transaction later), except the body of a procedure, function,
        trigger or view, which the batch only defines.
        """
        if not _AUTOCOMMIT_HINT.search(statement.sql):
            return False
        words = tsql_words(statement.sql)
        if _defines_module(words):
            return False
        # With SAVE TRANSACTION and no BEGIN, a ROLLBACK goes back to a savepoint: the
        # batch expects to run inside a transaction.
        saves = any(w == "SAVE" and n in _TRANSACTION for w, n in pairwise(words))
        for index, word in enumerate(words):
            before = words[index - 1] if index else ""
            after = words[index + 1] if index + 1 < len(words) else ""
            if word == "BEGIN" and (after in _TRANSACTION or after == "DISTRIBUTED"):
                return True
            if word == "COMMIT" or (word == "ROLLBACK" and not saves):
                return True
            if word in ("BACKUP", "RESTORE", "RECONFIGURE", "DBCC"):
                return True
            if word in ("DATABASE", "FULLTEXT") and before in ("CREATE", "ALTER", "DROP"):
                return True
            if word in _NON_TRANSACTIONAL_PROCEDURES:
                return True
        return False

    def run_each(self, statements: Sequence[Statement]) -> None:
        """Run each batch, `repeat` times for `GO n`; the first failure raises."""
        for statement in statements:
            for _ in range(getattr(statement, "repeat", 1)):
                try:
                    self.execute(statement.sql)
                except Exception as exc:
                    raise StatementFailure(statement, self.batch_error(statement.sql, exc)) from exc

    def batch_error(self, batch: str, exc: BaseException) -> StatementError:
        """`describe_error`, with the offset of the failing line when the message names it."""
        error = self.describe_error(exc)
        line, _ = message_line(self.main_diagnostic(diagnostics_of(exc)).text)
        if line is None:
            return error
        return StatementError(error.message, line_offset(batch, line), error.connection_lost)

    def describe_error(self, exc: BaseException) -> StatementError:
        error = super().describe_error(exc)
        record = self.main_diagnostic(diagnostics_of(exc))
        # 1222: lock request time out (SET LOCK_TIMEOUT); 1205: chosen as deadlock victim;
        # HY008: operation cancelled (SQLCancel, the query timeout).
        return dataclasses.replace(
            error,
            lock_timeout=record.native in (1222, 1205),
            cancelled=record.sqlstate in ("HY008", "HYT00"),
        )

    def main_diagnostic(self, records: list[Diagnostic]) -> Diagnostic:
        meaningful = [r for r in records if r.native != _NOT_PREPARED]
        return meaningful[0] if meaningful else records[0]

    def format_diagnostic(self, record: Diagnostic) -> str:
        """`text (Msg n, SQLSTATE xxxxx)`, as sqlcmd numbers server messages."""
        _, text = message_line(record.text)
        details = []
        if record.native:  # 0: the driver's own complaint, not a server message
            details.append(f"Msg {record.native}")
        if record.sqlstate:
            details.append(f"SQLSTATE {record.sqlstate}")
        return f"{text} ({', '.join(details)})" if details else text

    # ---- locking -----------------------------------------------------------------------
    def lock_sql(self, resource: str, timeout_ms: int) -> str:
        """Take the session's exclusive application lock; the batch returns sp_getapplock's
        code (0 or 1 granted, below 0 not)."""
        return (
            "DECLARE @result INT;\n"
            f"EXEC @result = sp_getapplock @Resource = {self.literal(resource)}, "
            f"@LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = {timeout_ms};\n"
            "SELECT @result AS result"
        )

    def unlock_sql(self, resource: str) -> str:
        """Release the session's application lock."""
        return (
            f"EXEC sp_releaseapplock @Resource = {self.literal(resource)}, @LockOwner = 'Session'"
        )

    def lock_name(self, schema: str, table: str) -> str | None:
        # Flyway's lock: sp_getapplock at session level, so it outlives transactions.
        self._lock_database = self.database_name()
        return lock_resource(self._lock_database, schema, table)

    def try_lock(self, name: str, wait_seconds: float) -> bool:
        code = int(self.query(self.lock_sql(name, int(wait_seconds * 1000)))[0][0])
        if code == -1:  # timed out: held by another session
            return False
        if code < 0:
            reason = _LOCK_FAILURES.get(code, f"code {code}")
            raise DatabaseUnavailable(
                f"cannot take the migration lock {name!r} on {self.where}: {reason}"
            )
        return True

    def unlock(self, name: str) -> None:
        # Application locks belong to a database: release it where it was taken, even if
        # a migration switched databases (USE), as Flyway does.
        database = getattr(self, "_lock_database", None)
        if database and self.database_name() != database:
            self.execute(f"USE {self.quote(database)}")
        self.execute(self.unlock_sql(name))

    # ---- lock waits ----------------------------------------------------------------------
    def timeout_statements(self, policy: LockPolicy) -> list[str]:
        if policy.statement_timeout > 0:
            # The driver's query timeout (SQL_ATTR_QUERY_TIMEOUT), in whole seconds.
            self.dbapi.timeout = max(1, math.ceil(policy.statement_timeout))
        if policy.lock_timeout <= 0:
            return []
        return [f"SET LOCK_TIMEOUT {milliseconds(policy.lock_timeout)}"]

    def backend_id(self) -> str | None:
        return str(self.query("SELECT @@SPID")[0][0])

    def describe_lock_wait(self, backend: str) -> LockWait | None:
        rows = self.query(
            "SELECT OBJECT_SCHEMA_NAME(p.object_id, r.database_id) + '.' + "
            "OBJECT_NAME(p.object_id, r.database_id), s.session_id, s.login_name, "
            "s.program_name, s.status, "
            "COALESCE(t.transaction_begin_time, s.last_request_start_time) "
            "FROM sys.dm_exec_requests r "
            "JOIN sys.dm_exec_sessions s ON s.session_id = r.blocking_session_id "
            "LEFT JOIN sys.dm_tran_locks l ON l.request_session_id = r.session_id "
            "AND l.request_status = 'WAIT' "
            "LEFT JOIN sys.partitions p ON p.hobt_id = l.resource_associated_entity_id "
            "LEFT JOIN sys.dm_tran_session_transactions st ON st.session_id = s.session_id "
            "LEFT JOIN sys.dm_tran_active_transactions t ON t.transaction_id = st.transaction_id "
            "WHERE r.session_id = :spid AND r.blocking_session_id <> 0",
            {"spid": int(backend)},
        )
        if not rows:
            return None
        row = rows[0]
        return LockWait(row[0], [Session(str(row[1]), row[2], row[3], row[4], row[5])])

    def lock_holder(self, name: str) -> Session | None:
        rows = self.query(
            "SELECT s.session_id, s.login_name, s.program_name, s.status, "
            "s.last_request_start_time FROM sys.dm_tran_locks l "
            "JOIN sys.dm_exec_sessions s ON s.session_id = l.request_session_id "
            "WHERE l.resource_type = 'APPLICATION' AND l.request_status = 'GRANT' "
            "AND l.resource_description LIKE :pattern",
            {"pattern": f"%{name}%"},
        )
        return Session(str(rows[0][0]), *rows[0][1:]) if rows else None


def _defines_module(words: list[str]) -> bool:
    """CREATE [OR ALTER] / ALTER of a procedure, function, trigger or view."""
    if words[:1] == ["CREATE"]:
        rest = words[3:4] if words[1:3] == ["OR", "ALTER"] else words[1:2]
        return bool(rest) and rest[0] in _MODULES
    return words[:1] == ["ALTER"] and words[1:2] != [] and words[1] in _MODULES


def _yes_no(value: str) -> str:
    """Microsoft's drivers take yes/no (and mandatory/optional/strict for Encrypt)."""
    return {"true": "yes", "false": "no"}.get(value.strip().lower(), value)


def _freetds_encryption(value: str) -> str:
    """FreeTDS's `Encryption` (off/request/require) for Microsoft's `Encrypt` value."""
    lowered = value.strip().lower()
    if lowered in ("yes", "true", "mandatory", "strict"):
        return "require"
    if lowered in ("no", "false", "optional"):
        return "off"
    return value
