"""Bounded lock waits on real servers: a long transaction of the "application" holds a
table, a `dbci migrate` wants to alter it, and a third session (the application's next
query) reads it meanwhile.

What must hold (README, "Reliability"): the migration waits at most `lock_timeout` per
attempt and gives up after `lock_retries` more, rolled back each time; the application's
query never waits behind it longer than about the lock timeout; the failure is one line
naming the table and the blocking session; a migration that gets its lock on a later
attempt is applied once; a `SET lock_timeout` in the migration wins; the migration lock
held by a stale session is given up on after `lockRetryCount` tries, naming that session.
The failing migration is never run again just to find its line (a sequence, which no
rollback undoes, counts how often it ran): also after a DBA's `pg_cancel_backend` or a
`statement_timeout`.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.postgres import sleeping_backend
from support.projects import write_project
from support.timing import Bound, timed

LOCK_TIMEOUT = 1  # seconds, [dbci.deploy] lock_timeout of the scenarios


@dataclass
class Server:
    """A scratch database and sessions of the test's own on it."""

    engine: str  # "PostgreSQL" | "MariaDB"
    url: str
    connect: Callable[[], Any]  # a new session (autocommit off), the application's

    def run(self, sql: str) -> list[tuple[Any, ...]]:
        """One statement in a session of its own, committed."""
        connection = self.connect()
        try:
            cursor = connection.cursor()
            cursor.execute(sql)
            rows = list(cursor.fetchall()) if cursor.description else []
            connection.commit()
            return rows
        finally:
            connection.close()


@pytest.fixture(params=["postgresql", "mariadb"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    if request.param == "postgresql":
        import psycopg

        cluster = request.getfixturevalue("pg_cluster")
        name = cluster.create_database("dbci_t_locks_")
        url = cluster.database_url(name)
        plain = url.replace("+psycopg", "")
        yield Server(
            "PostgreSQL",
            url,
            lambda: psycopg.connect(plain, application_name="report-job"),
        )
        cluster.drop_database(name)
    else:
        import pymysql

        from dbci.settings.urls import parse_database_url

        mysql_server = request.getfixturevalue("mysql_server")
        with mysql_server.scratch_database() as url:
            parsed = parse_database_url(url, base_dir=Path("."), where="test")
            yield Server(
                "MariaDB",
                url,
                lambda: pymysql.connect(
                    host=parsed.host,
                    port=parsed.port or 3306,
                    user=parsed.username,
                    database=parsed.database,
                ),
            )


def _project(root: Path, files: dict[str, str], **deploy: Any) -> Path:
    settings = {"lock_timeout": LOCK_TIMEOUT, **deploy}
    toml = "[dbci.deploy]\n" + "".join(f"{k} = {v}\n" for k, v in settings.items())
    return write_project(root, files, toml)


def _setup(root: Path, url: str, sql: str) -> float:
    """What the scenario starts from, applied as V1 (the schema has its history). Returns
    the seconds that `dbci migrate` took: the same command as the scenario's, with nothing
    in its way (start-up, connect, the migration lock, a migration), the reference of its
    bound."""
    write_project(root, {"V1__setup.sql": sql})
    done, elapsed = timed(lambda: _dbci(root, url, "migrate"))
    assert done.returncode == 0, done.stderr
    return elapsed


def _dbci(root: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dbci", "--project", str(root), "--url", url, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _hold(server: Server, table: str) -> Any:
    """The application's long transaction: it has read `table` and stays open."""
    connection = server.connect()
    cursor = connection.cursor()
    cursor.execute(f"SELECT * FROM {table}")
    cursor.fetchall()
    return connection


def _session_id(server: Server, connection: Any) -> str:
    cursor = connection.cursor()
    cursor.execute(
        "SELECT pg_backend_pid()" if server.engine == "PostgreSQL" else "SELECT CONNECTION_ID()"
    )
    return str(cursor.fetchone()[0])


@pytest.mark.scenario("lock waits: a migration behind a long transaction")
def test_migration_behind_a_long_transaction_gives_up_and_names_the_holder(
    server: Server, tmp_path: Path
) -> None:
    reference = _setup(tmp_path, server.url, "CREATE TABLE orders (id int);\n")
    root = _project(
        tmp_path,
        {"V2__alter.sql": "ALTER TABLE orders ADD COLUMN note varchar(20);\n"},
        lock_retries=1,
    )
    # Two attempts of LOCK_TIMEOUT and one back-off of about 1 s (at most 1.2), over what
    # the same command took with nothing in its way: far from "indefinitely". The holder
    # stays until the run ends (or the test gives up on it at the bound's release): a run
    # that waited for the holder could not pass.
    bound = Bound(wait=2 * LOCK_TIMEOUT + 1.2, reference=reference)
    # The application's query waits behind the migration's for at most one lock timeout
    # over what it takes with nothing in the way.
    read_bound = Bound(wait=LOCK_TIMEOUT, reference=_timed_read(server, "orders"))
    holder = _hold(server, "orders")
    holder_id = _session_id(server, holder)
    waited: list[float] = []
    try:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "dbci", "--project", str(root), "--url", server.url, "migrate"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # The application's next query, once the migration waits: it must not wait long.
        time.sleep(LOCK_TIMEOUT * 0.5)
        reader = threading.Thread(target=lambda: waited.append(_timed_read(server, "orders")))
        reader.start()
        try:
            out, err = process.communicate(timeout=bound.release(at_least=10 * LOCK_TIMEOUT))
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            pytest.fail(f"still waiting for the holder, past its bound:\n{out}\n{err}")
        elapsed = time.monotonic() - started
        reader.join(timeout=30)
    finally:
        holder.rollback()
        holder.close()
    assert process.returncode == 1, (out, err)
    lines = [line for line in err.splitlines() if line.startswith("dbci: error:")]
    assert len(lines) == 1, err
    line = lines[0]
    assert "V2__alter.sql" in line and "orders" in line, line
    assert f"session {holder_id}" in line, line
    assert "2 attempts" in line, line
    if server.engine == "PostgreSQL":
        assert "report-job" in line and "idle in transaction" in line, line
    bound.check(elapsed, "the migration behind a long transaction")
    assert waited, "the application's query never ended"
    read_bound.check(waited[0], "the application's query behind the migration")
    # Nothing of the migration: rolled back (PostgreSQL), or its statement never ran.
    columns = _columns(server, "orders")
    assert "note" not in columns


def _timed_read(server: Server, table: str) -> float:
    started = time.monotonic()
    server.run(f"SELECT count(*) FROM {table}")
    return time.monotonic() - started


def _columns(server: Server, table: str) -> set[str]:
    rows = server.run(
        "SELECT column_name FROM information_schema.columns WHERE table_name = "
        f"'{table}'" + (" AND table_schema = DATABASE()" if server.engine == "MariaDB" else "")
    )
    return {str(r[0]).lower() for r in rows}


@pytest.mark.scenario("lock waits: the lock comes free on a later attempt")
def test_a_migration_gets_its_lock_on_a_later_attempt(server: Server, tmp_path: Path) -> None:
    _setup(tmp_path, server.url, "CREATE TABLE orders (id int);\n")
    root = _project(
        tmp_path,
        {"V2__alter.sql": "ALTER TABLE orders ADD COLUMN note varchar(20);\n"},
        lock_retries=5,
    )
    holder = _hold(server, "orders")
    process = subprocess.Popen(
        [sys.executable, "-m", "dbci", "--project", str(root), "--url", server.url, "migrate"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    seen = ""
    try:
        for line in process.stdout:  # the first attempt timed out: the holder ends now
            seen += line
            if "WARNING" in line:
                break
    finally:
        holder.rollback()
        holder.close()
    out, err = process.communicate(timeout=60)
    seen += out
    assert process.returncode == 0, err
    assert re.search(r"WARNING: .*could not get .*attempt 1 of 6", seen), seen
    assert "note" in _columns(server, "orders")
    rows = server.run("SELECT version, success FROM flyway_schema_history WHERE version = '2'")
    assert [(str(v), bool(s)) for v, s in rows] == [("2", True)]


@pytest.mark.scenario("lock waits: the migration's own lock_timeout wins")
def test_a_migrations_own_lock_timeout_wins(pg_url: str, tmp_path: Path) -> None:
    import psycopg

    plain = pg_url.replace("+psycopg", "")
    reference = _setup(tmp_path, pg_url, "CREATE TABLE orders (id int);\n")
    own = 3  # seconds, the migration's own lock_timeout: three times dbci's
    files = {
        "V2__alter.sql": f"SET lock_timeout = '{own}s';\nALTER TABLE orders ADD COLUMN x int;\n"
    }
    root = _project(tmp_path, files, lock_retries=0)
    with psycopg.connect(plain) as holder:
        holder.execute("SELECT * FROM orders").fetchall()
        done, elapsed = timed(lambda: _dbci(root, pg_url, "migrate"))
        holder.rollback()
    assert done.returncode == 1, done.stderr
    assert "orders" in done.stderr
    # dbci's 1 s would have ended it after about one second; the script's 3 s wins. No
    # machine ends a lock wait before its timeout, so the lower bound is the timeout itself.
    assert elapsed >= own, elapsed
    # And it does end there, not when the holder lets go (after the run).
    Bound(wait=own, reference=reference).check(elapsed, "the migration with its own timeout")


@pytest.mark.scenario("lock waits: a stale session holds the migration lock")
def test_a_stale_session_holding_the_migration_lock(server: Server, tmp_path: Path) -> None:
    from dbci.engines.postgresql.engine import flyway_lock_key, java_string_hash

    root = _project(tmp_path, {"V1__a.sql": "CREATE TABLE a (id int);\n"})
    stale = server.connect()
    cursor = stale.cursor()
    if server.engine == "PostgreSQL":
        cursor.execute(f"SELECT pg_advisory_lock({flyway_lock_key(_history(server))})")
        stale.commit()
    else:
        cursor.execute("SELECT GET_LOCK(%s, 0)", (f"Flyway-{java_string_hash(_history(server))}",))
    stale_id = _session_id(server, stale)
    retries = 2

    def migrate() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dbci", "--project", str(root), "--url", server.url, "migrate"],
            capture_output=True,
            text=True,
            timeout=60,  # the stale session stays until the run ends: "forever" fails here
            env={**_environ(), "DBCI_LOCK_RETRY_COUNT": str(retries)},
        )

    try:
        done, elapsed = timed(migrate)
    finally:
        stale.close()
    assert done.returncode == 1, done.stderr
    assert f"held by session {stale_id}" in done.stderr, done.stderr
    assert "lockRetryCount" in done.stderr
    # The reference: the same command once the stale session is gone (it gets the lock).
    after, reference = timed(migrate)
    assert after.returncode == 0, after.stderr
    # Two retries a second apart, over what the same command takes unhindered: not forever.
    Bound(wait=retries * 1.0, reference=reference).check(elapsed, "the run behind a stale lock")


def _history(server: Server) -> str:
    if server.engine == "PostgreSQL":
        return '"public"."flyway_schema_history"'
    database = server.url.rsplit("/", 1)[1]
    return f"`{database}`.`flyway_schema_history`"


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)


# ---- never run twice --------------------------------------------------------------------


def _runs(pg: Any) -> int:
    return int(pg.execute("SELECT last_value FROM probe").fetchone()[0])


@pytest.mark.scenario("lock waits: statement_timeout, run once")
def test_statement_timeout_fails_the_migration_without_running_it_again(
    pg_url: str, tmp_path: Path
) -> None:
    import psycopg

    plain = pg_url.replace("+psycopg", "")
    _setup(tmp_path, pg_url, "CREATE SEQUENCE probe;\n")
    with psycopg.connect(plain, autocommit=True) as pg:
        files = {
            "V2__slow.sql": "CREATE TABLE t (id int);\nSELECT nextval('probe');\n"
            "SELECT pg_sleep(5);\n"
        }
        root = _project(tmp_path, files, statement_timeout=1)
        done = _dbci(root, pg_url, "migrate")
        assert done.returncode == 1, done.stderr
        assert "migrations/V2__slow.sql:3:" in done.stderr, done.stderr
        assert "statement timeout" in done.stderr
        time.sleep(2.5)  # a re-run "to find the line" came 2 s later
        assert _runs(pg) == 1


@pytest.mark.scenario("lock waits: a DBA's pg_cancel_backend, run once")
def test_a_dbas_cancel_fails_the_migration_once(pg_url: str, tmp_path: Path) -> None:
    import psycopg

    plain = pg_url.replace("+psycopg", "")
    _setup(tmp_path, pg_url, "CREATE SEQUENCE probe;\n")
    with psycopg.connect(plain, autocommit=True) as pg:
        files = {
            "V1__setup.sql": "CREATE SEQUENCE probe;\n",
            "V2__a.sql": "CREATE TABLE a (id int);\n",
            "V3__slow.sql": "CREATE TABLE t (id int);\nSELECT nextval('probe');\n\n"
            "SELECT pg_sleep(30);\n",
        }
        root = _project(tmp_path, files)
        process = subprocess.Popen(
            [sys.executable, "-m", "dbci", "--project", str(root), "--url", pg_url, "migrate"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        pg.execute(f"SELECT pg_cancel_backend({sleeping_backend(pg, process)})")
        out, err = process.communicate(timeout=60)
        assert process.returncode == 1, (out, err)
        assert "migrations/V3__slow.sql:4:" in err, err
        assert "canceling statement due to user request" in err
        time.sleep(2.5)
        assert _runs(pg) == 1
        tables = {r[0] for r in pg.execute("SELECT tablename FROM pg_tables").fetchall()}
        assert "a" in tables and "t" not in tables


@pytest.mark.scenario("lock waits: a failure in a batch, located without a re-run")
def test_a_runtime_failure_in_a_batch_names_its_line_without_a_rerun(
    pg_url: str, tmp_path: Path
) -> None:
    """Many small migrations go to PostgreSQL in one message; one of them fails where the
    server gives no position (a division by zero): the line is still right, and it ran
    once."""
    import psycopg

    plain = pg_url.replace("+psycopg", "")
    _setup(tmp_path, pg_url, "CREATE SEQUENCE probe;\n")
    with psycopg.connect(plain, autocommit=True) as pg:
        files = {f"V{n}__t{n}.sql": f"CREATE TABLE t{n} (id int);\n" for n in range(2, 8)}
        files["V1__setup.sql"] = "CREATE SEQUENCE probe;\n"
        files["V8__bad.sql"] = (
            "CREATE TABLE t8 (id int);\nSELECT nextval('probe');\n-- a comment\n"
            "INSERT INTO t8 SELECT 1 / (SELECT count(*) FROM t2);\n"
        )
        files["V9__after.sql"] = "CREATE TABLE t9 (id int);\n"
        root = _project(tmp_path, files)
        done = _dbci(root, pg_url, "migrate")
        assert done.returncode == 1, done.stderr
        assert "migrations/V8__bad.sql:4:" in done.stderr, done.stderr
        assert "division by zero" in done.stderr
        assert _runs(pg) == 1
        rows = pg.execute(
            "SELECT version FROM flyway_schema_history WHERE success ORDER BY installed_rank"
        ).fetchall()
        assert [r[0] for r in rows if r[0]] == [str(n) for n in range(1, 8)]
