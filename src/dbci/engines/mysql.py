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
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar

from dbci.engines.base import (
    Database,
    StatementError,
    StatementFailure,
    first_words,
    line_offset,
)
from dbci.engines.postgresql import java_string_hash
from dbci.errors import DatabaseUnavailable, InputError
from dbci.sqlsplit import Statement
from dbci.urls import DatabaseUrl

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
# How long one GET_LOCK call waits before dbci asks again (MariaDB has no "forever").
_LOCK_WAIT_SECONDS = 3600


class MySQLDatabase(Database):
    """MySQL or MariaDB through PyMySQL."""

    dialect: ClassVar[str] = "mysql"
    display_name: ClassVar[str] = "MySQL"
    transactional_ddl: ClassVar[bool] = False
    begin_sql: ClassVar[str] = "START TRANSACTION"
    paramstyle: ClassVar[str] = "pyformat"

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
        connection._read_timeout = None
        database = cls(connection, url=url, where=where)
        if "mariadb" in connection.get_server_info().lower():
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

    def table_exists(self, schema: str, table: str) -> bool:
        rows = self.query(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = :s "
            "AND table_name = :t AND table_type = 'BASE TABLE'",
            {"s": schema, "t": table},
        )
        return bool(rows)

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
        return StatementError(_message(exc))

    def run_each(self, statements: Sequence[Statement]) -> None:
        # The server gives a syntax error's line within the statement ("... at line 3");
        # the runner wants a character offset: that line's first character.
        for statement in statements:
            try:
                self.execute(statement.sql)
            except Exception as exc:
                error = self.describe_error(exc)
                match = _AT_LINE.search(error.message)
                if match is not None and not error.connection_lost:
                    offset = line_offset(statement.sql, int(match.group(1)))
                    error = StatementError(error.message, offset)
                raise StatementFailure(statement, error) from exc

    # ---- locking -----------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(
        self, schema: str, table: str, on_wait: Callable[[], None] | None = None
    ) -> Iterator[None]:
        # Flyway's MySQL lock: a named lock "Flyway-<hash of the quoted table>" held by the
        # session, so dbci and Flyway never migrate the same schema at once.
        name = f"Flyway-{java_string_hash(self.qualified(schema, table))}"
        got = self.query("SELECT GET_LOCK(:n, 0)", {"n": name})[0][0]
        if got != 1 and on_wait:
            on_wait()
        while got != 1:
            if got is None:  # NULL: the server could not take it (killed, out of memory)
                raise DatabaseUnavailable(f"{self.where}: could not take the lock {name}")
            got = self.query("SELECT GET_LOCK(:n, :w)", {"n": name, "w": _LOCK_WAIT_SECONDS})[0][0]
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                self.query("SELECT RELEASE_LOCK(:n)", {"n": name})


def _message(exc: BaseException) -> str:
    """PyMySQL's `(code, "message")` as `message (MySQL error code)`, on one line."""
    args = getattr(exc, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):
        text = " ".join(str(args[1]).split())
        return f"{text} (MySQL error {args[0]})" if args[0] else text
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
