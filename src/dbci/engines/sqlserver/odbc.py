"""The driver-generic part of an engine over ODBC (pyodbc): connect, parameters, errors.

pyodbc needs unixODBC's `libodbc.so.2` at import, and an ODBC driver for the database
registered in `odbcinst.ini`; both are outside Python, so their absence is a one-line
`DatabaseUnavailable`, never a traceback. An engine (SQL Server) subclasses
`ODBCDatabase` and says which drivers it prefers and which connection attributes its
drivers take; everything else here works for any ODBC driver, and is tested through the
PostgreSQL ODBC driver, which runs where no SQL Server can.

Transactions: the connection stays in autocommit, as `Database` requires, and `begin()`
switches ODBC's autocommit off until `commit()`/`rollback()` (`SQLEndTran`) switch it
back on. Microsoft's ODBC documentation asks applications not to mix T-SQL
`BEGIN/COMMIT TRANSACTION` with the driver's own transaction handling ("Performing
Transactions (ODBC)"), and the driver's rollback still works after SQL Server has doomed
or already rolled back a transaction (XACT_ABORT), where a T-SQL `ROLLBACK` fails.
It is also what JDBC's `setAutoCommit(false)` does for Flyway.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from dbci import cancel
from dbci.engines.base import Database, StatementError
from dbci.errors import DatabaseUnavailable, InputError
from dbci.settings.redact import scrub_tokens
from dbci.settings.urls import DatabaseUrl

# A `:name` parameter in dbci's own queries (not a `::` cast or scope qualifier).
_NAMED_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
# pyodbc formats a diagnostic record as "[SQLSTATE] text (native) (SQLFunction)" and, where
# it reads more than one (Windows), appends the others as "; [SQLSTATE] text (native)".
_RECORD_SPLIT = re.compile(r"; (?=\[[0-9A-Z]{5}\] )")
_RECORD = re.compile(
    r"^\[(?P<state>[0-9A-Z]{5})\]\s?(?P<text>.*?)\s*\((?P<native>-?\d+)\)(?:\s*\(\w+\))?\s*$",
    re.S,
)
# "[unixODBC][Driver Manager]", "[Microsoft][ODBC Driver 18 for SQL Server][SQL Server]",
# "[FreeTDS][SQL Server]": who passed the message on, not what went wrong.
_VENDOR_TAGS = re.compile(r"^(?:\[[^\]]*\])+")
# libpq's severity, as the PostgreSQL ODBC driver passes it on.
_SEVERITY = re.compile(r"^(?:ERROR|FATAL|PANIC):\s+")
# Connection-lost complaints of drivers whose SQLSTATE says less (PostgreSQL's driver
# reports an administrator's termination as 57P01 "...; The connection has been lost").
_LOST_TEXT = re.compile(
    r"closed connection|connection (?:has been |was )?lost|communication link failure"
    r"|connection is (?:closed|broken|dead)",
    re.I,
)
# Characters an ODBC connection-string key may not contain.
_BAD_KEY = re.compile(r"[\[\]{}(),;?*=!@\s]")


@dataclass(frozen=True)
class Diagnostic:
    """One ODBC diagnostic record: SQLSTATE, the driver's native error number, the text."""

    sqlstate: str | None
    native: int | None
    text: str


def parse_diagnostics(message: str) -> list[Diagnostic]:
    """The diagnostic records in a pyodbc error message, their driver prefixes removed."""
    records = []
    for raw in _RECORD_SPLIT.split(message.strip()):
        match = _RECORD.match(raw)
        if match is None:
            records.append(Diagnostic(None, None, _clean_text(raw)))
            continue
        records.append(Diagnostic(match["state"], int(match["native"]), _clean_text(match["text"])))
    return records or [Diagnostic(None, None, "")]


def _clean_text(text: str) -> str:
    text = _VENDOR_TAGS.sub("", text.strip())
    text = _SEVERITY.sub("", text)
    # The PostgreSQL driver appends its own ";\nError while executing the query".
    text = text.split(";\n", 1)[0]
    return " ".join(text.split())


def diagnostics_of(exc: BaseException) -> list[Diagnostic]:
    """The diagnostic records of a pyodbc error (any other exception: its text)."""
    args: tuple[Any, ...] = getattr(exc, "args", ())
    if len(args) >= 2 and isinstance(args[1], str):
        records = parse_diagnostics(args[1])
        if records[0].sqlstate is None and isinstance(args[0], str) and len(args[0]) == 5:
            records[0] = Diagnostic(args[0], None, records[0].text)
        return records
    text = " ".join(str(exc).split())
    return [Diagnostic(None, None, text or type(exc).__name__)]


def odbc_value(value: str) -> str:
    """A connection-string value, in braces (with `}` doubled) where ODBC needs them."""
    if value == "" or value != value.strip() or any(c in value for c in ";{}"):
        return "{" + value.replace("}", "}}") + "}"
    return value


def connection_string(attributes: Iterable[tuple[str, str]]) -> str:
    """`KEY=value;…` with every value escaped; a key ODBC cannot carry is an InputError."""
    parts = []
    for key, value in attributes:
        if not key or _BAD_KEY.search(key):
            raise InputError(f"{key!r} cannot be an ODBC connection attribute")
        # The driver's name is braced by convention (DRIVER={ODBC Driver 18 for SQL Server}).
        shown = "{" + value.replace("}", "}}") + "}" if key.upper() == "DRIVER" else None
        parts.append(f"{key}={shown or odbc_value(value)}")
    return ";".join(parts)


def to_qmark(sql: str, params: dict[str, Any]) -> tuple[str, list[Any]]:
    """`:name` parameters as ODBC's `?` markers, with their values in order."""
    values: list[Any] = []

    def marker(match: re.Match[str]) -> str:
        values.append(params[match.group(1)])
        return "?"

    return _NAMED_PARAMETER.sub(marker, sql), values


def import_pyodbc(display_name: str, hint: str) -> Any:
    """pyodbc, or a one-line `DatabaseUnavailable` when unixODBC (libodbc) is missing."""
    try:
        import pyodbc
    except ImportError as exc:
        reason = " ".join(str(exc).split())
        raise DatabaseUnavailable(
            f"{display_name} needs unixODBC and an ODBC driver ({hint}); pyodbc cannot be "
            f"loaded: {reason}"
        ) from None
    return pyodbc


class ODBCDatabase(Database):
    """A database reached through an ODBC driver with pyodbc."""

    paramstyle: ClassVar[str] = "qmark"
    driver_error_module: ClassVar[str] = "pyodbc"
    # Drivers to use when the URL names none (`?driver=`), first installed wins.
    odbc_drivers: ClassVar[tuple[str, ...]] = ()
    # What to install when no driver is there, for the one-line error.
    driver_hint: ClassVar[str] = "install the database's ODBC driver"

    @classmethod
    def connect(cls, url: DatabaseUrl, *, where: str, connect_timeout: int) -> Database:
        """Connect in autocommit with a login timeout, or raise `DatabaseUnavailable`."""
        pyodbc = import_pyodbc(cls.display_name, cls.driver_hint)
        driver = cls.choose_driver(url, pyodbc.drivers(), where=where)
        text = connection_string(cls.connection_attributes(url, driver))
        try:
            connection = pyodbc.connect(text, autocommit=True, timeout=max(0, connect_timeout))
        except pyodbc.Error as exc:
            record = diagnostics_of(exc)[0]
            message = record.text or type(exc).__name__
            if url.password:  # a driver may echo what it was given: never the password
                message = scrub_tokens(message, [url.password])
            raise DatabaseUnavailable(f"cannot connect to {where}: {message}") from None
        db = cls(connection, url=url, where=where)
        db.configure()
        return db

    @classmethod
    def choose_driver(cls, url: DatabaseUrl, installed: Sequence[str], *, where: str) -> str:
        """The URL's `driver=`, else the first installed of `odbc_drivers`."""
        named = url.query_dict().get("driver")
        if named:
            # A path to the driver's library needs no registration in odbcinst.ini.
            if "/" in named or "\\" in named:
                return named
            for name in installed:  # as odbcinst.ini spells it
                if name.lower() == named.lower():
                    return name
            raise DatabaseUnavailable(
                f"cannot connect to {where}: the ODBC driver {named!r} is not installed "
                f"(installed: {', '.join(installed) or 'none'}); {cls.driver_hint}"
            )
        for candidate in cls.odbc_drivers:
            if candidate in installed:
                return candidate
        wanted = " or ".join(repr(name) for name in cls.odbc_drivers) or "a driver"
        raise DatabaseUnavailable(
            f"cannot connect to {where}: no ODBC driver for {cls.display_name} is installed "
            f"(looked for {wanted}; installed: {', '.join(installed) or 'none'}); "
            f"{cls.driver_hint}, or name one with ?driver= in the URL"
        )

    @classmethod
    def connection_attributes(cls, url: DatabaseUrl, driver: str) -> list[tuple[str, str]]:
        """The connection string's attributes, in order; the URL's query passes through."""
        attributes = [("DRIVER", driver)]
        if url.host:
            attributes.append(("Server", url.host))
        if url.port:
            attributes.append(("Port", str(url.port)))
        if url.database:
            attributes.append(("Database", url.database))
        if url.username is not None:
            attributes.append(("UID", url.username))
        if url.password is not None:
            attributes.append(("PWD", url.password))
        attributes += [(k, v) for k, v in url.query if k.lower() != "driver"]
        return attributes

    _cursor: Any = None  # the statement running now, for cancel_running

    def configure(self) -> None:
        """Set up a fresh connection (decodings, session options); nothing by default."""

    # ---- execution -------------------------------------------------------------------
    def execute(self, sql: str) -> None:
        """Run one statement or batch exactly as written, through all its results.

        An error of a later statement of a batch surfaces only when the results before it
        have been stepped over (SQLMoreResults), and some statements (BACKUP, RESTORE) only
        finish then; so every result is consumed here.
        """
        with self.calling():
            cursor = self.dbapi.cursor()
            self._cursor = cursor
            try:
                cursor.execute(sql)
                while cursor.nextset():
                    pass
            finally:
                self._cursor = None
                cursor.close()

    def query(self, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Run a statement of dbci's own, with `:name` parameters, and return its first rows.

        Row counts and messages before the first result set are stepped over, so a batch
        (DECLARE …; EXEC …; SELECT …) returns what its SELECT returns.
        """
        with self.calling():
            cursor = self.dbapi.cursor()
            self._cursor = cursor
            try:
                if params:
                    cursor.execute(*to_qmark(sql, params))
                else:
                    cursor.execute(sql)
                while cursor.description is None:
                    if not cursor.nextset():
                        return []
                rows = list(cursor.fetchall())
                while cursor.nextset():  # an error after the rows is still an error
                    pass
                return rows
            finally:
                self._cursor = None
                cursor.close()

    def cancel_running(self) -> None:
        # SQLCancel on the statement's handle: pyodbc allows it from another thread.
        cursor = self._cursor
        if cursor is not None:
            cursor.cancel()

    def begin(self) -> None:
        # ODBC starts the transaction with the next statement (SQL Server: implicit
        # transactions); see the module's docstring for why not T-SQL BEGIN TRANSACTION.
        self.dbapi.autocommit = False

    def commit(self) -> None:
        # If the commit fails the connection stays out of autocommit: the caller rolls back,
        # and rollback() puts autocommit back.
        self.dbapi.commit()
        self.dbapi.autocommit = True

    def rollback(self) -> None:
        """Roll back; a connection that is already gone has nothing to roll back."""
        with cancel.cleaning_up():
            with contextlib.suppress(Exception):
                self.dbapi.rollback()
            with contextlib.suppress(Exception):
                self.dbapi.autocommit = True

    def describe_error(self, exc: BaseException) -> StatementError:
        """The driver's message without its prefixes, with the SQLSTATE, in one line."""
        record = self.main_diagnostic(diagnostics_of(exc))
        lost = self.is_connection_lost(exc, record)
        return StatementError(self.format_diagnostic(record), connection_lost=lost)

    def main_diagnostic(self, records: list[Diagnostic]) -> Diagnostic:
        """The record that says what went wrong (the first, unless an engine knows better)."""
        return records[0]

    def format_diagnostic(self, record: Diagnostic) -> str:
        """A record as dbci shows it: `text (SQLSTATE xxxxx)`."""
        if record.sqlstate:
            return f"{record.text} (SQLSTATE {record.sqlstate})"
        return record.text

    def is_connection_lost(self, exc: BaseException, record: Diagnostic) -> bool:
        """SQLSTATE class 08 (connection exception), or a driver saying the link is gone."""
        if record.sqlstate and record.sqlstate.startswith("08"):
            return True
        if getattr(self.dbapi, "closed", False):
            return True
        # The whole message: drivers put "the connection has been lost" in a second line.
        raw = " ".join(str(arg) for arg in getattr(exc, "args", ()))
        return bool(_LOST_TEXT.search(record.text) or _LOST_TEXT.search(raw))
