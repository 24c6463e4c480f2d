#!/usr/bin/env python3
"""Benchmark `dbci check` of a target with pending migrations against `dbci build` alone.

One run writes the project of bench/migrate (N versioned migrations, default 500, each a
CREATE TABLE, a CREATE INDEX, an ALTER TABLE and a COMMENT ON TABLE, written by that
script's own `write_migrations`; no undo scripts), creates a target database
`dbci_bench_check_<pid>_<n>` and brings it to version N - P (default 480, P = 20 pending)
with `python -m dbci --url <target> --project <dir> migrate --target <N - P>`. None of this
is timed. Then, `--repeat` times and alternating, it times each whole process wall-clock
(Python start-up included: that is what a user waits for):

* `python -m dbci --project <dir> --output json build --dialect postgresql`: start an
  embedded PostgreSQL (pgserver), apply the N migrations, snapshot, stop it;
* `python -m dbci --project <dir> --url <target> --output json check --dialect postgresql
  --fail-on never`, with the project's `.dbci_cache` deleted first (the code analysis of
  the P pending files is cold): the changes (the N - P applied migrations built on the
  embedded build database, then the P pending ones), drift (the target's live schema
  against the first build), the code analysis of the P pending files and the dry run.

It checks every result (build: status "passed", N migrations applied; check: status
"passed", from N - P to N, P pending, their P tables added, no drift, P files analysed, the
dry run's SQL; the target still at N - P) and prints the medians against the target: the
check at most twice the build. For information it also prints the build's own `timings`
and a breakdown of the check, taken from when its progress lines reached stderr.

The target's server is `--url`, else `$DBCI_BENCH_POSTGRES_URL`, else
`$DBCI_TEST_POSTGRES_URL`, else an embedded server started with pgserver. The URL names an
admin database; the benchmark creates its own `dbci_bench_check_<pid>_<n>` database there
and drops it, even on failure. See bench/README.md.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

ENV_URL = "DBCI_BENCH_POSTGRES_URL"
FALLBACK_ENV_URL = "DBCI_TEST_POSTGRES_URL"
DB_PREFIX = "dbci_bench_check_"
HISTORY_TABLE = "flyway_schema_history"
DIALECT = "postgresql"
CACHE_DIR = ".dbci_cache"  # the project's cache folder; the code analysis keeps its own in it
REPO_ROOT = Path(__file__).resolve().parent.parent
MIGRATE_BENCH = Path(__file__).resolve().parent / "migrate"  # the generator of the project
OUTPUT_TAIL = 2000  # characters of a failed process's output shown in the error
STOP_GRACE_S = 30.0  # how long an interrupted dbci gets to stop its server and clean up
READER_GRACE_S = 5.0  # how long to wait for the end of a finished process's stderr
EMBEDDED_VERSION = re.compile(r"\(PostgreSQL (?P<version>[0-9][^)]*)\)")
CREATE_TABLE = re.compile(r"CREATE TABLE (\w+)\b", re.IGNORECASE)
LINTING = re.compile(r"Linting (?P<linted>\d+) of (?P<scripts>\d+) files")

# Target. The script reports it; missing it does not make it fail.
TARGET_RATIO = 2.0  # check median over build median, whole processes

# The check's phases, told apart by the progress lines dbci writes to stderr: each phase
# ends when the line that matches its pattern arrives (the last one, when dbci exits).
# (key, pattern of the line that ends it, label, what it holds)
CHECK_PHASES: tuple[tuple[str, re.Pattern[str] | None, str, str], ...] = (
    (
        "connect",
        re.compile(r"^Database: "),
        "start-up, connecting to the target",
        "imports, settings, files, connection",
    ),
    (
        "target",
        re.compile(r"^Build database: "),
        "target's schema, build server start",
        "history, live snapshot, initdb, pg_ctl",
    ),
    (
        "build_database",
        LINTING,
        "on the build database",
        "{base} + {pending} migrations, 2 snapshots, stop",
    ),
    (
        "code_dryrun_report",
        None,
        "code analysis, dry run, report",
        "{pending} files linted cold, dry-run SQL",
    ),
)


class BenchError(Exception):
    """The benchmark cannot go on (a process failed or a sanity check did not hold)."""


# --- Interpreter ---------------------------------------------------------------------------


def ensure_dbci_importable() -> None:
    """Re-run this script with the repository's venv Python if this one cannot import dbci.

    `#!/usr/bin/env python3` may pick a Python without dbci; dbci is run as
    `sys.executable -m dbci`, so the interpreter matters.
    """
    if importlib.util.find_spec("dbci") is not None:
        return
    venv = REPO_ROOT / ".venv"
    venv_python = venv / "bin" / "python"
    if venv_python.is_file() and Path(sys.prefix).resolve() != venv.resolve():
        os.execv(str(venv_python), [str(venv_python), __file__, *sys.argv[1:]])
    sys.exit(f"error: {sys.executable} cannot import dbci; run this with dbci's Python")


def cores() -> int:
    """The CPUs this process may run on (what dbci sizes its pool of lint workers by)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


# --- Project -------------------------------------------------------------------------------


def load_write_migrations() -> Callable[[Path, int], list[Path]]:
    """`write_migrations(project, count)` of bench/migrate, imported from its file.

    The script has no `.py` suffix, so it is loaded with a SourceFileLoader; it only
    defines things when imported (its `main` runs under `__name__ == "__main__"`).
    """
    name = "dbci_bench_migrate"
    loader = importlib.machinery.SourceFileLoader(name, str(MIGRATE_BENCH))
    spec = importlib.util.spec_from_loader(name, loader)
    if spec is None:
        raise BenchError(f"cannot import {MIGRATE_BENCH}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up there
    try:
        loader.exec_module(module)
    except (OSError, SyntaxError, ImportError) as err:
        sys.modules.pop(name, None)
        raise BenchError(f"cannot import {MIGRATE_BENCH}: {err}") from err
    write = getattr(module, "write_migrations", None)
    if not callable(write):
        raise BenchError(f"{MIGRATE_BENCH} has no write_migrations(project, count)")
    return write


@dataclass(frozen=True)
class Project:
    """The generated project: its folder, its V scripts in order, their size, and how many
    of them the target has applied."""

    root: Path
    migrations: tuple[Path, ...]
    kilobytes: float
    base: int  # the target's version: migrations 1..base applied, the rest pending

    @property
    def count(self) -> int:
        """How many migrations the project has (the latest version)."""
        return len(self.migrations)

    @property
    def pending(self) -> tuple[Path, ...]:
        """The migrations the target has not applied: V<base + 1> ... V<count>."""
        return self.migrations[self.base :]

    def pending_tables(self) -> set[str]:
        """The tables the pending migrations create (what the check's changes must add)."""
        return {
            name
            for path in self.pending
            for name in CREATE_TABLE.findall(path.read_text(encoding="utf-8"))
        }


def write_project(root: Path, count: int, pending: int) -> Project:
    """Write bench/migrate's N migrations under `root` (no undo scripts, no config)."""
    write_migrations = load_write_migrations()
    migrations = write_migrations(root, count)
    if len(migrations) != count:
        raise BenchError(f"write_migrations wrote {len(migrations)} files, not {count}")
    for step, path in enumerate(migrations, start=1):
        if not re.fullmatch(rf"V{step}__\w+\.sql", path.name):
            raise BenchError(f"{path.name}: not the versioned migration V{step}__<x>.sql")
    size = sum(path.stat().st_size for path in migrations)
    project = Project(root, tuple(migrations), size / 1024, count - pending)
    tables = project.pending_tables()
    if len(tables) < pending:
        raise BenchError(f"the {pending} pending migrations create {len(tables)} tables")
    return project


# --- Target server -------------------------------------------------------------------------


def libpq_url(url: str) -> str:
    """The plain libpq form of a PostgreSQL URL (drops a SQLAlchemy `+driver` suffix)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in {"postgresql", "postgres"}:
        raise BenchError(f"not a PostgreSQL URL (scheme {parts.scheme!r})")
    return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, parts.fragment))


def with_database(url: str, database: str) -> str:
    """`url` pointing at `database` instead (keeps user, host and query such as `?host=`)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def redact(url: str) -> str:
    """`url` with any password replaced by `***`, safe to print."""
    parts = urlsplit(url)
    if parts.password is None or parts.password == "":
        return url
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hostinfo}"))


@contextmanager
def embedded_server(base: Path) -> Iterator[str]:
    """Start a pgserver cluster under `base` for the target; yield its admin URL; stop it
    after (its files go with the benchmark's temporary folder)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: no XDG_RUNTIME_DIR on CI machines
        try:
            import pgserver
        except ImportError as err:
            raise BenchError(
                f"no server given (--url, ${ENV_URL}, ${FALLBACK_ENV_URL}) and pgserver is"
                " not installed"
            ) from err
        base.mkdir(parents=True, exist_ok=True)
        try:
            server = pgserver.get_server(base / "pgdata", cleanup_mode="stop")
        except Exception as err:  # pgserver raises whatever initdb or pg_ctl left it with
            raise BenchError(f"the embedded target server did not start: {err}") from err
    try:
        yield str(server.get_uri("postgres"))
    finally:
        server.cleanup()


def target_server(option: str | None, stack: ExitStack, tmp: Path) -> tuple[str, str]:
    """(admin libpq URL, where it came from): --url, the env vars, or an embedded server."""
    if option:
        return libpq_url(option), "--url"
    for name in (ENV_URL, FALLBACK_ENV_URL):
        value = os.environ.get(name, "").strip()
        if value:
            return libpq_url(value), f"${name}"
    return libpq_url(stack.enter_context(embedded_server(tmp / "target-pg"))), "embedded pgserver"


@dataclass
class Cluster:
    """The target's server, reached with psycopg, and the databases made on it."""

    admin_url: str
    created: list[str] = field(default_factory=list)

    def execute(self, sql: str, database: str | None = None) -> list[tuple[Any, ...]]:
        """Run one statement in autocommit on `database` (default: the admin one); its rows."""
        import psycopg

        url = self.admin_url if database is None else self.url(database)
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                cursor = conn.execute(sql)
                return cursor.fetchall() if cursor.description else []
        except psycopg.Error as err:
            where = database or "admin database"
            raise BenchError(f"{where}: {str(err).strip()}") from err

    def create_database(self) -> str:
        """Create a fresh empty database `dbci_bench_check_<pid>_<n>`; return its name."""
        name = f"{DB_PREFIX}{os.getpid()}_{len(self.created) + 1}"
        self.execute(f'DROP DATABASE IF EXISTS "{name}"')
        self.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return name

    def drop_database(self, name: str) -> None:
        """Drop `name`, ending any session still connected to it."""
        self.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            f" WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        )
        self.execute(f'DROP DATABASE IF EXISTS "{name}"')
        self.created.remove(name)

    def drop_all(self) -> None:
        """Drop every database still left; report (not raise) a failure to drop one."""
        for name in list(self.created):
            try:
                self.drop_database(name)
            except BenchError as err:
                print(f"warning: could not drop database {name}: {err}", file=sys.stderr)

    def url(self, database: str) -> str:
        """The libpq URL of `database` on this server."""
        return with_database(self.admin_url, database)


# --- Processes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """One finished process: wall-clock s, its own CPU s (user + sys, with the children it
    waited for), its output, and when each stderr line arrived (s after the start)."""

    wall: float
    cpu: float
    stdout: str
    lines: tuple[tuple[float, str], ...]
    returncode: int

    @property
    def stderr(self) -> str:
        """The whole stderr."""
        return "".join(line for _, line in self.lines)


def child_env(tmp: Path) -> dict[str, str]:
    """This environment without `DBCI_*` variables (the project and the command line alone
    decide what dbci does), with TMPDIR in the benchmark's own folder: the embedded build
    server's temp dir is made there, so it is deleted with that folder whatever happens to
    dbci."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBCI_")}
    env["TMPDIR"] = str(tmp)
    return env


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop an interrupted child's process group: SIGINT first, so dbci stops its embedded
    server and deletes its files, then SIGKILL if it is still running after the grace."""
    with suppress(OSError):
        os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        with suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def read_lines(stream: IO[bytes], started: float, into: list[tuple[float, str]]) -> None:
    """Read `stream` to its end, noting when each line arrived (s after `started`).

    Python's stderr is line-buffered even into a pipe, so a line arrives when dbci writes it.
    """
    for raw in iter(stream.readline, b""):
        into.append((time.perf_counter() - started, raw.decode("utf-8", errors="replace")))


def run(what: str, cmd: Sequence[str], *, cwd: Path, tmp: Path, ok: Sequence[int] = (0,)) -> Timing:
    """Run `cmd` (`what`, for messages) and time it. Raise BenchError if it exits with a
    code not in `ok`.

    stdout goes to a temporary file; stderr to a pipe that a thread reads line by line as it
    comes, to time the process's phases from its progress lines. Neither can make the
    process wait. `os.wait4` gives this one child's own CPU time, with its workers' and
    helpers' (the servers' work is not in it). The child leads a process group of its own:
    on an error, Ctrl-C or SIGTERM the group is stopped (see `stop_group`).
    """
    lines: list[tuple[float, str]] = []
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            env=child_env(tmp),
            start_new_session=True,
        )
        assert proc.stderr is not None
        reader = threading.Thread(
            target=read_lines, args=(proc.stderr, started, lines), daemon=True
        )
        reader.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            stop_group(proc)
            raise
        wall = time.perf_counter() - started
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        reader.join(READER_GRACE_S)  # a worker left behind may still hold the pipe
        if not reader.is_alive():
            proc.stderr.close()
        out.seek(0)
        stdout = out.read()
    timing = Timing(wall, usage.ru_utime + usage.ru_stime, stdout, tuple(lines), code)
    if code not in ok:
        tail = (stdout + timing.stderr)[-OUTPUT_TAIL:].strip()
        raise BenchError(f"{what} exited with {code}:\n{tail}")
    return timing


def process_cmdline(pid: int) -> str | None:
    """The command line of process `pid` (Linux /proc), or None if it is not running."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, UnicodeDecodeError):
        return None


def stop_leftover_servers(root: Path) -> None:
    """Stop any PostgreSQL still running from a data dir under `root` (a dbci killed before
    it could stop its embedded server): an immediate shutdown (SIGQUIT) of its postmaster,
    found by the pid in its `postmaster.pid` and checked against its command line."""
    for pidfile in root.rglob("postmaster.pid"):
        with suppress(OSError, ValueError, IndexError):
            pid = int(pidfile.read_text().splitlines()[0])
            cmdline = process_cmdline(pid)
            if cmdline is None or str(pidfile.parent) not in cmdline:
                continue
            print(
                f"warning: stopping the leftover server {pid} ({pidfile.parent})", file=sys.stderr
            )
            os.kill(pid, signal.SIGQUIT)
            deadline = time.monotonic() + 10
            while process_cmdline(pid) is not None and time.monotonic() < deadline:
                time.sleep(0.1)


def byte_compile() -> None:
    """Byte-compile dbci, its driver, pgserver and SQLFluff, as pip does when it installs a
    package (see bench/migrate): a run must not pay for compiling dbci's sources."""
    for name in ("dbci", "psycopg", "psycopg_binary", "pgserver", "sqlfluff"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            for folder in spec.submodule_search_locations:
                compileall.compile_dir(folder, quiet=1)


def json_output(what: str, timing: Timing) -> dict[str, Any]:
    """The JSON object a `--output json` process printed."""
    try:
        data = json.loads(timing.stdout)
        if not isinstance(data, dict):
            raise TypeError("not an object")
    except (ValueError, TypeError) as err:
        tail = (timing.stdout + timing.stderr)[-OUTPUT_TAIL:].strip()
        raise BenchError(f"{what} printed no JSON result ({err}):\n{tail}") from err
    return data


# --- The target ----------------------------------------------------------------------------


def prepare_target(cluster: Cluster, project: Project, tmp: Path) -> tuple[str, Timing]:
    """Create the target database and migrate it to the project's base version (not part
    of the figures); check it. Return its name and the migrate's timing."""
    database = cluster.create_database()
    cmd = [sys.executable, "-m", "dbci", "--project", str(project.root)]
    cmd += ["--url", cluster.url(database), "migrate", "--target", str(project.base)]
    timing = run("dbci migrate --target (setting up the target)", cmd, cwd=project.root, tmp=tmp)
    check_target(cluster, database, project.base)
    return database, timing


def check_target(cluster: Cluster, database: str, version: int) -> None:
    """Require the target at `version`: as many successful versioned history rows, the
    latest `version`, no failed row, and as many tables in `public`."""
    ((succeeded, failed, latest),) = cluster.execute(
        "SELECT count(*) FILTER (WHERE success AND version IS NOT NULL),"
        " count(*) FILTER (WHERE NOT success),"
        " max(version::integer) FILTER (WHERE success AND version IS NOT NULL)"
        f" FROM {HISTORY_TABLE}",
        database,
    )
    ((tables,),) = cluster.execute(
        "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'public'"
        f" AND tablename <> '{HISTORY_TABLE}'",
        database,
    )
    if (succeeded, failed, latest, tables) != (version, 0, version, version):
        raise BenchError(
            f"{database}: {succeeded} successful and {failed} failed history rows, latest"
            f" version {latest}, {tables} tables; expected {version}, 0, {version} and"
            f" {version}"
        )


# --- dbci ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildRun:
    """One `dbci build` process: its timing and the `build` object of its JSON output."""

    timing: Timing
    build: dict[str, Any]

    def phase(self, name: str) -> float:
        """Seconds of one of dbci's `timings` (0 if it does not report that one)."""
        return float(self.build.get("timings", {}).get(name, 0)) / 1000

    @property
    def outside_s(self) -> float:
        """The whole process minus every timed phase: Python start-up, imports, settings,
        finding the files, writing the report."""
        return self.timing.wall - sum(self.build.get("timings", {}).values()) / 1000


def dbci_build(project: Project, tmp: Path) -> BuildRun:
    """Run `dbci build` on the embedded PostgreSQL once, timed; check what it reports."""
    cmd = [sys.executable, "-m", "dbci", "--project", str(project.root), "--output", "json"]
    cmd += ["build", "--dialect", DIALECT]
    what = "dbci build"
    timing = run(what, cmd, cwd=project.root, tmp=tmp, ok=(0, 1))
    build = json_output(what, timing).get("build")
    if not isinstance(build, dict):
        raise BenchError(f"{what}: its JSON has no build object (build: {build!r})")
    if build.get("status") != "passed":
        raise BenchError(f"{what}: status {build.get('status')!r}, error {build.get('error')!r}")
    migrations = build.get("migrations") or []
    applied = [m for m in migrations if m.get("status") == "success"]
    if len(migrations) != project.count or len(applied) != project.count:
        raise BenchError(
            f"{what}: {len(migrations)} migrations reported, {len(applied)} successful;"
            f" expected {project.count}"
        )
    if timing.returncode != 0:
        raise BenchError(f"{what} exited with {timing.returncode} although it passed")
    timings = build.get("timings")
    if not isinstance(timings, dict) or "migrate" not in timings:
        raise BenchError(f"{what}: its JSON has no timings.migrate (timings: {timings!r})")
    return BuildRun(timing, build)


@dataclass(frozen=True)
class CheckRun:
    """One `dbci check` process: its timing, its JSON report, and its phases (s, by the
    keys of CHECK_PHASES; None when a progress line was missing)."""

    timing: Timing
    report: dict[str, Any]
    phases: dict[str, float] | None


def check_phases(timing: Timing) -> dict[str, float] | None:
    """How long each of CHECK_PHASES took, from when the line that ends it arrived."""
    phases: dict[str, float] = {}
    previous = 0.0
    lines = iter(timing.lines)
    for key, pattern, _, _ in CHECK_PHASES:
        if pattern is None:
            ended = timing.wall
        else:
            ended = next((t for t, line in lines if pattern.search(line)), None)
            if ended is None:
                return None
        phases[key] = ended - previous
        previous = ended
    return phases


def dbci_check(project: Project, target_url: str, tmp: Path) -> CheckRun:
    """Delete the project's cache, run `dbci check` on the target once, timed; check its
    report."""
    shutil.rmtree(project.root / CACHE_DIR, ignore_errors=True)
    if (project.root / CACHE_DIR).exists():
        raise BenchError(f"could not delete {project.root / CACHE_DIR}")
    cmd = [sys.executable, "-m", "dbci", "--project", str(project.root), "--url", target_url]
    cmd += ["--output", "json", "check", "--dialect", DIALECT, "--fail-on", "never"]
    what = "dbci check"
    timing = run(what, cmd, cwd=project.root, tmp=tmp, ok=(0, 1))
    report = json_output(what, timing)
    check_report(what, report, project)
    if timing.returncode != 0:
        raise BenchError(f"{what} exited with {timing.returncode} although it passed")
    linted = [m for m in map(LINTING.search, timing.stderr.splitlines()) if m]
    if linted and int(linted[0]["linted"]) != len(project.pending):
        raise BenchError(
            f"{what} linted {linted[0]['linted']} of {linted[0]['scripts']} files, not"
            f" {len(project.pending)}: the code analysis was not cold"
        )
    return CheckRun(timing, report, check_phases(timing))


def check_report(what: str, report: dict[str, Any], project: Project) -> None:
    """Require what a check of the target at the base version must report: status
    "passed"; changes from the base version to the latest, the pending migrations, their
    tables added; no drift; the pending files analysed; the dry run's SQL. Each problem
    says what it found and what was expected."""
    problems: list[str] = []
    base, latest, pending = str(project.base), str(project.count), len(project.pending)
    if report.get("status") != "passed":
        problems.append(f"status {report.get('status')!r}, not 'passed'")
    changes = report.get("changes") or {}
    found = (changes.get("from_version"), changes.get("to_version"))
    if found != (base, latest):
        problems.append(f"changes from {found[0]!r} to {found[1]!r}, not {base!r} to {latest!r}")
    versions = [str(p.get("version")) for p in changes.get("pending") or []]
    if versions != [str(v) for v in range(project.base + 1, project.count + 1)]:
        shown = ", ".join(versions[:5]) + (", ..." if len(versions) > 5 else "")
        problems.append(
            f"{len(versions)} pending migrations ({shown}), not {project.base + 1} to {latest}"
        )
    objects = changes.get("objects") or []
    added = {o.get("name") for o in objects if (o.get("change"), o.get("type")) == ("Add", "table")}
    missing = sorted(project.pending_tables() - added)
    if missing or len(objects) < pending:
        problems.append(
            f"{len(objects)} changed objects, {len(added)} tables added"
            + (f", without {', '.join(missing[:5])}" if missing else "")
            + f"; expected the {len(project.pending_tables())} tables of the pending migrations"
        )
    drift = report.get("drift") or {}
    if drift.get("detected") is not False or drift.get("items") or drift.get("repo"):
        problems.append(
            f"drift detected {drift.get('detected')!r} ({len(drift.get('items') or [])} objects,"
            f" {len(drift.get('repo') or [])} migrations), expected none"
        )
    code = report.get("code") or {}
    if code.get("files_checked") != pending:
        problems.append(f"code analysis of {code.get('files_checked')!r} files, not {pending}")
    dryrun = report.get("dryrun") or {}
    sql = dryrun.get("sql")
    if not isinstance(sql, str) or not sql.strip() or dryrun.get("error") is not None:
        problems.append(
            f"dry run error {dryrun.get('error')!r} and SQL {str(sql)[:60]!r}, expected SQL"
            " and no error"
        )
    elif len(dryrun.get("pending") or []) != pending:
        problems.append(
            f"a dry run of {len(dryrun.get('pending') or [])} migrations, not {pending}"
        )
    if problems:
        raise BenchError(f"{what}: " + "; ".join(problems))


# --- Benchmark -----------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    """The median of `values`."""
    return statistics.median(values)


def series(timings: Sequence[Timing]) -> dict[str, Any]:
    """The figures of one kind of run for the JSON line (seconds, 4 decimals)."""
    return {
        "median_s": round(median([t.wall for t in timings]), 4),
        "min_s": round(min(t.wall for t in timings), 4),
        "runs_s": [round(t.wall, 4) for t in timings],
        "client_cpu_median_s": round(median([t.cpu for t in timings]), 4),
    }


@dataclass
class Results:
    """Every measurement of the benchmark."""

    builds: list[BuildRun] = field(default_factory=list)
    checks: list[CheckRun] = field(default_factory=list)
    embedded_version: str = "unknown"

    @property
    def build_median(self) -> float:
        """Median wall-clock seconds of the build processes."""
        return median([r.timing.wall for r in self.builds])

    @property
    def check_median(self) -> float:
        """Median wall-clock seconds of the check processes."""
        return median([r.timing.wall for r in self.checks])

    def build_phase(self, name: str) -> float:
        """Median seconds of one of the build's `timings`."""
        return median([r.phase(name) for r in self.builds])

    def check_phases(self) -> dict[str, float] | None:
        """Median seconds of each of the check's phases; None if a run lacked one."""
        if any(r.phases is None for r in self.checks):
            return None
        return {
            key: median([r.phases[key] for r in self.checks if r.phases is not None])
            for key, _, _, _ in CHECK_PHASES
        }


def benchmark(project: Project, cluster: Cluster, database: str, tmp: Path, repeat: int) -> Results:
    """Time the build and the check `repeat` times each, alternating; print each run as it
    ends. After each check, require the target still at the base version."""
    results = Results()
    for i in range(1, repeat + 1):
        build = dbci_build(project, tmp)
        results.builds.append(build)
        if i == 1:
            found = EMBEDDED_VERSION.search(build.timing.stderr)
            results.embedded_version = found["version"] if found else "unknown"
        check = dbci_check(project, cluster.url(database), tmp)
        results.checks.append(check)
        check_target(cluster, database, project.base)
        inside = ""
        if check.phases is not None:
            inside = f" (build database {check.phases['build_database']:.2f} s)"
        migrate = build.phase("migrate")
        print(
            f"run {i}/{repeat}  build {build.timing.wall:.2f} s (migrate {migrate:.2f} s)"
            f"  check {check.timing.wall:.2f} s{inside}",
            flush=True,
        )
    return results


def verdict(ok: bool) -> str:
    """How a median compares with its target."""
    return "ok" if ok else "MISSED"


def report(results: Results, project: Project, *, as_json: bool, extra: dict[str, Any]) -> None:
    """Print the medians against the target, and a JSON line with the figures if asked."""
    builds = [r.timing for r in results.builds]
    checks = [r.timing for r in results.checks]
    ratio = results.check_median / results.build_median
    pending = len(project.pending)
    names = {"base": project.base, "pending": pending}
    rows: list[tuple[str, ...]] = [
        (
            f"dbci build ({project.count} migrations)",
            f"{results.build_median:.2f} s",
            f"cpu {median([t.cpu for t in builds]):.2f} s",
        )
    ]
    for name, what in (
        ("provision", "starting the embedded server"),
        ("migrate", f"applying the {project.count} migrations"),
        ("snapshot", "the build snapshot"),
        ("teardown", "stopping and deleting it"),
    ):
        rows.append((f"  {name}", f"{results.build_phase(name):.2f} s", what))
    outside = median([r.outside_s for r in results.builds])
    rows.append(("  outside the timings", f"{outside:.2f} s", "start-up, imports, report"))
    rows.append(
        (
            f"dbci check ({project.base} -> {project.count}, {pending} pending)",
            f"{results.check_median:.2f} s",
            f"cpu {median([t.cpu for t in checks]):.2f} s",
        )
    )
    phases = results.check_phases()
    if phases is not None:
        for key, _, label, what in CHECK_PHASES:
            rows.append((f"  {label}", f"{phases[key]:.2f} s", what.format(**names)))
    rows.append(
        (
            "check / build",
            f"{ratio:.2f}x",
            "",
            f"<= {TARGET_RATIO:g}x {verdict(ratio <= TARGET_RATIO)}",
        )
    )
    rows = [(*row, "", "")[:4] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    print("medians:")
    for row in rows:
        line = f"  {row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}"
        print(line.rstrip())
    first = results.checks[0].report
    objects = first["changes"]["objects"]
    tables = sum(1 for o in objects if (o.get("change"), o.get("type")) == ("Add", "table"))
    sql_lines = len(first["dryrun"]["sql"].splitlines())
    print(
        f"  run 1's check: {len(objects)} changes ({tables} tables added), no drift,"
        f" {len(first['code']['findings'])} findings, {sql_lines} lines of dry-run SQL"
    )
    if phases is None:
        print(
            "  note: a check's stderr lacked a progress line ("
            + ", ".join(f"`{p.pattern}`" for _, p, _, _ in CHECK_PHASES if p is not None)
            + "): no breakdown"
        )
    if as_json:
        names_b = sorted({n for r in results.builds for n in r.build.get("timings", {})})
        figures: dict[str, Any] = {
            **extra,
            "embedded_server": results.embedded_version,
            "targets": {"ratio": TARGET_RATIO},
            "ratio": round(ratio, 4),
            "build": {
                **series(builds),
                "timings_median_s": {n: round(results.build_phase(n), 4) for n in names_b},
                "outside_median_s": round(outside, 4),
            },
            "check": {
                **series(checks),
                "phases_median_s": None
                if phases is None
                else {k: round(v, 4) for k, v in phases.items()},
                "changed_objects": len(objects),
                "findings": len(first["code"]["findings"]),
            },
        }
        print(json.dumps(figures, sort_keys=True))


# --- Entry point ---------------------------------------------------------------------------


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="bench/check",
        description="Time `dbci check` of a target with pending migrations against `dbci"
        " build` alone, on generated migrations.",
    )
    parser.add_argument(
        "--url",
        help="libpq URL of an admin database for the target (default: "
        f"${ENV_URL}, else ${FALLBACK_ENV_URL}, else an embedded pgserver)",
    )
    parser.add_argument(
        "--migrations", type=positive_int, default=500, help="migrations to generate (500)"
    )
    parser.add_argument(
        "--pending",
        type=positive_int,
        default=20,
        help="of them, how many the target has not applied (20)",
    )
    parser.add_argument(
        "--repeat", type=positive_int, default=3, help="runs of each kind (3), alternating"
    )
    parser.add_argument("--json", action="store_true", help="also print a JSON line of figures")
    args = parser.parse_args(argv)
    if args.pending >= args.migrations:
        parser.error(f"--pending {args.pending} must be less than --migrations {args.migrations}")
    return args


def exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM into SystemExit so the servers, databases and files are still cleaned."""
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 on success, 1 if anything failed or a check did not hold."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    try:
        with ExitStack() as stack:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dbci-bench-")))
            tmp = tmp.resolve()  # pgserver resolves its data dir: compare like with like
            stack.callback(stop_leftover_servers, tmp)
            child_tmp = tmp / "tmp"
            child_tmp.mkdir()
            project = write_project(tmp / "project", args.migrations, args.pending)

            admin_url, source = target_server(args.url, stack, tmp)
            cluster = Cluster(admin_url)
            stack.callback(cluster.drop_all)
            server = cluster.execute("SHOW server_version")[0][0]
            print(f"server   {redact(admin_url)} ({source}, PostgreSQL {server}) for the target")
            print(
                f"workload {project.count} migrations ({project.kilobytes:.0f} KB), the target at"
                f" version {project.base}: {len(project.pending)} pending; {cores()} cores"
            )
            byte_compile()
            database, setup = prepare_target(cluster, project, child_tmp)
            print(
                f"target   {database} migrated to version {project.base} in {setup.wall:.2f} s"
                " (not timed)"
            )
            print(
                f"runs     {args.repeat} of each: build, check (code analysis cache deleted"
                " before each)",
                flush=True,
            )
            results = benchmark(project, cluster, database, child_tmp, args.repeat)
            print(f"embedded PostgreSQL {results.embedded_version} (pgserver) for the builds")
            extra = {
                "migrations": project.count,
                "target_version": project.base,
                "pending": len(project.pending),
                "repeat": args.repeat,
                "cores": cores(),
                "target_server": server,
                "setup_migrate_s": round(setup.wall, 4),
            }
            report(results, project, as_json=args.json, extra=extra)
    except BenchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    ensure_dbci_importable()
    sys.exit(main())
