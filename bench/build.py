#!/usr/bin/env python3
"""Benchmark `dbci build` on the embedded PostgreSQL: its overhead, and undo verification.

One run writes the project of bench/migrate (N versioned migrations, default 500, each a
CREATE TABLE, a CREATE INDEX, an ALTER TABLE and a COMMENT ON TABLE, written by that
script's own `write_migrations`) and gives every migration `V<n>__step_<n>.sql` an undo
script `U<n>__step_<n>.sql` that reverses it statement by statement. Writing them is not
timed. Then, `--repeat` times and alternating, it times each whole process wall-clock
(Python start-up included: that is what a user waits for):

* `python -m dbci --project <dir> --output json build --dialect postgresql --no-verify-undo`:
  start an embedded PostgreSQL (pgserver), apply the N migrations, snapshot, stop it;
* the same with `--verify-undo`: each migration is also undone with its U script, the schema
  compared with the one from before it, and the migration applied again;
* the reference, when a server is given: `python -m dbci --url <db> --project <dir> migrate`
  on a fresh database of that server (the same N migrations, nothing else).

It checks every result (status "passed", N migrations applied; with `--verify-undo`, N undo
scripts, all "verified"; for the reference, N history rows and N tables) and prints the
medians against the targets: the build's overhead beyond applying the migrations, whole
process minus dbci's own `timings.migrate` (and, for information, minus the reference
migrate), and the ratio of the build with undo verification to the plain build.

The reference server is `--url`, else `$DBCI_BENCH_POSTGRES_URL`, else
`$DBCI_TEST_POSTGRES_URL`; with none, the reference is skipped. The URL names an admin
database; the benchmark creates its own `dbci_bench_build_<pid>_<n>` databases there and
drops them all, even on failure. See bench/README.md.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.machinery
import importlib.util
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ENV_URL = "DBCI_BENCH_POSTGRES_URL"
FALLBACK_ENV_URL = "DBCI_TEST_POSTGRES_URL"
DB_PREFIX = "dbci_bench_build_"
HISTORY_TABLE = "flyway_schema_history"
DIALECT = "postgresql"
REPO_ROOT = Path(__file__).resolve().parent.parent
MIGRATE_BENCH = Path(__file__).resolve().parent / "migrate"  # the generator of the project
OUTPUT_TAIL = 2000  # characters of a failed process's output shown in the error
STOP_GRACE_S = 30.0  # how long an interrupted dbci gets to stop its server and clean up
EMBEDDED_VERSION = re.compile(r"\(PostgreSQL (?P<version>[0-9][^)]*)\)")

# Targets. The script reports them; missing one does not make it fail.
TARGET_OVERHEAD_S = 2.0  # plain build, whole process minus timings.migrate, median
TARGET_UNDO_RATIO = 2.5  # build --verify-undo median over plain build median

# The statements of a generated migration, and how the undo script reverses each.
UNDO_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"CREATE TABLE (\w+)\b", re.IGNORECASE), "DROP TABLE {0};"),
    (re.compile(r"CREATE INDEX (\w+) ON\b", re.IGNORECASE), "DROP INDEX {0};"),
    (
        re.compile(r"ALTER TABLE (\w+) ADD COLUMN (\w+)\b", re.IGNORECASE),
        "ALTER TABLE {0} DROP COLUMN {1};",
    ),
    (re.compile(r"COMMENT ON TABLE (\w+) IS\b", re.IGNORECASE), "COMMENT ON TABLE {0} IS NULL;"),
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


def statements(sql: str) -> list[str]:
    """The statements of a generated migration: `--` comment lines dropped, split at `;`.

    Enough for the generated SQL, whose string literals hold no `;`.
    """
    text = re.sub(r"^\s*--[^\n]*$", "", sql, flags=re.MULTILINE)
    return [" ".join(part.split()) for part in text.split(";") if part.strip()]


def undo_sql(migration: Path) -> str:
    """The undo script of `migration`: each statement reversed, the last one first."""
    lines = [f"-- Undoes {migration.name}: what it made, dropped in reverse order\n"]
    for statement in reversed(statements(migration.read_text(encoding="utf-8"))):
        for pattern, template in UNDO_RULES:
            match = pattern.match(statement)
            if match:
                lines.append(template.format(*match.groups()) + "\n")
                break
        else:
            raise BenchError(f"{migration.name}: no undo for the statement {statement[:80]!r}")
    return "".join(lines)


@dataclass(frozen=True)
class Project:
    """The generated project: its folder, how many V (and U) scripts it has, their size."""

    root: Path
    count: int
    kilobytes: float


def write_project(root: Path, count: int) -> Project:
    """Write bench/migrate's N migrations under `root` and an undo script for each."""
    write_migrations = load_write_migrations()
    migrations = write_migrations(root, count)
    if len(migrations) != count:
        raise BenchError(f"write_migrations wrote {len(migrations)} files, not {count}")
    size = 0
    for path in migrations:
        if not re.fullmatch(r"V\d+__\w+\.sql", path.name):
            raise BenchError(f"{path.name}: not a versioned migration's name (V<n>__<x>.sql)")
        undo = path.with_name("U" + path.name[1:])
        undo.write_text(undo_sql(path), encoding="utf-8")
        size += path.stat().st_size + undo.stat().st_size
    return Project(root, count, size / 1024)


# --- Reference server ----------------------------------------------------------------------


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


def reference_url(option: str | None) -> tuple[str, str] | None:
    """(admin libpq URL, where it came from): --url, else the env vars; None: no reference."""
    if option:
        return libpq_url(option), "--url"
    for name in (ENV_URL, FALLBACK_ENV_URL):
        value = os.environ.get(name, "").strip()
        if value:
            return libpq_url(value), f"${name}"
    return None


@dataclass
class Cluster:
    """The reference server, reached with psycopg, and the databases made on it."""

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
        """Create a fresh empty database `dbci_bench_build_<pid>_<n>`; return its name."""
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
    """One finished process: wall-clock s, its own CPU s (user + sys), its output."""

    wall: float
    cpu: float
    stdout: str
    stderr: str
    returncode: int


def child_env(tmp: Path) -> dict[str, str]:
    """This environment without `DBCI_*` variables (the project alone decides what dbci
    does), with TMPDIR in the benchmark's own folder: the embedded server's temp dir is
    made there, so it is deleted with that folder whatever happens to dbci."""
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


def run(what: str, cmd: Sequence[str], *, cwd: Path, tmp: Path, ok: Sequence[int] = (0,)) -> Timing:
    """Run `cmd` (`what`, for messages) and time it. Raise BenchError if it exits with a
    code not in `ok`.

    Output goes to temporary files (not pipes), so the timing is the process's alone.
    `os.wait4` gives this one child's own CPU time (the servers' work is not in it). The
    child leads a process group of its own: on an error, Ctrl-C or SIGTERM the group is
    stopped (see `stop_group`).
    """
    with ExitStack() as files:
        out = files.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace"))
        err = files.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace"))
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            env=child_env(tmp),
            start_new_session=True,
        )
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            stop_group(proc)
            raise
        wall = time.perf_counter() - started
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if code not in ok:
        tail = (stdout + stderr)[-OUTPUT_TAIL:].strip()
        raise BenchError(f"{what} exited with {code}:\n{tail}")
    return Timing(wall, usage.ru_utime + usage.ru_stime, stdout, stderr, code)


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
    """Byte-compile dbci and its driver, as pip does when it installs a package (see
    bench/migrate): a run must not pay for compiling dbci's sources."""
    for name in ("dbci", "psycopg", "psycopg_binary", "pgserver"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            for folder in spec.submodule_search_locations:
                compileall.compile_dir(folder, quiet=1)


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
    def migrate_s(self) -> float:
        """dbci's own time for applying the migrations (with any undo verification)."""
        return self.phase("migrate")

    @property
    def overhead_s(self) -> float:
        """The whole process minus applying the migrations: figure (a)."""
        return self.timing.wall - self.migrate_s

    @property
    def outside_s(self) -> float:
        """The whole process minus every timed phase: Python start-up, imports, settings,
        finding the files, writing the report."""
        return self.timing.wall - sum(self.build.get("timings", {}).values()) / 1000


def dbci_build(project: Project, tmp: Path, *, verify_undo: bool) -> BuildRun:
    """Run `dbci build` on the embedded PostgreSQL once, timed; check what it reports."""
    flag = "--verify-undo" if verify_undo else "--no-verify-undo"
    cmd = [sys.executable, "-m", "dbci", "--project", str(project.root), "--output", "json"]
    cmd += ["build", "--dialect", DIALECT, flag]
    what = f"dbci build {flag}"
    timing = run(what, cmd, cwd=project.root, tmp=tmp, ok=(0, 1))
    try:
        build = json.loads(timing.stdout)["build"]
        if not isinstance(build, dict):
            raise TypeError("build is not an object")
    except (ValueError, KeyError, TypeError) as err:
        tail = (timing.stdout + timing.stderr)[-OUTPUT_TAIL:].strip()
        raise BenchError(f"{what} printed no JSON build result ({err}):\n{tail}") from err
    check_build(what, build, project.count, verify_undo=verify_undo)
    if timing.returncode != 0:
        raise BenchError(f"{what} exited with {timing.returncode} although it passed")
    timings = build.get("timings")
    if not isinstance(timings, dict) or "migrate" not in timings:
        raise BenchError(f"{what}: its JSON has no timings.migrate (timings: {timings!r})")
    return BuildRun(timing, build)


def check_build(what: str, build: dict[str, Any], count: int, *, verify_undo: bool) -> None:
    """Require status "passed", `count` migrations applied and, with undo verification,
    `count` undo checks all "verified" (and none without it)."""
    if build.get("status") != "passed":
        broken = [u for u in build.get("undo") or [] if u.get("status") != "verified"]
        details = "; ".join(
            f"U{u.get('version')}: {', '.join(u.get('not_restored') or [])}" for u in broken[:5]
        )
        raise BenchError(
            f"{what}: status {build.get('status')!r}, error {build.get('error')!r}"
            + (f"; undo checks not verified: {len(broken)} ({details})" if broken else "")
        )
    migrations = build.get("migrations") or []
    applied = [m for m in migrations if m.get("status") == "success"]
    if len(migrations) != count or len(applied) != count:
        raise BenchError(
            f"{what}: {len(migrations)} migrations reported, {len(applied)} successful;"
            f" expected {count}"
        )
    undo = build.get("undo") or []
    verified = sum(1 for u in undo if u.get("status") == "verified")
    if verify_undo and (build.get("undo_verified") is not True or verified != count):
        raise BenchError(
            f"{what}: undo_verified {build.get('undo_verified')!r}, {verified} of"
            f" {len(undo)} undo checks verified; expected {count} of {count}"
        )
    if not verify_undo and (undo or build.get("undo_verified") is not None):
        raise BenchError(f"{what}: {len(undo)} undo checks, expected none")


def reference_migrate(cluster: Cluster, project: Project, tmp: Path) -> Timing:
    """Apply the migrations with `dbci migrate` to a fresh database of the reference server;
    check it; return the timing."""
    database = cluster.create_database()
    cmd = [sys.executable, "-m", "dbci", "--url", cluster.url(database)]
    cmd += ["--project", str(project.root), "migrate"]
    timing = run("dbci migrate (reference)", cmd, cwd=project.root, tmp=tmp)
    ((succeeded, failed),) = cluster.execute(
        "SELECT count(*) FILTER (WHERE success AND version IS NOT NULL),"
        f" count(*) FILTER (WHERE NOT success) FROM {HISTORY_TABLE}",
        database,
    )
    ((tables,),) = cluster.execute(
        "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'public'"
        f" AND tablename <> '{HISTORY_TABLE}'",
        database,
    )
    if (succeeded, failed, tables) != (project.count, 0, project.count):
        raise BenchError(
            f"{database}: {succeeded} successful and {failed} failed history rows,"
            f" {tables} tables; expected {project.count}, 0 and {project.count}"
        )
    cluster.drop_database(database)
    return timing


# --- Benchmark -----------------------------------------------------------------------------


@dataclass
class Series:
    """The runs of one kind of `dbci build`."""

    runs: list[BuildRun] = field(default_factory=list)

    @property
    def median(self) -> float:
        """Median wall-clock seconds of the whole process."""
        return statistics.median([r.timing.wall for r in self.runs])

    @property
    def cpu_median(self) -> float:
        """Median CPU seconds of the dbci process (the server's work is not in it)."""
        return statistics.median([r.timing.cpu for r in self.runs])

    def phase_median(self, name: str) -> float:
        """Median seconds of one of dbci's `timings`."""
        return statistics.median([r.phase(name) for r in self.runs])

    def as_dict(self) -> dict[str, Any]:
        """The figures for the JSON line (seconds, 4 decimals)."""
        names = sorted({n for r in self.runs for n in r.build.get("timings", {})})
        return {
            "median_s": round(self.median, 4),
            "min_s": round(min(r.timing.wall for r in self.runs), 4),
            "runs_s": [round(r.timing.wall, 4) for r in self.runs],
            "client_cpu_median_s": round(self.cpu_median, 4),
            "timings_median_s": {n: round(self.phase_median(n), 4) for n in names},
            "overhead_median_s": round(statistics.median([r.overhead_s for r in self.runs]), 4),
        }


@dataclass
class Results:
    """Every measurement of the benchmark."""

    plain: Series = field(default_factory=Series)
    undo: Series = field(default_factory=Series)
    reference: list[Timing] = field(default_factory=list)
    embedded_version: str = "unknown"


def run_line(run: BuildRun) -> str:
    """How one build went, for its run line."""
    return f"{run.timing.wall:.2f} s (migrate {run.migrate_s:.2f} s)"


def benchmark(project: Project, cluster: Cluster | None, tmp: Path, repeat: int) -> Results:
    """Time the plain build, the build with undo verification and (with a server) the
    reference migrate `repeat` times each, alternating; print each run as it ends."""
    byte_compile()
    results = Results()
    for i in range(1, repeat + 1):
        plain = dbci_build(project, tmp, verify_undo=False)
        results.plain.runs.append(plain)
        if i == 1:
            found = EMBEDDED_VERSION.search(plain.timing.stderr)
            results.embedded_version = found["version"] if found else "unknown"
        undo = dbci_build(project, tmp, verify_undo=True)
        results.undo.runs.append(undo)
        line = f"run {i}/{repeat}  build {run_line(plain)}  --verify-undo {run_line(undo)}"
        if cluster is not None:
            results.reference.append(reference_migrate(cluster, project, tmp))
            line += f"  reference migrate {results.reference[-1].wall:.2f} s"
        print(line, flush=True)
    return results


def verdict(ok: bool) -> str:
    """How a median compares with its target."""
    return "ok" if ok else "MISSED"


def report(results: Results, count: int, *, as_json: bool, extra: dict[str, Any]) -> None:
    """Print the medians against the targets, and a JSON line with the figures if asked."""
    plain, undo = results.plain, results.undo
    overhead = statistics.median([r.overhead_s for r in plain.runs])
    ratio = undo.median / plain.median
    migrate_ratio = undo.phase_median("migrate") / plain.phase_median("migrate")
    rows: list[tuple[str, ...]] = [
        ("dbci build --no-verify-undo", f"{plain.median:.2f} s", f"cpu {plain.cpu_median:.2f} s"),
        ("  applying the migrations", f"{plain.phase_median('migrate'):.2f} s", "timings.migrate"),
        (
            "  overhead (a): the rest",
            f"{overhead:.2f} s",
            "process - timings.migrate",
            f"<= {TARGET_OVERHEAD_S:g} s {verdict(overhead <= TARGET_OVERHEAD_S)}",
        ),
    ]
    for name, what in (
        ("provision", "starting the embedded server"),
        ("snapshot", "the build snapshot"),
        ("teardown", "stopping and deleting it"),
    ):
        rows.append((f"    {name}", f"{plain.phase_median(name):.2f} s", what))
    tests_other = statistics.median([r.phase("tests") + r.phase("other") for r in plain.runs])
    outside = statistics.median([r.outside_s for r in plain.runs])
    rows.append(("    tests + other", f"{tests_other:.2f} s", "no SQL tests in the project"))
    rows.append(("    outside the timings", f"{outside:.2f} s", "start-up, imports, report"))
    reference = None
    if results.reference:
        reference = statistics.median([t.wall for t in results.reference])
        cpu = statistics.median([t.cpu for t in results.reference])
        rows.append(("  reference: dbci migrate", f"{reference:.2f} s", f"cpu {cpu:.2f} s"))
        rows.append(
            (
                "  overhead (b): build - reference",
                f"{plain.median - reference:.2f} s",
                "",
                "(for information)",
            )
        )
    rows += [
        ("dbci build --verify-undo", f"{undo.median:.2f} s", f"cpu {undo.cpu_median:.2f} s"),
        (
            "  applying + verifying undo",
            f"{undo.phase_median('migrate'):.2f} s",
            f"{count}/{count} verified, {migrate_ratio:.1f}x the plain migrate",
        ),
        (
            "  --verify-undo / plain build",
            f"{ratio:.2f}x",
            "",
            f"<= {TARGET_UNDO_RATIO:g}x {verdict(ratio <= TARGET_UNDO_RATIO)}",
        ),
    ]
    rows = [(*row, "", "")[:4] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    print("medians:")
    for row in rows:
        line = f"  {row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}"
        print(line.rstrip())
    if as_json:
        figures: dict[str, Any] = {
            **extra,
            "embedded_server": results.embedded_version,
            "targets": {"overhead_s": TARGET_OVERHEAD_S, "undo_ratio": TARGET_UNDO_RATIO},
            "build": plain.as_dict(),
            "build_verify_undo": undo.as_dict(),
            "overhead_s": round(overhead, 4),
            "undo_ratio": round(ratio, 4),
            "reference_migrate": None,
            "overhead_vs_reference_s": None,
        }
        if reference is not None:
            figures["reference_migrate"] = {
                "median_s": round(reference, 4),
                "min_s": round(min(t.wall for t in results.reference), 4),
                "runs_s": [round(t.wall, 4) for t in results.reference],
                "client_cpu_median_s": round(
                    statistics.median([t.cpu for t in results.reference]), 4
                ),
            }
            figures["overhead_vs_reference_s"] = round(plain.median - reference, 4)
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
        prog="bench/build",
        description="Time `dbci build` on the embedded PostgreSQL, with and without undo"
        " verification, on generated migrations.",
    )
    parser.add_argument(
        "--url",
        help="libpq URL of an admin database for the reference migrate (default:"
        f" ${ENV_URL}, else ${FALLBACK_ENV_URL}, else no reference)",
    )
    parser.add_argument(
        "--migrations", type=positive_int, default=500, help="migrations to generate (500)"
    )
    parser.add_argument(
        "--repeat", type=positive_int, default=3, help="runs of each kind (3), alternating"
    )
    parser.add_argument("--json", action="store_true", help="also print a JSON line of figures")
    return parser.parse_args(argv)


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
            project = write_project(tmp / "project", args.migrations)

            cluster = None
            server = "none"
            found = reference_url(args.url)
            if found is None:
                print(
                    f"server   none given (--url, ${ENV_URL}, ${FALLBACK_ENV_URL}): no reference"
                    " migrate, overhead (b) skipped"
                )
            else:
                cluster = Cluster(found[0])
                stack.callback(cluster.drop_all)
                server = cluster.execute("SHOW server_version")[0][0]
                print(
                    f"server   {redact(found[0])} ({found[1]}, PostgreSQL {server})"
                    " for the reference migrate"
                )
            print(
                f"workload {project.count} migrations, each with its undo script"
                f" ({2 * project.count} files, {project.kilobytes:.0f} KB)"
            )
            print(
                f"runs     {args.repeat} of each: build --no-verify-undo, build --verify-undo"
                + (", reference migrate" if cluster is not None else ""),
                flush=True,
            )
            results = benchmark(project, cluster, child_tmp, args.repeat)
            print(f"embedded PostgreSQL {results.embedded_version} (pgserver)")
            extra = {
                "migrations": project.count,
                "repeat": args.repeat,
                "reference_server": None if cluster is None else server,
            }
            report(results, project.count, as_json=args.json, extra=extra)
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
