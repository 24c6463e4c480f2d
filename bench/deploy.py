#!/usr/bin/env python3
"""Benchmark `dbci deploy` against plain `psql -f` on generated PostgreSQL migrations.

One run writes the project of bench/migrate (N versioned migrations, default 500, each a
CREATE TABLE, a CREATE INDEX, an ALTER TABLE and a COMMENT ON TABLE) and its psql script
(each file wrapped in `BEGIN;` ... `COMMIT;`), both with that script's own
`write_migrations` and `write_psql_script`. Writing them is not timed. Then, `--repeat`
times and alternating, it applies them to a fresh database

* with dbci: `python -m dbci --project <dir> --url <db> --output json deploy`, which takes
  the lock, validates, checks drift (a fresh database: its live schema against an empty
  one), applies the N migrations, then snapshots the schema and saves it into
  `dbci_snapshot_history`; and
* with psql: `psql -X -q -v ON_ERROR_STOP=1 -f <script> <db>`,

timing each whole process wall-clock (Python start-up included: that is what a user waits
for). It checks every result (dbci: exit 0, `deploy.status` "success", `deploy.to_version`
N, N successful history rows, one row in `dbci_snapshot_history`, N tables; psql: N tables)
and prints the medians, the ratio dbci deploy / psql against the target (1.3x or less,
snapshot included) and, for information, a breakdown of the deploy taken from when its
progress lines reached stderr.

The server is `--url`, else `$DBCI_BENCH_POSTGRES_URL`, else `$DBCI_TEST_POSTGRES_URL`, else
an embedded server started with `pgserver`. The URL names an admin database; the benchmark
creates its own `dbci_bench_deploy_<pid>_<n>` databases there and drops them all, even on
failure. See bench/README.md.
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
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, ModuleType
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

ENV_URL = "DBCI_BENCH_POSTGRES_URL"
FALLBACK_ENV_URL = "DBCI_TEST_POSTGRES_URL"
DB_PREFIX = "dbci_bench_deploy_"
HISTORY_TABLE = "flyway_schema_history"
SNAPSHOT_TABLE = "dbci_snapshot_history"  # where deploy saves the schema it left
REPORT_DIR = "dbci-report"  # the project's report folder, deleted before each deploy
REPO_ROOT = Path(__file__).resolve().parent.parent
MIGRATE_BENCH = Path(__file__).resolve().parent / "migrate"  # the generator of the project
OUTPUT_TAIL = 2000  # characters of a failed process's output shown in the error
STOP_GRACE_S = 30.0  # how long an interrupted child gets to stop and clean up
READER_GRACE_S = 5.0  # how long to wait for the end of a finished process's stderr

# Target. The script reports it; missing it does not make it fail.
TARGET_RATIO = 1.3  # dbci deploy median over psql -f median, whole processes

# The deploy's phases, told apart by the progress lines dbci writes to stderr: each phase
# ends when the line that matches its pattern arrives (the last one, when dbci exits).
# (key, pattern of the line that ends it, label, what it holds)
DEPLOY_PHASES: tuple[tuple[str, re.Pattern[str] | None, str, str], ...] = (
    (
        "connect",
        re.compile(r"^Database: "),
        "start-up, connecting",
        "imports, settings, files, connection",
    ),
    (
        "drift",
        re.compile(r"^Current version of schema "),
        "lock, drift check, validation",
        "history, live snapshot vs empty, history table",
    ),
    (
        "migrate",
        re.compile(r"^Successfully applied "),
        "applying the migrations",
        "{count} transactions, one per migration",
    ),
    (
        "snapshot_report",
        None,
        "snapshot, saving it, report",
        f"{SNAPSHOT_TABLE}, report.json, JSON",
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


# --- Workload ------------------------------------------------------------------------------


def load_migrate_bench() -> ModuleType:
    """bench/migrate, imported from its file, for its `write_migrations(project, count)` and
    `write_psql_script(files, dest)`.

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
    for function in ("write_migrations", "write_psql_script"):
        if not callable(getattr(module, function, None)):
            raise BenchError(f"{MIGRATE_BENCH} has no {function}()")
    return module


@dataclass(frozen=True)
class Workload:
    """What one run applies: the project folder (for dbci), the combined script (for psql),
    how many migrations, and their size."""

    project: Path
    script: Path
    count: int
    kilobytes: float


def write_workload(tmp: Path, count: int) -> Workload:
    """Write bench/migrate's N migrations under `tmp/project` (no undo scripts, no config)
    and its psql script `tmp/all_in_one.sql` of the same files."""
    migrate_bench = load_migrate_bench()
    project = tmp / "project"
    files = migrate_bench.write_migrations(project, count)
    if len(files) != count:
        raise BenchError(f"write_migrations wrote {len(files)} files, not {count}")
    for step, path in enumerate(files, start=1):
        if not re.fullmatch(rf"V{step}__\w+\.sql", path.name):
            raise BenchError(f"{path.name}: not the versioned migration V{step}__<x>.sql")
    script = tmp / "all_in_one.sql"
    migrate_bench.write_psql_script(files, script)
    size = sum(path.stat().st_size for path in files)
    return Workload(project, script, count, size / 1024)


# --- Server --------------------------------------------------------------------------------


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


def import_pgserver() -> Any:
    """Import pgserver, silencing platformdirs' warning about a missing XDG_RUNTIME_DIR."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import pgserver
            import pgserver._commands
        except ImportError as err:
            raise BenchError(
                f"no server given (--url, ${ENV_URL}, ${FALLBACK_ENV_URL}) and pgserver is"
                " not installed"
            ) from err
    return pgserver


def find_psql(explicit: str | None) -> str:
    """The psql to use: `--psql`, else the one on PATH, else pgserver's bundled one."""
    if explicit:
        return explicit
    found = shutil.which("psql")
    if found:
        return found
    try:
        bundled = Path(import_pgserver()._commands.POSTGRES_BIN_PATH) / "psql"
    except BenchError:
        bundled = None
    if bundled is None or not bundled.is_file():
        raise BenchError("psql is neither on PATH nor bundled with pgserver; pass --psql")
    return str(bundled)


@contextmanager
def embedded_server(base: Path) -> Iterator[str]:
    """Start a pgserver cluster under `base`; yield its admin URL; stop it after (its files
    go with the benchmark's temporary folder)."""
    pgserver = import_pgserver()
    base.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: no XDG_RUNTIME_DIR on CI machines
        try:
            server = pgserver.get_server(base / "pgdata", cleanup_mode="stop")
        except Exception as err:  # pgserver raises whatever initdb or pg_ctl left it with
            raise BenchError(f"the embedded server did not start: {err}") from err
    try:
        yield str(server.get_uri("postgres"))
    finally:
        server.cleanup()


def server_url(option: str | None, stack: ExitStack, tmp: Path) -> tuple[str, str]:
    """(admin libpq URL, where it came from): --url, the env vars, or an embedded server."""
    if option:
        return libpq_url(option), "--url"
    for name in (ENV_URL, FALLBACK_ENV_URL):
        value = os.environ.get(name, "").strip()
        if value:
            return libpq_url(value), f"${name}"
    return libpq_url(stack.enter_context(embedded_server(tmp / "server-pg"))), "embedded pgserver"


@dataclass
class Cluster:
    """The server under test, reached with psycopg, and the databases made on it."""

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
        """Create a fresh empty database `dbci_bench_deploy_<pid>_<n>`; return its name."""
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
    """One finished process: wall-clock s, its own CPU s (user + sys), its output, when each
    stderr line arrived (s after the start), and its exit code."""

    wall: float
    cpu: float
    stdout: str
    lines: tuple[tuple[float, str], ...]
    returncode: int

    @property
    def stderr(self) -> str:
        """The whole stderr."""
        return "".join(line for _, line in self.lines)

    def tail(self) -> str:
        """The end of its output, for an error message."""
        return (self.stdout + self.stderr)[-OUTPUT_TAIL:].strip()


def child_env(tmp: Path) -> dict[str, str]:
    """This environment without `DBCI_*` variables (the project and the command line alone
    decide what dbci does), with TMPDIR in the benchmark's own folder, so whatever a child
    leaves there is deleted with that folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBCI_")}
    env["TMPDIR"] = str(tmp)
    return env


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop an interrupted child's process group: SIGINT first, so it can roll back and
    close its connection, then SIGKILL if it is still running after the grace."""
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


def run(what: str, cmd: Sequence[str], *, cwd: Path, tmp: Path, check: bool = True) -> Timing:
    """Run `cmd` (`what`, for messages) and time it. Raise BenchError if it fails, unless
    `check` is false (the caller then looks at the exit code itself).

    stdout goes to a temporary file; stderr to a pipe that a thread reads line by line as it
    comes, to time the process's phases from its progress lines. Neither can make the
    process wait. `os.wait4` gives this one child's own CPU time (the server's work is not
    in it). The child leads a process group of its own: on an error, Ctrl-C or SIGTERM the
    group is stopped (see `stop_group`).
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
        reader.join(READER_GRACE_S)  # a process left behind may still hold the pipe
        if not reader.is_alive():
            proc.stderr.close()
        out.seek(0)
        stdout = out.read()
    timing = Timing(wall, usage.ru_utime + usage.ru_stime, stdout, tuple(lines), code)
    if check and code != 0:
        raise BenchError(f"{what} exited with {code}:\n{timing.tail()}")
    return timing


def byte_compile() -> None:
    """Byte-compile dbci and its driver, as pip does when it installs a package.

    An editable install, or a shell with PYTHONDONTWRITEBYTECODE=1, leaves no (or stale)
    .pyc files: every dbci run would then compile its sources again, which a user's
    installed dbci does not do. py_compile writes the files whatever that variable says.
    """
    for name in ("dbci", "psycopg", "psycopg_binary"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            for folder in spec.submodule_search_locations:
                compileall.compile_dir(folder, quiet=1)


# --- The two sides -------------------------------------------------------------------------


def count_tables(cluster: Cluster, database: str) -> int:
    """Tables in `public` besides dbci's own (the history and the saved snapshots)."""
    ((tables,),) = cluster.execute(
        "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'public'"
        f" AND tablename NOT IN ('{HISTORY_TABLE}', '{SNAPSHOT_TABLE}')",
        database,
    )
    return int(tables)


@dataclass(frozen=True)
class DeployRun:
    """One `dbci deploy` process: its timing, its phases (s, by the keys of DEPLOY_PHASES;
    None when a progress line was missing) and the size of the snapshot it saved."""

    timing: Timing
    phases: dict[str, float] | None
    snapshot_bytes: int


def deploy_phases(timing: Timing) -> dict[str, float] | None:
    """How long each of DEPLOY_PHASES took, from when the line that ends it arrived."""
    phases: dict[str, float] = {}
    previous = 0.0
    lines = iter(timing.lines)
    for key, pattern, _, _ in DEPLOY_PHASES:
        if pattern is None:
            ended = timing.wall
        else:
            ended = next((t for t, line in lines if pattern.search(line)), None)
            if ended is None:
                return None
        phases[key] = ended - previous
        previous = ended
    return phases


def deploy_problems(timing: Timing, count: int) -> list[str]:
    """What is wrong with a deploy process by its exit code and its JSON output: it must
    exit with 0 and report `deploy.status` "success" and `deploy.to_version` N."""
    problems = [] if timing.returncode == 0 else [f"exit code {timing.returncode}, not 0"]
    try:
        data = json.loads(timing.stdout)
        if not isinstance(data, dict):
            raise TypeError("not an object")
    except (ValueError, TypeError) as err:
        return [*problems, f"no JSON result ({err})"]
    deploy = data.get("deploy")
    if not isinstance(deploy, dict):
        return [*problems, f"its JSON has no deploy object (deploy: {deploy!r})"]
    if deploy.get("status") != "success":
        errors = [t.get("error") for t in deploy.get("targets") or [] if isinstance(t, dict)]
        problems.append(f"deploy.status {deploy.get('status')!r}, not 'success' (errors {errors})")
    if deploy.get("to_version") != str(count):
        problems.append(f"deploy.to_version {deploy.get('to_version')!r}, not {str(count)!r}")
    applied = deploy.get("applied")
    if not isinstance(applied, list) or len(applied) != count:
        found = len(applied) if isinstance(applied, list) else applied
        problems.append(f"deploy.applied lists {found!r} migrations, not {count}")
    return problems


def time_deploy(cluster: Cluster, work: Workload, tmp: Path) -> DeployRun:
    """Deploy the migrations with dbci to a fresh database; check it; return the run."""
    database = cluster.create_database()
    shutil.rmtree(work.project / REPORT_DIR, ignore_errors=True)  # each deploy as the first
    cmd = [sys.executable, "-m", "dbci", "--project", str(work.project)]
    cmd += ["--url", cluster.url(database), "--output", "json", "deploy"]
    what = "dbci deploy"
    timing = run(what, cmd, cwd=work.project, tmp=tmp, check=False)
    problems = deploy_problems(timing, work.count)
    if problems:
        raise BenchError(f"{what}: " + "; ".join(problems) + f"\n{timing.tail()}")
    ((succeeded, failed),) = cluster.execute(
        "SELECT count(*) FILTER (WHERE success AND version IS NOT NULL),"
        f" count(*) FILTER (WHERE NOT success) FROM {HISTORY_TABLE}",
        database,
    )
    snapshots = cluster.execute(
        f"SELECT version, octet_length(snapshot) FROM {SNAPSHOT_TABLE}", database
    )
    tables = count_tables(cluster, database)
    versions = [row[0] for row in snapshots]
    if (succeeded, failed, tables, versions) != (work.count, 0, work.count, [str(work.count)]):
        raise BenchError(
            f"{database} after {what}: {succeeded} successful and {failed} failed history"
            f" rows, {tables} tables, {len(snapshots)} rows in {SNAPSHOT_TABLE} (versions"
            f" {versions}); expected {work.count}, 0, {work.count} and one row of version"
            f" {work.count}"
        )
    cluster.drop_database(database)
    return DeployRun(timing, deploy_phases(timing), int(snapshots[0][1]))


def time_psql(cluster: Cluster, psql: str, work: Workload, tmp: Path) -> Timing:
    """Apply the combined script with psql to a fresh database; check it; return the timing."""
    database = cluster.create_database()
    cmd = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(work.script)]
    timing = run("psql -f", [*cmd, cluster.url(database)], cwd=work.project, tmp=tmp)
    tables = count_tables(cluster, database)
    if tables != work.count:
        raise BenchError(f"{database} after psql -f: {tables} tables; expected {work.count}")
    cluster.drop_database(database)
    return timing


# --- Benchmark -----------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    """The median of `values`."""
    return statistics.median(values)


def series(timings: Sequence[Timing]) -> dict[str, Any]:
    """The figures of one side for the JSON line (seconds, 4 decimals)."""
    return {
        "median_s": round(median([t.wall for t in timings]), 4),
        "min_s": round(min(t.wall for t in timings), 4),
        "runs_s": [round(t.wall, 4) for t in timings],
        "client_cpu_median_s": round(median([t.cpu for t in timings]), 4),
    }


@dataclass
class Results:
    """Every measurement of the benchmark."""

    deploys: list[DeployRun] = field(default_factory=list)
    psqls: list[Timing] = field(default_factory=list)

    @property
    def deploy_timings(self) -> list[Timing]:
        """The deploy processes' timings."""
        return [r.timing for r in self.deploys]

    def phases(self) -> dict[str, float] | None:
        """Median seconds of each of the deploy's phases; None if a run lacked one."""
        if any(r.phases is None for r in self.deploys):
            return None
        return {
            key: median([r.phases[key] for r in self.deploys if r.phases is not None])
            for key, _, _, _ in DEPLOY_PHASES
        }


def benchmark(cluster: Cluster, psql: str, work: Workload, tmp: Path, repeat: int) -> Results:
    """Time dbci deploy and psql `repeat` times each, alternating; print each run as it ends."""
    results = Results()
    for i in range(1, repeat + 1):
        deploy = time_deploy(cluster, work, tmp)
        results.deploys.append(deploy)
        results.psqls.append(time_psql(cluster, psql, work, tmp))
        dbci, plain = deploy.timing, results.psqls[-1]
        inside = ""
        if deploy.phases is not None:
            inside = f", migrations {deploy.phases['migrate']:.2f} s"
        print(
            f"run {i}/{repeat}  dbci deploy {dbci.wall:.2f} s (cpu {dbci.cpu:.2f} s{inside})"
            f"  psql -f {plain.wall:.2f} s (cpu {plain.cpu:.2f} s)",
            flush=True,
        )
    return results


def verdict(ok: bool) -> str:
    """How a median compares with its target."""
    return "ok" if ok else "MISSED"


def side_row(label: str, timings: Sequence[Timing]) -> tuple[str, str, str]:
    """The medians line of one side."""
    return (
        label,
        f"{median([t.wall for t in timings]):.2f} s",
        f"min {min(t.wall for t in timings):.2f} s, cpu {median([t.cpu for t in timings]):.2f} s",
    )


def report(results: Results, work: Workload, *, as_json: bool, extra: dict[str, Any]) -> None:
    """Print the medians against the target, and a JSON line with the figures if asked."""
    deploys, psqls = results.deploy_timings, results.psqls
    ratio = median([t.wall for t in deploys]) / median([t.wall for t in psqls])
    rows: list[tuple[str, ...]] = [side_row(f"dbci deploy ({work.count} migrations)", deploys)]
    phases = results.phases()
    if phases is not None:
        for key, _, label, what in DEPLOY_PHASES:
            rows.append((f"  {label}", f"{phases[key]:.2f} s", what.format(count=work.count)))
    rows.append(side_row(f"psql -f ({work.count} transactions)", psqls))
    rows.append(
        (
            "dbci deploy / psql",
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
    snapshot_kb = median([r.snapshot_bytes for r in results.deploys]) / 1024
    print(
        f"  each deploy: {work.count} migrations applied, one snapshot of {snapshot_kb:.0f} KB"
        f" saved in {SNAPSHOT_TABLE}"
    )
    if phases is None:
        print(
            "  note: a deploy's stderr lacked a progress line ("
            + ", ".join(f"`{p.pattern}`" for _, p, _, _ in DEPLOY_PHASES if p is not None)
            + "): no breakdown"
        )
    if as_json:
        figures: dict[str, Any] = {
            **extra,
            "target_ratio": TARGET_RATIO,
            "ratio": round(ratio, 4),
            "dbci": {
                **series(deploys),
                "phases_median_s": None
                if phases is None
                else {k: round(v, 4) for k, v in phases.items()},
                "snapshot_bytes": results.deploys[0].snapshot_bytes,
            },
            "psql": series(psqls),
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
        prog="bench/deploy",
        description="Time `dbci deploy` against psql -f on generated PostgreSQL migrations.",
    )
    parser.add_argument(
        "--url",
        help=f"libpq URL of an admin database (default: ${ENV_URL}, else ${FALLBACK_ENV_URL},"
        " else an embedded pgserver)",
    )
    parser.add_argument(
        "--migrations", type=positive_int, default=500, help="migrations to generate (500)"
    )
    parser.add_argument(
        "--repeat", type=positive_int, default=3, help="runs of each side (3), alternating"
    )
    parser.add_argument("--json", action="store_true", help="also print a JSON line of figures")
    parser.add_argument("--psql", help="psql binary (default: psql on PATH, else pgserver's)")
    return parser.parse_args(argv)


def exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM into SystemExit so the databases and the server are still cleaned up."""
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 on success, 1 if anything failed or a check did not hold."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    try:
        with ExitStack() as stack:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dbci-bench-")))
            tmp = tmp.resolve()
            child_tmp = tmp / "tmp"
            child_tmp.mkdir()
            work = write_workload(tmp, args.migrations)

            admin_url, source = server_url(args.url, stack, tmp)
            psql = find_psql(args.psql)
            cluster = Cluster(admin_url)
            stack.callback(cluster.drop_all)
            version = cluster.execute("SHOW server_version")[0][0]
            print(f"server   {redact(admin_url)} ({source}, PostgreSQL {version})")
            print(
                f"workload {work.count} migrations ({work.kilobytes:.0f} KB), {args.repeat}"
                " run(s) of each side, alternating, each on a fresh database",
                flush=True,
            )
            byte_compile()
            results = benchmark(cluster, psql, work, child_tmp, args.repeat)
            extra = {"migrations": work.count, "repeat": args.repeat, "server": version}
            report(results, work, as_json=args.json, extra=extra)
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
