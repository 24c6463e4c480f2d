"""ODBCDatabase's real pyodbc paths, through the PostgreSQL ODBC driver and a real server.

No SQL Server can run here, so the driver-generic part of the SQL Server engine (connect
with a login timeout, `?` parameters, transactions over an autocommit connection, error
messages, lost connections) is exercised through an ODBC driver that can: 'PostgreSQL
Unicode' (Debian: odbc-postgresql) against the suite's PostgreSQL. SQL Server's own batch
loop (`GO n` repeats, the failing batch) runs over the same connection, since it is plain
ODBC. Without the driver these tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.timing import Bound, hanging_up, timed

from dbci.engines.base import StatementFailure
from dbci.engines.sqlserver.engine import SQLServerDatabase
from dbci.engines.sqlserver.odbc import ODBCDatabase
from dbci.errors import DatabaseUnavailable
from dbci.settings.urls import DatabaseUrl, parse_database_url
from dbci.sqlsplit import Statement

try:  # tests/ is on sys.path (it has no __init__.py)
    from support import postgres
except ImportError:  # pragma: no cover
    from tests.support import postgres

DRIVER = "PostgreSQL Unicode"
PASSWORD = "s3cret-pw"


class PostgresOverODBC(ODBCDatabase):
    """ODBCDatabase with a PostgreSQL flavour, for these tests only."""

    dialect = "postgresql"
    display_name = "PostgreSQL over ODBC"
    odbc_drivers = (DRIVER,)
    driver_hint = "apt-get install odbc-postgresql"


@dataclass(frozen=True)
class Batch:
    """A T-SQL batch as sqlsplit's "mssql" dialect returns it (with `GO n`'s count)."""

    sql: str
    line: int
    repeat: int = 1


def _driver_problem() -> str | None:
    try:
        import pyodbc
    except ImportError as exc:
        return f"pyodbc cannot load unixODBC: {exc}"
    if DRIVER not in pyodbc.drivers():
        return f"the ODBC driver {DRIVER!r} is not installed (Debian: odbc-postgresql)"
    return None


@pytest.fixture
def need_driver() -> None:
    problem = _driver_problem()
    if problem is None:
        return
    pytest.skip(problem)


@pytest.fixture
def odbc_url(need_driver: None, pg_url: str, tmp_path: Path) -> DatabaseUrl:
    """A fresh PostgreSQL database, addressed through the ODBC driver."""
    url = parse_database_url(pg_url, base_dir=tmp_path, where="test")
    # BoolsAsChar=0: booleans as booleans, not '1'/'0' strings.
    return dataclasses.replace(url, query=(("driver", DRIVER), ("BoolsAsChar", "0")))


@pytest.fixture
def db(odbc_url: DatabaseUrl) -> Iterator[ODBCDatabase]:
    database = PostgresOverODBC.connect(odbc_url, where="the test database", connect_timeout=5)
    assert isinstance(database, ODBCDatabase)
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def observer(pg_url: str) -> Iterator[object]:
    """A second connection (psycopg), to see what the ODBC session really committed."""
    with postgres.connect(pg_url, autocommit=True) as connection:
        yield connection


def _count(observer: object, table: str) -> int:
    return observer.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[attr-defined]


def test_named_parameters_go_as_markers_in_order(db: ODBCDatabase) -> None:
    rows = db.query(
        "SELECT CAST(:b AS text), CAST(:a AS integer) + 1, CAST(:b AS text) = 'two', :n",
        {"a": 41, "b": "two", "n": None},
    )
    assert [tuple(row) for row in rows] == [("two", 42, True, None)]
    assert db.query("CREATE TABLE t (a int)") == []  # no result set: no rows


def test_query_steps_over_results_without_rows(db: ODBCDatabase) -> None:
    rows = db.query("CREATE TEMP TABLE x (a int); INSERT INTO x VALUES (7); SELECT a FROM x")
    assert [tuple(row) for row in rows] == [(7,)]


def test_commit_persists_and_rollback_discards(db: ODBCDatabase, observer: object) -> None:
    db.execute("CREATE TABLE t (a int)")
    db.begin()
    db.execute("INSERT INTO t VALUES (1)")
    assert _count(observer, "t") == 0  # really inside a transaction
    db.commit()
    assert _count(observer, "t") == 1
    db.begin()
    db.execute("INSERT INTO t VALUES (2)")
    db.rollback()
    assert _count(observer, "t") == 1
    db.execute("INSERT INTO t VALUES (3)")  # autocommit again after the rollback
    assert _count(observer, "t") == 2


def test_rollback_after_a_failed_statement(db: ODBCDatabase, observer: object) -> None:
    db.execute("CREATE TABLE t (a int primary key)")
    db.begin()
    db.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(StatementFailure):
        db.run_each([Statement("INSERT INTO t VALUES (1)", 3)])
    db.rollback()
    assert _count(observer, "t") == 0
    db.execute("INSERT INTO t VALUES (1)")
    assert _count(observer, "t") == 1


def test_failing_statement_has_the_sqlstate(db: ODBCDatabase) -> None:
    statement = Statement("SELECT * FROM nope", 4)
    with pytest.raises(StatementFailure) as caught:
        db.run_each([Statement("SELECT 1", 1), statement])
    assert caught.value.statement is statement
    assert caught.value.error.message == 'relation "nope" does not exist (SQLSTATE 42P01)'
    assert not caught.value.error.connection_lost


def test_an_error_later_in_a_batch_is_raised(db: ODBCDatabase) -> None:
    with pytest.raises(StatementFailure) as caught:
        db.run_each([Statement("SELECT 1; SELECT 1/0", 1)])
    assert caught.value.error.message == "division by zero (SQLSTATE 22012)"


def test_terminated_session_is_a_lost_connection(db: ODBCDatabase, observer: object) -> None:
    pid = db.query("SELECT pg_backend_pid()")[0][0]
    observer.execute("SELECT pg_terminate_backend(%s)", [pid])  # type: ignore[attr-defined]
    time.sleep(0.1)
    with pytest.raises(StatementFailure) as caught:
        db.run_each([Statement("SELECT 1", 1)])
    assert caught.value.error.connection_lost
    again = db.describe_error(_raised(lambda: db.execute("SELECT 1")))
    assert again.connection_lost  # 08S01 from then on
    lost = str(db.lost(caught.value.__cause__ or caught.value))
    assert lost.startswith("lost the connection to the test database:")


def test_closed_connection_is_lost(db: ODBCDatabase) -> None:
    db.close()
    error = db.describe_error(_raised(lambda: db.execute("SELECT 1")))
    assert error.connection_lost


def test_login_timeout_is_honoured(odbc_url: DatabaseUrl) -> None:
    # The reference: the same connect to a server that hangs up at once (no wait at all).
    with hanging_up() as port:
        refused = dataclasses.replace(odbc_url, host="127.0.0.1", port=port, password=PASSWORD)
        _, reference = timed(
            lambda: pytest.raises(
                DatabaseUnavailable,
                PostgresOverODBC.connect,
                refused,
                where="environment 'gone'",
                connect_timeout=1,
            )
        )
    # A server that accepts the TCP connection and never answers: only the timeout ends it.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = dataclasses.replace(
            odbc_url, host="127.0.0.1", port=silent.getsockname()[1], password=PASSWORD
        )
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailable) as caught:
            PostgresOverODBC.connect(url, where="environment 'slow'", connect_timeout=1)
        elapsed = time.monotonic() - started
    # psqlodbc hands the login timeout to libpq as connect_timeout, whose minimum is 2 s
    # ("a value of 1 is interpreted as 2", PostgreSQL's libpq-connect docs).
    Bound(wait=2, reference=reference).check(elapsed, "a connect to a silent server")
    text = str(caught.value)
    assert text.startswith("cannot connect to environment 'slow':") and "timeout" in text
    assert PASSWORD not in text and "\n" not in text


def test_wrong_database_is_one_line_without_password(odbc_url: DatabaseUrl) -> None:
    url = dataclasses.replace(odbc_url, database="no_such_db", password=PASSWORD)
    with pytest.raises(DatabaseUnavailable) as caught:
        PostgresOverODBC.connect(url, where="environment 'qa'", connect_timeout=5)
    text = str(caught.value)
    assert 'database "no_such_db" does not exist' in text
    assert PASSWORD not in text and "\n" not in text and "[08001]" not in text
    assert caught.value.exit_code == 3


def test_missing_driver_names_what_is_installed(need_driver: None) -> None:
    url = DatabaseUrl(
        dialect="postgresql",
        backend="postgresql",
        driver="pyodbc",
        host="127.0.0.1",
        password=PASSWORD,
        query=(("driver", "No Such Driver"),),
    )
    with pytest.raises(DatabaseUnavailable) as caught:
        PostgresOverODBC.connect(url, where="environment 'qa'", connect_timeout=1)
    text = str(caught.value)
    assert "the ODBC driver 'No Such Driver' is not installed" in text
    assert DRIVER in text and "odbc-postgresql" in text and PASSWORD not in text


def test_sqlserver_batches_repeat_and_fail_through_odbc(db: ODBCDatabase) -> None:
    # SQL Server's run_each is plain ODBC: run it over this connection.
    engine = SQLServerDatabase(db.dbapi, url=db.url, where=db.where)
    engine.execute("CREATE TABLE t (a int)")
    engine.run_each([Batch("INSERT INTO t VALUES (1)", 1, repeat=3), Batch("SELECT 1", 2)])
    assert engine.query("SELECT count(*) FROM t")[0][0] == 3
    failing = Batch("INSERT INTO t VALUES (1);\nINSERT INTO nope VALUES (1)", 5, repeat=2)
    with pytest.raises(StatementFailure) as caught:
        engine.run_each([failing])
    assert caught.value.statement is failing
    assert 'relation "nope" does not exist' in caught.value.error.message


def _raised(action: object) -> BaseException:
    try:
        action()  # type: ignore[operator]
    except Exception as exc:
        return exc
    raise AssertionError("no error")
