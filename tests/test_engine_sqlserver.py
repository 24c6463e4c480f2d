"""SQL Server engine, the parts that need no server: connection strings, driver choice,
generated T-SQL (checked for shape with SQLFluff's tsql dialect), batch classification,
the lock's statements and error messages.

No SQL Server runs here (nor in CI): its pyodbc paths (connect, batches, parameters,
transactions, errors, lost connections) are exercised through the PostgreSQL ODBC driver
in test_engine_odbc.py.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest
from sqlfluff.core import Linter

from dbci.engines.base import line_offset
from dbci.engines.sqlserver.engine import (
    DRIVERS,
    SQLServerDatabase,
    lock_resource,
    message_line,
    tsql_words,
)
from dbci.engines.sqlserver.odbc import connection_string, odbc_value, to_qmark
from dbci.errors import DatabaseUnavailable, InputError
from dbci.settings.urls import DatabaseUrl, parse_database_url
from dbci.sqlsplit import Statement

try:  # tests/ is on sys.path (it has no __init__.py)
    from support.databases import connected
except ImportError:  # pragma: no cover
    from tests.support.databases import connected

URL = DatabaseUrl(
    dialect="mssql",
    backend="mssql",
    driver="pyodbc",
    username="sa",
    password="p;w}d",
    host="db.example",
    port=1433,
    database="app",
)
# Rules and generated SQL need no connection.
DB = SQLServerDatabase(None, url=URL, where="environment 'test'")


def with_query(*pairs: tuple[str, str]) -> DatabaseUrl:
    return dataclasses.replace(URL, query=pairs)


# ---- connection strings ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("plain", "plain"),
        ("a;b", "{a;b}"),
        ("x}y", "{x}}y}"),
        ("{starts", "{{starts}"),
        (" padded ", "{ padded }"),
        ("", "{}"),
        ("a=b", "a=b"),
    ],
)
def test_odbc_values_are_braced_where_odbc_needs_it(value: str, written: str) -> None:
    assert odbc_value(value) == written


def test_microsoft_driver_connection_string() -> None:
    url = with_query(
        ("driver", "ODBC Driver 18 for SQL Server"),
        ("TrustServerCertificate", "true"),
        ("Encrypt", "false"),
        ("MultiSubnetFailover", "yes"),
    )
    driver = SQLServerDatabase.choose_driver(url, ["ODBC Driver 18 for SQL Server"], where="x")
    assert connection_string(SQLServerDatabase.connection_attributes(url, driver)) == (
        "DRIVER={ODBC Driver 18 for SQL Server};Server=db.example,1433;Database=app;UID=sa;"
        "PWD={p;w}}d};TrustServerCertificate=yes;Encrypt=no;MultiSubnetFailover=yes;APP=dbci"
    )


def test_freetds_takes_server_and_port_apart_and_utf8() -> None:
    url = with_query(("Encrypt", "yes"), ("TrustServerCertificate", "yes"))
    attributes = dict(SQLServerDatabase.connection_attributes(url, "FreeTDS"))
    assert attributes["Server"] == "db.example"
    assert attributes["Port"] == "1433"
    assert attributes["Encryption"] == "require"
    assert attributes["ClientCharset"] == "UTF-8"
    assert "TrustServerCertificate" not in attributes and "Encrypt" not in attributes


def test_jdbc_sqlserver_url_becomes_a_freetds_connection(tmp_path: Path) -> None:
    url = parse_database_url(
        "jdbc:sqlserver://db.example:1433;databaseName=app;user=sa;password=s3cret;encrypt=false",
        base_dir=tmp_path,
        where="environment 'prod'",
    )
    assert url.dialect == "mssql"
    driver = SQLServerDatabase.choose_driver(url, ["FreeTDS"], where="x")
    text = connection_string(SQLServerDatabase.connection_attributes(url, driver))
    assert text.startswith("DRIVER={FreeTDS};Server=db.example;Port=1433;Database=app;")
    assert "UID=sa;PWD=s3cret;" in text and "Encryption=off" in text


def test_named_instance_without_port() -> None:
    url = DatabaseUrl(dialect="mssql", backend="mssql", driver="pyodbc", host=r"h\SQLEXPRESS")
    attributes = SQLServerDatabase.connection_attributes(url, "ODBC Driver 17 for SQL Server")
    assert ("Server", r"h\SQLEXPRESS") in attributes
    assert not any(key in ("UID", "PWD", "Database") for key, _ in attributes)


def test_freetds_named_instance_finds_its_own_port() -> None:
    url = DatabaseUrl(dialect="mssql", backend="mssql", driver="pyodbc", host=r"h\SQLEXPRESS")
    attributes = dict(SQLServerDatabase.connection_attributes(url, "FreeTDS"))
    assert attributes["Server"] == r"h\SQLEXPRESS" and "Port" not in attributes


def test_url_driver_is_matched_as_installed() -> None:
    url = with_query(("driver", "freetds"))
    assert SQLServerDatabase.choose_driver(url, ["FreeTDS"], where="x") == "FreeTDS"


def test_a_key_odbc_cannot_carry_is_bad_input() -> None:
    with pytest.raises(InputError, match="cannot be an ODBC connection attribute"):
        connection_string([("DRIVER", "FreeTDS"), ("bad;key", "x")])


# ---- driver choice -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("installed", "chosen"),
    [
        (["FreeTDS", "ODBC Driver 17 for SQL Server", "ODBC Driver 18 for SQL Server"], DRIVERS[0]),
        (["FreeTDS", "ODBC Driver 17 for SQL Server"], "ODBC Driver 17 for SQL Server"),
        (["SQLite3", "FreeTDS"], "FreeTDS"),
    ],
)
def test_first_installed_driver_wins(installed: list[str], chosen: str) -> None:
    assert SQLServerDatabase.choose_driver(URL, installed, where="x") == chosen


def test_no_driver_installed_says_what_to_install() -> None:
    with pytest.raises(DatabaseUnavailable) as caught:
        SQLServerDatabase.choose_driver(URL, ["PostgreSQL Unicode"], where="environment 'qa'")
    text = str(caught.value)
    assert "no ODBC driver for SQL Server is installed" in text
    assert "tdsodbc" in text and "?driver=" in text and "PostgreSQL Unicode" in text
    assert caught.value.exit_code == 3


def test_url_driver_must_be_installed_unless_it_is_a_path() -> None:
    with pytest.raises(DatabaseUnavailable, match="'Nope' is not installed"):
        SQLServerDatabase.choose_driver(with_query(("driver", "Nope")), ["FreeTDS"], where="x")
    path = "/usr/lib/x86_64-linux-gnu/odbc/libtdsodbc.so"
    assert SQLServerDatabase.choose_driver(with_query(("driver", path)), [], where="x") == path
    attributes = dict(SQLServerDatabase.connection_attributes(URL, path))
    assert attributes["Port"] == "1433"  # recognised as FreeTDS by its library's name


def test_missing_unixodbc_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyodbc", None)  # import pyodbc now raises ImportError
    with pytest.raises(DatabaseUnavailable) as caught:
        SQLServerDatabase.connect(URL, where="environment 'qa'", connect_timeout=1)
    text = str(caught.value)
    assert "unixODBC" in text and "tdsodbc" in text
    assert "\n" not in text and "p;w}d" not in text


def test_mssql_url_without_a_reachable_server_is_exit_3_without_password(
    tmp_path: Path,
) -> None:
    # Through the command's own path (config, open_database): here no SQL Server driver is
    # installed; where one is, port 1 refuses the connection. Either way: exit 3.
    url = "mssql://sa:s3cret-pw@127.0.0.1:1/app"
    with pytest.raises(DatabaseUnavailable) as caught, connected(url, tmp_path):
        pass
    assert "s3cret-pw" not in str(caught.value) and "\n" not in str(caught.value)


# ---- identity, literals, generated SQL ---------------------------------------------------------


def test_quoting_and_literals() -> None:
    assert DB.quote("a]b") == "[a]]b]"
    assert DB.qualified("dbo", "flyway_schema_history") == "[dbo].[flyway_schema_history]"
    assert DB.literal("it's") == "N'it''s'"
    assert DB.literal("ünï") == "N'ünï'"
    assert DB.literal(True) == "1" and DB.literal(False) == "0"
    assert DB.literal(None) == "NULL" and DB.literal(-7) == "-7"
    assert DB.begin_sql == "BEGIN TRANSACTION"
    assert DB.paramstyle == "qmark"


def test_named_parameters_become_markers_in_order() -> None:
    sql, values = to_qmark("SELECT :b, x::int, :a, :b", {"a": 1, "b": "two"})
    assert sql == "SELECT ?, x::int, ?, ?"
    assert values == ["two", 1, "two"]


def _flyway_create_script(table: str, name: str) -> str:
    """Flyway's history DDL for SQL Server, copied from Flyway's source, not from dbci:
    SQLServerDatabase.getRawCreateScript(table, baseline=false), no tablespace
    (flyway/flyway, flyway-database/flyway-sqlserver/src/main/java/org/flywaydb/database/
    sqlserver/SQLServerDatabase.java). `table` is how the table prints, `name` its name."""
    return (
        "CREATE TABLE " + table + " (\n"
        "    [installed_rank] INT NOT NULL,\n"
        "    [" + "version] NVARCHAR(50),\n"
        "    [description] NVARCHAR(200),\n"
        "    [type] NVARCHAR(20) NOT NULL,\n"
        "    [script] NVARCHAR(1000) NOT NULL,\n"
        "    [checksum] INT,\n"
        "    [installed_by] NVARCHAR(100) NOT NULL,\n"
        "    [installed_on] DATETIME NOT NULL DEFAULT GETDATE(),\n"
        "    [execution_time] INT NOT NULL,\n"
        "    [success] BIT NOT NULL\n"
        ")" + ";\n"
        "ALTER TABLE " + table + " ADD CONSTRAINT [" + name + "_pk]"
        " PRIMARY KEY ([installed_rank]);\n"
        "CREATE INDEX [" + name + "_s_idx] ON " + table + " ([success]);\n"
        "GO\n"
    )


def test_history_table_is_flyways() -> None:
    # dbci runs Flyway's script one statement at a time (no `;`, no GO). Flyway's table
    # prints as [database].[schema].[table] (SQLServerTable.toString); dbci names the
    # schema and table only, in the database it is connected to: the same table.
    script = _flyway_create_script("[dbo].[flyway_schema_history]", "flyway_schema_history")
    statements = script.removesuffix("GO\n").removesuffix(";\n").split(";\n")
    assert DB.history_table_ddl("dbo", "flyway_schema_history") == statements
    assert len(statements) == 3


def test_schema_creation_is_its_own_batch_and_idempotent() -> None:
    assert DB.create_schema_sql("sales") == (
        "IF SCHEMA_ID(N'sales') IS NULL EXEC(N'CREATE SCHEMA [sales]')"
    )
    assert DB.create_schema_sql("o'k]") == (
        "IF SCHEMA_ID(N'o''k]') IS NULL EXEC(N'CREATE SCHEMA [o''k]]]')"
    )


def test_statements_written_to_a_script_end_with_go() -> None:
    assert DB.script_statement("CREATE VIEW v AS SELECT 1 -- done\n") == (
        "CREATE VIEW v AS SELECT 1 -- done\nGO"
    )


# ---- the lock ------------------------------------------------------------------------------


def test_lock_resource_is_flyways() -> None:
    # Flyway's source (flyway/flyway, flyway-database/flyway-sqlserver/.../sqlserver/):
    # SQLServerConnection.lock passes table.toString().hashCode() to
    # SQLServerApplicationLockTemplate, whose lock is "Flyway-" + that number; the table
    # prints as [database].[schema].[table] (SQLServerTable.toString). Java's own hashCode
    # (jshell, OpenJDK 17): "[app].[dbo].[flyway_schema_history]".hashCode() == -534707487.
    assert lock_resource("app", "dbo", "flyway_schema_history") == "Flyway--534707487"


def test_lock_statements() -> None:
    assert DB.lock_sql("Flyway-1", 0) == (
        "DECLARE @result INT;\n"
        "EXEC @result = sp_getapplock @Resource = N'Flyway-1', @LockMode = 'Exclusive', "
        "@LockOwner = 'Session', @LockTimeout = 0;\n"
        "SELECT @result AS result"
    )
    assert "@LockTimeout = -1;" in DB.lock_sql("Flyway-1", -1)
    assert DB.unlock_sql("Flyway-1") == (
        "EXEC sp_releaseapplock @Resource = N'Flyway-1', @LockOwner = 'Session'"
    )


# ---- T-SQL shape (SQLFluff's tsql dialect) ------------------------------------------------------


def _engine_statements() -> list[str]:
    resource = lock_resource("app", "dbo", "flyway_schema_history")
    own_queries = [  # the engine's metadata queries, parameters as T-SQL variables
        "SELECT CAST(SERVERPROPERTY('ProductVersion') AS NVARCHAR(128))",
        "SELECT SUSER_SNAME()",
        "SELECT DB_NAME()",
        "SELECT SCHEMA_NAME()",
        "SELECT 1 FROM sys.schemas WHERE name = @s",
        "SELECT 1 FROM sys.tables t JOIN sys.schemas s ON s.schema_id = t.schema_id "
        "WHERE s.name = @s AND t.name = @t",
    ]
    return [
        *DB.history_table_ddl("dbo", "flyway_schema_history"),
        DB.lock_sql(resource, 0),
        DB.lock_sql(resource, -1),
        DB.unlock_sql(resource),
        DB.create_schema_sql("sales"),
        DB.create_database_sql("dbci_build_1"),
        *own_queries,
    ]


_TSQL = Linter(dialect="tsql")


def _unparsable(sql: str) -> list[str]:
    parsed = _TSQL.parse_string(sql)
    assert parsed.tree is not None
    return [segment.raw for segment in parsed.tree.recursive_crawl("unparsable")]


@pytest.mark.parametrize("sql", _engine_statements())
def test_generated_tsql_parses(sql: str) -> None:
    assert _unparsable(sql) == []


def test_the_parse_check_can_fail() -> None:
    assert _unparsable("SELECT FROM WHERE")
    # drop_database_sql is valid T-SQL that SQLFluff 3 does not parse (ALTER DATABASE …
    # SET SINGLE_USER); its IF/DROP frame is checked without that line.
    drop = DB.drop_database_sql("dbci_build_1")
    assert "SET SINGLE_USER WITH ROLLBACK IMMEDIATE;" in drop
    frame = "\n".join(line for line in drop.splitlines() if "SINGLE_USER" not in line)
    assert _unparsable(frame) == []


# ---- batches that cannot run in a transaction ----------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "outside"),
    [
        ("ALTER DATABASE CURRENT SET READ_COMMITTED_SNAPSHOT ON", True),
        ("create database other", True),
        ("DROP DATABASE other", True),
        ("/* why */ -- because\nBACKUP DATABASE d TO DISK = 'x.bak'", True),
        ("RESTORE DATABASE d FROM DISK = 'x.bak'", True),
        ("EXEC sp_configure 'show advanced options', 1;\nRECONFIGURE", True),
        ("DBCC CHECKIDENT ('t', RESEED, 0)", True),
        ("CREATE FULLTEXT CATALOG ftc", True),
        ("CREATE FULLTEXT INDEX ON t (c) KEY INDEX pk_t", True),
        ("ALTER FULLTEXT INDEX ON t START FULL POPULATION", True),
        ("DROP FULLTEXT INDEX ON t", True),
        ("EXEC master.dbo.sp_addlinkedserver @server = N'other'", True),
        ("BEGIN TRANSACTION", True),
        ("begin tran;\nUPDATE t SET a = 1;\ncommit", True),
        ("SET XACT_ABORT ON;\nBEGIN TRAN\nINSERT INTO t VALUES (1)\nCOMMIT TRAN", True),
        ("BEGIN DISTRIBUTED TRANSACTION", True),
        ("COMMIT", True),
        ("ROLLBACK TRANSACTION", True),
        ("BEGIN TRY\n  INSERT INTO t VALUES (1)\nEND TRY\nBEGIN CATCH\n  THROW;\nEND CATCH", False),
        ("CREATE PROCEDURE p AS\nBEGIN\n  BEGIN TRAN\n  UPDATE t SET a = 1\n  COMMIT\nEND", False),
        ("CREATE OR ALTER TRIGGER tr ON t AFTER INSERT AS ROLLBACK", False),
        ("ALTER PROC p AS BACKUP DATABASE d TO DISK = 'x.bak'", False),
        ('SELECT [commit], [backup], "rollback" FROM t', False),
        ("SELECT 'BACKUP DATABASE' AS note -- ROLLBACK", False),
        ("/* BEGIN TRAN /* nested */ COMMIT */ SELECT 1", False),
        ("SAVE TRANSACTION s;\nUPDATE t SET a = 1;\nROLLBACK TRANSACTION s", False),
        ("GRANT CONNECT ON DATABASE::app TO u", False),
        ("SELECT DB_NAME() AS [database]", False),
        ("UPDATE t SET @rollback = 1", False),
        ("CREATE TABLE database_log (a INT)", False),
        ("CREATE TABLE t (a INT)", False),
    ],
)
def test_batches_that_run_outside_a_transaction(sql: str, outside: bool) -> None:
    assert DB.needs_autocommit(Statement(sql, 1)) is outside


def test_tsql_words_skip_what_is_not_code() -> None:
    sql = "/* a /* b */ c */ SELECT N'x''y', [a]]b], \"q\", @v, #tmp, 12.5 FROM t -- end"
    assert tsql_words(sql) == ["SELECT", "FROM", "T"]


# ---- error messages --------------------------------------------------------------------------


def _error(state: str, message: str) -> Exception:
    # pyodbc.Error's args: (SQLSTATE, "[SQLSTATE] text (native) (function)[; more records]")
    return Exception(state, message)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            "[42S02] [Microsoft][ODBC Driver 18 for SQL Server][SQL Server]Invalid object name "
            "'dbo.nope'. (208) (SQLExecDirectW)",
            "Invalid object name 'dbo.nope'. (Msg 208, SQLSTATE 42S02)",
        ),
        (
            "[42S02] [FreeTDS][SQL Server]Invalid object name 'nope'. (208) (SQLExecDirectW)",
            "Invalid object name 'nope'. (Msg 208, SQLSTATE 42S02)",
        ),
        (  # pyodbc on Windows appends further records; 8180 is never the reason
            "[42S22] [Microsoft][ODBC Driver 17 for SQL Server][SQL Server]Statement(s) could "
            "not be prepared. (8180) (SQLExecDirectW); [42S22] [Microsoft][ODBC Driver 17 for "
            "SQL Server][SQL Server]Invalid column name 'x'. (207)",
            "Invalid column name 'x'. (Msg 207, SQLSTATE 42S22)",
        ),
    ],
)
def test_error_messages_lose_driver_prefixes(raw: str, message: str) -> None:
    error = DB.describe_error(_error(raw[1:6], raw))
    assert error.message == message
    assert error.offset is None and not error.connection_lost


@pytest.mark.parametrize(
    "raw",
    [
        "[08S01] [Microsoft][ODBC Driver 18 for SQL Server]Communication link failure (0) "
        "(SQLExecDirectW)",
        "[08S01] [Microsoft][ODBC Driver 18 for SQL Server]TCP Provider: Error code 0x68 (104) "
        "(SQLExecDirectW)",
        "[HY000] [FreeTDS][SQL Server]Communication link failure (0) (SQLExecDirectW)",
    ],
)
def test_lost_connections_are_recognised(raw: str) -> None:
    error = DB.describe_error(_error(raw[1:6], raw))
    assert error.connection_lost
    assert "[" not in error.message


def test_closed_connection_is_lost() -> None:
    error = DB.describe_error(Exception("Attempt to use a closed connection."))
    assert error.connection_lost and error.message == "Attempt to use a closed connection."


def test_message_line_reads_sqlcmd_headers() -> None:
    assert message_line("Msg 102, Level 15, State 1, Line 3 Incorrect syntax near 'x'.") == (
        3,
        "Incorrect syntax near 'x'.",
    )
    assert message_line("Msg 50000, Level 16, State 1, Procedure p, Line 7 boom") == (
        None,
        "boom",
    )
    assert message_line("Incorrect syntax near 'x'.") == (None, "Incorrect syntax near 'x'.")


def test_a_line_in_the_message_points_at_that_line_of_the_batch() -> None:
    batch = "-- set up\nCREATE TABLE t (a INT)\nINSERT INTO t VALUES ('x' 1)\nSELECT 1"
    raw = (
        "[42000] [Microsoft][ODBC Driver 18 for SQL Server][SQL Server]Msg 102, Level 15, "
        "State 1, Line 3\nIncorrect syntax near '1'. (102) (SQLExecDirectW)"
    )
    error = DB.batch_error(batch, _error("42000", raw))
    assert error.message == "Incorrect syntax near '1'. (Msg 102, SQLSTATE 42000)"
    assert error.offset == batch.index("INSERT")
    # The runner reports statement.line + the newlines before the offset.
    statement = Statement(batch, 10)
    assert statement.line + batch.count("\n", 0, error.offset) == 12


def test_line_offset() -> None:
    assert line_offset("a\nb\nc", 1) == 0
    assert line_offset("a\nb\nc", 3) == 4
    assert line_offset("a\nb\nc", 4) is None
    assert line_offset("a", 0) is None


def test_clean_drops_foreign_keys_first_and_types_last() -> None:
    from dbci.engines.sqlserver.objects import OBJECTS_SQL, TYPES_SQL, objects_from_rows

    rows = [
        ("dbo", "orders", "U", None),
        ("dbo", "v_orders", "V", None),
        ("dbo", "fk_orders_people", "F", "orders"),
        ("sales", "next_id", "SO", None),
        ("dbo", "total", "FN", None),
        ("dbo", "place_order", "P", None),
    ]
    objects = objects_from_rows(DB, rows)
    assert [o.drop_sql for o in objects] == [
        "ALTER TABLE [dbo].[orders] DROP CONSTRAINT [fk_orders_people]",
        "DROP VIEW [dbo].[v_orders]",
        "DROP PROCEDURE [dbo].[place_order]",
        "DROP FUNCTION [dbo].[total]",
        "DROP TABLE [dbo].[orders]",
        "DROP SEQUENCE [sales].[next_id]",
    ]
    for sql in [o.drop_sql for o in objects] + [
        OBJECTS_SQL.format(schemas="N'dbo'"),
        TYPES_SQL.format(schemas="N'dbo'"),
    ]:
        assert _unparsable(sql) == []
