"""Cancellation: SIGINT (GitHub's cancel, Ctrl-C) and SIGTERM (GitLab's cancel, GitHub's
second signal, `docker stop`) sent with `os.kill` to a real `dbci` process while the
server runs one of its migration's statements, on PostgreSQL and MariaDB.

Each run checks, through the test's own connections, what the DESIGN promises: the
process ends within its bound (below), with exit 130 / 143 and one `dbci: error:
cancelled by …` line; the statement no longer runs on the server; the migration it was in
left nothing (PostgreSQL) or its failed row (MariaDB, whose DDL commits on its own, as
documented); the migrations before it stay applied; the migration lock is free; an
embedded build server is stopped and a created build database dropped; report.json, for
the stages that write it, says "cancelled" and lists exactly what was applied.

The bound is relative to the same run, not a number of seconds for one machine: stopping
costs less than getting there (Python's start, the imports, a connection, the migrations
before the slow one), so a cancelled run ends within three times the seconds from its start
to the signal, plus a little slack (`support.timing.Bound`). Without the cancellation it
would run until its slow statement ends, a minute later, far past that. The measured times
are printed under the figures table.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
from support.cli import ENTRYPOINT
from support.postgres import sleeping_backend
from support.projects import write_project
from support.proxy import freezing_proxy
from support.timing import Bound

SIGNALS = {"INT": (signal.SIGINT, 130), "TERM": (signal.SIGTERM, 143)}


@dataclass
class Engine:
    """The server a scenario runs on, as the test sees it (never through dbci)."""

    name: str
    url: str
    query: Callable[[str], list[tuple[Any, ...]]]
    sleep: str  # a statement that runs for a long time
    running: str  # how many sessions run the long statement now

    def scalar(self, sql: str) -> Any:
        return self.query(sql)[0][0]


@pytest.fixture(params=["postgresql", "mariadb"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    if request.param == "postgresql":
        cluster = request.getfixturevalue("pg_cluster")
        name = cluster.create_database("dbci_t_cancel_")
        import psycopg

        connection = psycopg.connect(
            cluster.database_url(name).replace("+psycopg", ""), autocommit=True
        )

        def query(sql: str) -> list[tuple[Any, ...]]:
            cursor = connection.execute(sql)
            return cursor.fetchall() if cursor.description else []

        yield Engine(
            "PostgreSQL",
            cluster.database_url(name),
            query,
            "SELECT pg_sleep(60)",
            # A batch's whole text is its query: the wait event says what runs.
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' "
            "AND datname = current_database()",
        )
        connection.close()
        cluster.drop_database(name)
    else:
        server = request.getfixturevalue("mysql_server")
        with server.scratch_database() as url:
            database = url.rsplit("/", 1)[1]

            def query(sql: str) -> list[tuple[Any, ...]]:
                return server.execute(sql, database)

            yield Engine(
                "MariaDB",
                url,
                query,
                "SELECT SLEEP(60)",
                "SELECT count(*) FROM information_schema.PROCESSLIST "
                "WHERE INFO LIKE 'SELECT SLEEP(60)%' AND COMMAND = 'Query' AND DB = DATABASE()",
            )


def _migrations(engine: Engine) -> dict[str, str]:
    """V1 quick; V2 makes a table, then runs the long statement; V3 quick."""
    return {
        "V1__first.sql": "CREATE TABLE first_table (id int);\n",
        "V2__slow.sql": f"CREATE TABLE half_done (id int);\n{engine.sleep};\n",
        "V3__third.sql": "CREATE TABLE third_table (id int);\n",
    }


class _Run(subprocess.Popen[str]):
    """A process that knows when it was started: its way to the slow statement is the
    reference of its cancellation's bound."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.started = time.monotonic()
        super().__init__(*args, **kwargs)

    def reached(self) -> float:
        """Seconds since the start."""
        return time.monotonic() - self.started


def _start(root: Path, *args: str) -> _Run:
    return _Run(
        [sys.executable, "-m", "dbci", "--project", str(root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_running(engine: Engine, process: _Run, timeout: float = 60) -> None:
    """Until the server runs the long statement (the signal must land inside it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"dbci ended before the slow statement ran:\n{out}\n{err}")
        if engine.scalar(engine.running):
            return
        time.sleep(0.05)
    process.kill()
    pytest.fail("the slow statement never ran")


def _cancel(
    process: _Run,
    signum: int,
    label: str,
    scenarios: Any,
    send: Callable[[], None] | None = None,
) -> tuple[str, str, float, Bound]:
    """Send the signal (with `send`, when given, instead of `os.kill`); (stdout, stderr,
    seconds until the process ended, the bound they must keep: stopping at once, relative
    to the seconds the run took from its start to the signal), the time noted under the
    figures table."""
    bound = Bound(wait=0, reference=process.reached())
    started = time.monotonic()
    if send is None:
        os.kill(process.pid, signum)
    else:
        send()
    try:
        out, err = process.communicate(timeout=bound.release(at_least=10))
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"still running long past its bound after the signal:\n{out}\n{err}")
    elapsed = time.monotonic() - started
    scenarios.note(
        f"{label}: stopped {elapsed:.2f} s after the signal "
        f"({bound.reference:.2f} s from the start to the signal)"
    )
    return out, err, elapsed, bound


def _assert_one_line(err: str, name: str) -> None:
    lines = [line for line in err.splitlines() if line.startswith("dbci: error:")]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"dbci: error: cancelled by SIG{name}"), err
    assert "Traceback" not in err and "internal error" not in err, err


def _tables(engine: Engine) -> set[str]:
    if engine.name == "PostgreSQL":
        rows = engine.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    else:
        rows = engine.query("SHOW TABLES")
    return {str(r[0]) for r in rows}


def _history(engine: Engine) -> list[tuple[str, bool]]:
    rows = engine.query(
        "SELECT version, success FROM flyway_schema_history WHERE version IS NOT NULL "
        "ORDER BY installed_rank"
    )
    return [(str(v), bool(ok)) for v, ok in rows]


def _lock_free(engine: Engine) -> bool:
    """Whether another session can take the migration lock now (Flyway's key / name)."""
    from dbci.engines.postgresql.engine import flyway_lock_key, java_string_hash

    if engine.name == "PostgreSQL":
        key = flyway_lock_key('"public"."flyway_schema_history"')
        got = engine.scalar(f"SELECT pg_try_advisory_lock({key})")
        if got:
            engine.query(f"SELECT pg_advisory_unlock({key})")
        return bool(got)
    database = engine.url.rsplit("/", 1)[1]
    name = f"Flyway-{java_string_hash(f'`{database}`.`flyway_schema_history`')}"
    return bool(engine.scalar(f"SELECT IS_FREE_LOCK('{name}')"))


def _after_cancel(engine: Engine) -> None:
    """What every cancelled migrate and deploy must leave behind."""
    deadline = time.monotonic() + 5
    while engine.scalar(engine.running) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert engine.scalar(engine.running) == 0, "the statement still runs on the server"
    tables = _tables(engine)
    assert "first_table" in tables and "third_table" not in tables
    history = _history(engine)
    if engine.name == "PostgreSQL":
        # Rolled back whole: no row, no table of V2.
        assert history == [("1", True)]
        assert "half_done" not in tables
    else:
        # MySQL's DDL commits on its own: V2 is recorded as failed, as documented.
        assert history == [("1", True), ("2", False)]
    assert _lock_free(engine), "the migration lock is still held"


@pytest.mark.parametrize("signal_name", list(SIGNALS))
@pytest.mark.parametrize("command", ["migrate", "deploy"])
def test_cancel_stops_the_statement_and_rolls_back(
    engine: Engine, command: str, signal_name: str, tmp_path: Path, scenarios: Any
) -> None:
    signum, code = SIGNALS[signal_name]
    family = f"cancel: SIG{signal_name} during {command} ({engine.name})"
    with scenarios.run(family):
        root = write_project(tmp_path, _migrations(engine))
        process = _start(root, "--url", engine.url, command)
        _wait_running(engine, process)
        out, err, elapsed, bound = _cancel(process, signum, family, scenarios)
        assert process.returncode == code, (out, err)
        _assert_one_line(err, signal_name)
        bound.check(elapsed, "the cancelled run")
        _after_cancel(engine)
        if command == "deploy":
            report = json.loads((root / "dbci-report" / "report.json").read_text())
            assert report["status"] == "cancelled"
            assert report["deploy"]["status"] == "cancelled"
            assert [a["script"] for a in report["deploy"]["applied"]] == ["V1__first.sql"]
            assert report["deploy"]["targets"][0]["status"] == "cancelled"


@pytest.mark.parametrize("signal_name", list(SIGNALS))
def test_cancel_while_waiting_for_the_migration_lock(
    engine: Engine, signal_name: str, tmp_path: Path, scenarios: Any
) -> None:
    """Another session holds the migration lock: the waiting deploy stops at once and
    changes nothing."""
    signum, code = SIGNALS[signal_name]
    family = f"cancel: SIG{signal_name} waiting for the migration lock ({engine.name})"
    with scenarios.run(family):
        root = write_project(tmp_path, {"V1__first.sql": "CREATE TABLE first_table (id int);\n"})
        holder = _hold_migration_lock(engine)
        try:
            process = _start(root, "--url", engine.url, "deploy")
            _wait_for(process, "Waiting for another migration")
            out, err, elapsed, bound = _cancel(process, signum, family, scenarios)
        finally:
            holder()
        assert process.returncode == code, (out, err)
        _assert_one_line(err, signal_name)
        bound.check(elapsed, "the cancelled run")
        assert "first_table" not in _tables(engine)


def _hold_migration_lock(engine: Engine) -> Callable[[], None]:
    """Take the migration lock from a session of the test's; returns its release."""
    from dbci.engines.postgresql.engine import flyway_lock_key, java_string_hash

    if engine.name == "PostgreSQL":
        import psycopg

        connection = psycopg.connect(engine.url.replace("+psycopg", ""), autocommit=True)
        key = flyway_lock_key('"public"."flyway_schema_history"')
        connection.execute(f"SELECT pg_advisory_lock({key})")
    else:
        import pymysql

        from dbci.settings.urls import parse_database_url

        url = parse_database_url(engine.url, base_dir=Path("."), where="test")
        connection = pymysql.connect(
            host=url.host, port=url.port or 3306, user=url.username, database=url.database
        )
        name = f"Flyway-{java_string_hash(f'`{url.database}`.`flyway_schema_history`')}"
        with connection.cursor() as cursor:
            cursor.execute("SELECT GET_LOCK(%s, 0)", (name,))
    return connection.close


def _wait_for(process: subprocess.Popen[str], text: str, timeout: float = 30) -> None:
    """Until the process has printed a line holding `text` (read as it comes)."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        seen += line
        if text in line:
            return
        if not line and process.poll() is not None:
            break
    process.kill()
    pytest.fail(f"never printed {text!r}:\n{seen}")


@pytest.mark.parametrize("signal_name", list(SIGNALS))
def test_cancel_a_build_stops_its_embedded_server(
    signal_name: str, tmp_path: Path, scenarios: Any, pg_cluster: Any
) -> None:
    """`dbci build` on the embedded PostgreSQL: its server is stopped and its files gone."""
    signum, code = SIGNALS[signal_name]
    family = f"cancel: SIG{signal_name} during build (embedded PostgreSQL)"
    with scenarios.run(family):
        files = {
            "V1__first.sql": "CREATE TABLE first_table (id int);\n",
            "V2__slow.sql": "CREATE TABLE half_done (id int);\nSELECT pg_sleep(60);\n",
        }
        root = write_project(tmp_path, files)
        process = _start(root, "build")
        server = _wait_for_embedded(process)
        out, err, elapsed, bound = _cancel(process, signum, family, scenarios)
        assert process.returncode == code, (out, err)
        _assert_one_line(err, signal_name)
        bound.check(elapsed, "the cancelled build")
        postmaster, data = server
        assert not _alive(postmaster), "the embedded PostgreSQL still runs"
        assert not data.exists(), f"{data} was left behind"
        report = json.loads((root / "dbci-report" / "report.json").read_text())
        assert report["status"] == "cancelled"
        assert report["build"]["status"] == "cancelled"
        assert [m["script"] for m in report["build"]["migrations"]] == ["V1__first.sql"]


def _wait_for_embedded(process: subprocess.Popen[str]) -> tuple[int, Path]:
    """The embedded server's postmaster pid and its folder, once a backend of it runs the
    slow migration's `SELECT pg_sleep` (PostgreSQL shows the command in the process title).
    The title must say SELECT at three polls in a row: dbci's own short SELECTs (the
    session restore before each migration) show it for a moment too."""
    deadline = time.monotonic() + 60
    selecting: dict[int, int] = {}  # backend pid: polls in a row its title said SELECT
    while time.monotonic() < deadline:
        seen: dict[int, int] = {}
        for candidate in psutil.process_iter(["pid", "cmdline"]):
            command = candidate.info["cmdline"] or []
            if "-D" not in command[:-1]:
                continue
            data = Path(command[command.index("-D") + 1])
            if "dbci-build-" not in str(data):
                continue
            with contextlib.suppress(psutil.Error):
                for child in candidate.children():
                    if " ".join(child.cmdline()).rstrip().endswith("SELECT"):
                        seen[child.pid] = selecting.get(child.pid, 0) + 1
                        if seen[child.pid] >= 3:
                            return candidate.info["pid"], data.parent
        selecting = seen
        if process.poll() is not None:
            pytest.fail(f"dbci build ended early: {process.communicate()}")
        time.sleep(0.1)
    process.kill()
    pytest.fail("the embedded server never ran the slow migration")


def _alive(pid: int) -> bool:
    try:
        process = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return False
    return process.status() != psutil.STATUS_ZOMBIE


def test_cancel_a_build_drops_its_created_database(
    tmp_path: Path, scenarios: Any, pg_cluster: Any
) -> None:
    """`create-database` build: the `dbci_build_*` database is dropped after SIGTERM."""
    family = "cancel: SIGTERM during build (created database, PostgreSQL)"
    with scenarios.run(family):
        files = {
            "V1__first.sql": "CREATE TABLE first_table (id int);\n",
            "V2__slow.sql": "SELECT pg_sleep(60);\n",
        }
        toml = (
            f'[environments.build]\nurl = "{pg_cluster.admin_url}"\n'
            'provisioner = "create-database"\n'
        )
        root = write_project(tmp_path, files, toml)
        before = _build_databases(pg_cluster)
        process = _start(root, "build")
        deadline = time.monotonic() + 60
        while not (_build_databases(pg_cluster) - before) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # into the slow migration
        out, err, elapsed, bound = _cancel(process, signal.SIGTERM, family, scenarios)
        assert process.returncode == 143, (out, err)
        _assert_one_line(err, "TERM")
        bound.check(elapsed, "the cancelled build")
        assert _build_databases(pg_cluster) - before == set(), "the build database was left"


def _build_databases(cluster: Any) -> set[str]:
    connection = cluster.admin_connection()
    rows = connection.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE 'dbci\\_build\\_%'"
    ).fetchall()
    return {r[0] for r in rows}


def test_a_second_signal_exits_at_once(engine: Engine, tmp_path: Path, scenarios: Any) -> None:
    """The network to the server goes silent during a migration, so the first signal's
    clean-up cannot end (the cancel and the main thread's read both wait on it); a second
    signal ends the process at once, with the first's code."""
    family = f"cancel: second signal ({engine.name})"
    with scenarios.run(family), freezing_proxy(engine.url) as proxy:
        root = write_project(tmp_path, _migrations(engine))
        process = _start(root, "--url", proxy.url_for(engine.url), "migrate")
        try:
            _wait_running(engine, process)
            # "At once": no clean-up at all, so less than the run's way to the statement
            # (Python's start, the imports, a connection), which is the reference here.
            # Without it the process would hang on the silent network until the test
            # killed it, long past the bound's release.
            bound = Bound(wait=0, reference=process.reached(), factor=1)
            proxy.freeze()
            os.kill(process.pid, signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=1.5)
            assert process.poll() is None, "the first signal's clean-up did not wait on the network"
            started = time.monotonic()
            os.kill(process.pid, signal.SIGTERM)
            out, err = process.communicate(timeout=bound.release(at_least=10))
            elapsed = time.monotonic() - started
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
            _end_other_sessions(engine)
        scenarios.note(f"{family}: stopped {elapsed:.2f} s after the second signal")
        assert process.returncode == 130, (out, err)
        assert "dbci: error: cancelled again by SIGTERM: stopped at once" in err, err
        assert "Traceback" not in err
        bound.check(elapsed, "the process after the second signal")


def test_a_signal_taken_by_another_thread_cancels_at_once(
    engine: Engine, tmp_path: Path, scenarios: Any
) -> None:
    """The kernel gives a process's signal to any of its threads. One taken by a thread
    other than the main one (sent here to that thread alone, with tgkill) must still
    cancel the statement the main thread is blocked on, at once."""
    family = f"cancel: SIGINT taken by another thread ({engine.name})"
    with scenarios.run(family):
        libc = ctypes.CDLL(None, use_errno=True)
        root = write_project(tmp_path, _migrations(engine))
        process = _start(root, "--url", engine.url, "migrate")
        _wait_running(engine, process)
        others = [t.id for t in psutil.Process(process.pid).threads() if t.id != process.pid]
        assert others, "dbci runs no thread besides the main one"

        def send() -> None:
            assert libc.tgkill(process.pid, others[-1], signal.SIGINT) == 0, ctypes.get_errno()

        out, err, elapsed, bound = _cancel(process, signal.SIGINT, family, scenarios, send)
        assert process.returncode == 130, (out, err)
        _assert_one_line(err, "INT")
        bound.check(elapsed, "the cancelled run")
        assert engine.scalar(engine.running) == 0


def _end_other_sessions(engine: Engine) -> None:
    """End the sessions dbci left behind the silent proxy (the server still runs their
    statement), so that the scratch database can be dropped."""
    if engine.name == "PostgreSQL":
        engine.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return
    rows = engine.query(
        "SELECT ID FROM information_schema.PROCESSLIST "
        "WHERE DB = DATABASE() AND ID <> CONNECTION_ID()"
    )
    for (session,) in rows:
        with contextlib.suppress(Exception):  # it may have ended meanwhile
            engine.query(f"KILL {int(session)}")


def test_cancel_a_deploy_to_several_targets_in_parallel(
    pg_cluster: Any, tmp_path: Path, scenarios: Any
) -> None:
    """`-e qa,uat --parallel 2`: both targets' statements are cancelled on their servers,
    both rolled back, both reported as cancelled."""
    family = "cancel: SIGINT during deploy to two targets in parallel (PostgreSQL)"
    with scenarios.run(family):
        import psycopg

        names = [pg_cluster.create_database("dbci_t_cancel_") for _ in range(2)]
        try:
            urls = [pg_cluster.database_url(n) for n in names]
            toml = "".join(
                f'[environments.{env}]\nurl = "{url}"\n'
                for env, url in zip(("qa", "uat"), urls, strict=True)
            )
            files = {
                "V1__first.sql": "CREATE TABLE first_table (id int);\n",
                "V2__slow.sql": "CREATE TABLE half_done (id int);\nSELECT pg_sleep(60);\n",
            }
            root = write_project(tmp_path, files, toml)
            process = _start(root, "-e", "qa,uat", "deploy", "--parallel", "2")
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                admin = pg_cluster.admin_connection()
                sleeping = admin.execute(
                    "SELECT count(DISTINCT datname) FROM pg_stat_activity "
                    "WHERE wait_event = 'PgSleep' AND datname = ANY(%s)",
                    (names,),
                ).fetchone()[0]
                if sleeping == 2:
                    break
                time.sleep(0.05)
            out, err, elapsed, bound = _cancel(process, signal.SIGINT, family, scenarios)
            assert process.returncode == 130, (out, err)
            _assert_one_line(err, "INT")
            bound.check(elapsed, "the cancelled deploy")
            report = json.loads((root / "dbci-report" / "report.json").read_text())
            assert [t["status"] for t in report["deploy"]["targets"]] == ["cancelled"] * 2
            for url in urls:
                with psycopg.connect(url.replace("+psycopg", "")) as connection:
                    tables = {
                        r[0]
                        for r in connection.execute(
                            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                        ).fetchall()
                    }
                    running = connection.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' "
                        "AND datname = current_database()"
                    ).fetchone()[0]
                assert "first_table" in tables and "half_done" not in tables
                assert running == 0
        finally:
            for name in names:
                pg_cluster.drop_database(name)


@pytest.mark.parametrize(
    ("command", "signal_name"),
    [("check", "INT"), ("pipeline", "TERM"), ("undo", "INT"), ("clean", "TERM")],
)
def test_cancel_the_other_commands(
    pg_url: str, command: str, signal_name: str, tmp_path: Path, scenarios: Any
) -> None:
    """check and pipeline (a pending migration runs long on the build database), undo (its
    U script runs long), clean (it waits for a table another session holds)."""
    import psycopg

    signum, code = SIGNALS[signal_name]
    family = f"cancel: SIG{signal_name} during {command} (PostgreSQL)"
    with scenarios.run(family):
        plain = pg_url.replace("+psycopg", "")
        toml = f'[environments.target]\nurl = "{pg_url}"\nprovisioner = "clean"\n'
        files = {
            "V1__first.sql": "CREATE TABLE first_table (id int);\n",
            "U1__first.sql": "SELECT pg_sleep(60);\nDROP TABLE first_table;\n",
        }
        root = write_project(tmp_path, files, toml)
        applied = subprocess.run(
            [sys.executable, "-m", "dbci", "--project", str(root), "-e", "target", "migrate"],
            capture_output=True,
            text=True,
        )
        assert applied.returncode == 0, applied.stderr
        if command in ("check", "pipeline"):
            write_project(tmp_path, {"V2__slow.sql": "SELECT pg_sleep(60);\n"})
        holder = None
        if command == "clean":  # clean's DROP waits behind the application's transaction
            holder = psycopg.connect(plain)
            holder.execute("SELECT * FROM first_table").fetchall()
        try:
            process = _start(root, "-e", "target", command)
            _wait_sleeping_or_waiting(process, command)
            out, err, elapsed, bound = _cancel(process, signum, family, scenarios)
        finally:
            if holder is not None:
                holder.close()
        assert process.returncode == code, (out, err)
        _assert_one_line(err, signal_name)
        bound.check(elapsed, f"the cancelled {command}")
        with psycopg.connect(plain, autocommit=True) as connection:
            tables = {
                r[0]
                for r in connection.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                ).fetchall()
            }
        # The target as it was: V1's table and the history, whatever the command was.
        assert "first_table" in tables and "flyway_schema_history" in tables
        if command in ("check", "pipeline"):
            report = json.loads((root / "dbci-report" / "report.json").read_text())
            assert report["status"] == "cancelled"
            assert not _embedded_servers_of(root), "an embedded build server still runs"


# Runs dbci's command line as `python -m dbci` does, with a signal sent to the process by
# itself at the moment it first imports the module named by the first argument: the window
# a signal lands in while a stage loads its modules, hit every time instead of by chance.
_SIGNAL_AT_IMPORT = """
import importlib.abc, os, signal, sys
wanted = sys.argv.pop(1)

class SignalAtImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == wanted:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, SignalAtImport())
from dbci.cli import run
run()
"""


@pytest.mark.parametrize(
    ("module", "target"),
    [
        ("dbci.stages.check.drift", True),  # the check's first import after its report
        ("dbci.stages.check.stage", True),
        ("dbci.analysis.run", False),  # the code analysis alone (no target)
    ],
)
def test_a_cancel_while_the_check_loads_still_writes_the_report(
    pg_url: str, module: str, target: bool, tmp_path: Path
) -> None:
    """From the moment the check has its report, a signal leaves report.json saying it was
    cancelled, even while the check's modules are still being imported."""
    files = {"V1__first.sql": "CREATE TABLE first_table (id int);\n"}
    root = write_project(tmp_path, files, f'[environments.target]\nurl = "{pg_url}"\n')
    where = ["-e", "target"] if target else []
    done = subprocess.run(
        [sys.executable, "-c", _SIGNAL_AT_IMPORT, module, "--project", str(root), *where, "check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 130, done
    _assert_one_line(done.stderr, "INT")
    assert "the check did not finish" in done.stderr
    report = json.loads((root / "dbci-report" / "report.json").read_text())
    assert report["status"] == "cancelled"


@pytest.mark.parametrize("module", ["dbci.cli.app", "dbci.cli.handlers"])
def test_a_cancel_while_the_command_line_loads_is_one_line(module: str, tmp_path: Path) -> None:
    """Before a command runs (while the command line's modules load), a signal ends the
    process at once with the one line and 130, not with Python's traceback."""
    root = write_project(tmp_path, {"V1__first.sql": "CREATE TABLE first_table (id int);\n"})
    done = subprocess.run(
        [sys.executable, "-c", _SIGNAL_AT_IMPORT, module, "--project", str(root), "check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 130, done
    _assert_one_line(done.stderr, "INT")
    assert "KeyboardInterrupt" not in done.stderr, done.stderr


def _wait_sleeping_or_waiting(process: subprocess.Popen[str], command: str) -> None:
    """Until some backend of this machine's servers sleeps (check, pipeline: on the embedded
    build server; undo: the target) or waits for a lock (clean)."""
    deadline = time.monotonic() + 60
    wanted = "waiting" if command == "clean" else "SELECT"

    def still(candidate: psutil.Process) -> bool:
        with contextlib.suppress(psutil.Error):
            return " ".join(candidate.cmdline()).rstrip().endswith(wanted)
        return False

    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dbci {command} ended early: {process.communicate()}")
        for candidate in psutil.process_iter(["cmdline", "ppid"]):
            with contextlib.suppress(psutil.Error):
                title = " ".join(candidate.info["cmdline"] or []).rstrip()
                if title.startswith("postgres: ") and title.endswith(wanted):
                    if _started_by(candidate, process.pid, command):
                        # The slow statement, not one of the catalog reads before it (a
                        # busy machine can catch one of those in its SELECT): still there.
                        time.sleep(0.5)
                        if still(candidate):
                            return
        time.sleep(0.1)
    process.kill()
    pytest.fail(f"dbci {command} never got to its slow part")


def _started_by(backend: psutil.Process, pid: int, command: str) -> bool:
    """Whether the backend serves the dbci process `pid` (a client of its server on this
    machine: the connection's other end is that process)."""
    try:
        ports = {c.laddr.port for c in psutil.Process(pid).net_connections() if c.laddr}
        if any(c.raddr and c.raddr.port in ports for c in backend.net_connections()):
            return True
        # The embedded build server is reached over a Unix socket: its postmaster's
        # folder is one of dbci's.
        parent = backend.parent()
        return parent is not None and any("dbci-build-" in p for p in parent.cmdline())
    except psutil.Error:
        return False


def _embedded_servers_of(root: Path) -> list[int]:
    return [
        p.pid
        for p in psutil.process_iter(["cmdline"])
        if any("dbci-build-" in part for part in p.info["cmdline"] or [])
        and "-D" in (p.info["cmdline"] or [])
    ]


def test_cancel_the_action(pg_url: str, tmp_path: Path, scenarios: Any) -> None:
    """The action as GitHub runs it (entrypoint.py, `command: deploy`), cancelled with
    SIGTERM while its deploy runs: exit 143, no further stage (no comment is posted), and
    its outputs say `cancelled`."""
    family = "cancel: SIGTERM to the action during deploy (PostgreSQL)"
    with scenarios.run(family):
        files = {
            "V1__first.sql": "CREATE TABLE first_table (id int);\n",
            "V2__slow.sql": "CREATE TABLE half_done (id int);\nSELECT pg_sleep(60);\n",
        }
        root = write_project(tmp_path / "project", files)
        output = tmp_path / "output.txt"
        environ = {
            k: v for k, v in os.environ.items() if not k.startswith(("DBCI_", "INPUT_", "GITHUB_"))
        }
        environ.update(
            {
                "GITHUB_ACTIONS": "true",
                "GITHUB_OUTPUT": str(output),
                "INPUT_COMMAND": "deploy",
                "INPUT_WORKING-DIRECTORY": str(root),
                "INPUT_URL": pg_url,
                "INPUT_COMMENT": "true",
            }
        )
        process = _Run(
            [sys.executable, str(ENTRYPOINT)],
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        import psycopg

        with psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as pg:
            sleeping_backend(pg, process)
            out, err, elapsed, bound = _cancel(process, signal.SIGTERM, family, scenarios)
            tables = {
                r[0]
                for r in pg.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                ).fetchall()
            }
        assert process.returncode == 143, (out, err)
        bound.check(elapsed, "the cancelled action")
        assert "first_table" in tables and "half_done" not in tables
        assert "dbci report" not in out, out  # no report stage, no comment
        assert "status=cancelled" in output.read_text()
