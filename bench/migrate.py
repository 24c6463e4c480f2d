#!/usr/bin/env python3
"""Benchmark `dbci migrate` against plain `psql` on generated PostgreSQL migrations.

One run generates N versioned migrations (`V1__step_1.sql` ... `VN__step_N.sql`, each a
CREATE TABLE, a CREATE INDEX, an ALTER TABLE and a COMMENT ON TABLE), then, `--repeat`
times and alternating, applies them to a fresh database

* with dbci: `python -m dbci --url <url> --project <dir> migrate`, and
* with psql: one script wrapping every file in `BEGIN;` ... `COMMIT;`, run by
  `psql -X -q -v ON_ERROR_STOP=1 -f <script> <url>`,

timing each whole process wall-clock (Python start-up included: that is what a user waits
for). It checks every result (N successful history rows, N tables) and prints the median and
minimum of each side and the ratio dbci/psql of the medians.

The server is `--url`, else `$DBCI_BENCH_POSTGRES_URL`, else `$DBCI_TEST_POSTGRES_URL`, else
an embedded server started with `pgserver`. The URL names an admin database; the benchmark
creates its own `dbci_bench_<pid>_<n>` databases there and drops them all, even on failure.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ENV_URL = "DBCI_BENCH_POSTGRES_URL"
FALLBACK_ENV_URL = "DBCI_TEST_POSTGRES_URL"
DB_PREFIX = "dbci_bench_"
HISTORY_TABLE = "flyway_schema_history"
TARGET_RATIO = 1.3
REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT_TAIL = 2000  # characters of a failed process's output shown in the error

# Table "kinds" the generated migrations cycle through, with one kind-specific column each.
KINDS: tuple[tuple[str, str], ...] = (
    ("customer", "email varchar(320) NOT NULL"),
    ("product", "sku varchar(64) NOT NULL"),
    ("purchase_order", "total_amount numeric(14, 2) NOT NULL DEFAULT 0"),
    ("invoice", "due_date date NOT NULL"),
    ("shipment", "tracking_code varchar(40)"),
    ("audit_event", "payload jsonb NOT NULL DEFAULT '{}'::jsonb"),
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


# --- Migrations ----------------------------------------------------------------------------


def migration_sql(step: int) -> str:
    """The deterministic SQL of migration V<step>: a table, an index, a new column, a comment."""
    kind, extra_column = KINDS[(step - 1) % len(KINDS)]
    table = f"{kind}_{step}"
    return (
        f"-- V{step}: step {step}, adds table {table}\n"
        f"CREATE TABLE {table} (\n"
        "    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
        "    name varchar(200) NOT NULL,\n"
        f"    {extra_column},\n"
        "    status smallint NOT NULL DEFAULT 0,\n"
        "    created_at timestamptz NOT NULL DEFAULT now()\n"
        ");\n"
        "\n"
        f"CREATE INDEX {table}_created_at_idx ON {table} (created_at, status);\n"
        "\n"
        f"ALTER TABLE {table} ADD COLUMN updated_at timestamptz;\n"
        "\n"
        f"COMMENT ON TABLE {table} IS 'Step {step}: {kind.replace('_', ' ')} records "
        "(benchmark data, safe to drop)';\n"
    )


def write_migrations(project: Path, count: int) -> list[Path]:
    """Write `migrations/V1__step_1.sql` ... `V<count>__step_<count>.sql`; return them in order."""
    folder = project / "migrations"
    folder.mkdir(parents=True)
    files = []
    for step in range(1, count + 1):
        path = folder / f"V{step}__step_{step}.sql"
        path.write_text(migration_sql(step), encoding="utf-8")
        files.append(path)
    return files


def write_psql_script(files: Sequence[Path], dest: Path) -> None:
    """Concatenate `files` into one psql script, each wrapped in its own transaction."""
    with dest.open("w", encoding="utf-8") as out:
        for path in files:
            body = path.read_text(encoding="utf-8")
            out.write(f"BEGIN;\n{body}")
            if not body.endswith("\n"):
                out.write("\n")
            out.write("COMMIT;\n")


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
                f"no server given (--url, ${ENV_URL}, ${FALLBACK_ENV_URL}) and pgserver is "
                "not installed"
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
def embedded_server() -> Iterator[str]:
    """Start a pgserver cluster in a temp dir; yield its admin URL; stop and delete it after."""
    pgserver = import_pgserver()
    base = Path(tempfile.mkdtemp(prefix="dbci-bench-pg-"))
    try:
        server = pgserver.get_server(base / "pgdata", cleanup_mode="stop")
        try:
            yield str(server.get_uri("postgres"))
        finally:
            server.cleanup()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def server_url(option: str | None, stack: ExitStack) -> tuple[str, str]:
    """(admin libpq URL, where it came from): --url, the env vars, or an embedded server."""
    if option:
        return libpq_url(option), "--url"
    for name in (ENV_URL, FALLBACK_ENV_URL):
        value = os.environ.get(name, "").strip()
        if value:
            return libpq_url(value), f"${name}"
    return libpq_url(stack.enter_context(embedded_server())), "embedded pgserver"


# --- Processes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """One finished process: wall-clock seconds, its own CPU seconds (user + sys), output."""

    wall: float
    cpu: float
    output: str


def children_cpu() -> float:
    """CPU seconds (user + sys) used so far by this process's waited-for children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(cmd: Sequence[str], *, cwd: Path | None = None) -> Timing:
    """Run `cmd` and time it. Raise BenchError if it fails.

    Output goes to a temporary file (not a pipe), so the timing is the process's alone.
    The CPU figure is the client process's only (not the server's work).
    """
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as out:
        cpu_before = children_cpu()
        started = time.perf_counter()
        done = subprocess.run(
            cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=cwd
        )
        wall = time.perf_counter() - started
        cpu = children_cpu() - cpu_before
        out.seek(0)
        output = out.read()
    if done.returncode != 0:
        tail = output[-OUTPUT_TAIL:].strip()
        raise BenchError(f"{Path(cmd[0]).name} exited with {done.returncode}:\n{tail}")
    return Timing(wall, cpu, output)


@dataclass
class Cluster:
    """The PostgreSQL server under test, reached with psql, and the databases made on it."""

    admin_url: str
    psql: str
    created: list[str] = field(default_factory=list)

    def query(self, sql: str, database: str | None = None) -> str:
        """Run `sql` with psql on `database` (default: the admin one); return unaligned rows."""
        url = self.admin_url if database is None else with_database(self.admin_url, database)
        cmd = [self.psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql, url]
        return run(cmd).output.strip()

    def create_database(self) -> str:
        """Create a fresh empty database `dbci_bench_<pid>_<n>`; return its name."""
        name = f"{DB_PREFIX}{os.getpid()}_{len(self.created) + 1}"
        self.query(f'DROP DATABASE IF EXISTS "{name}"')
        self.query(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return name

    def drop_database(self, name: str) -> None:
        """Drop `name`, ending any session still connected to it."""
        self.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            f" WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        )
        self.query(f'DROP DATABASE IF EXISTS "{name}"')
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


# --- Checks --------------------------------------------------------------------------------


def check_history(cluster: Cluster, database: str, count: int) -> None:
    """Require `count` successful versioned rows and no failed row in the history table."""
    row = cluster.query(
        "SELECT count(*) FILTER (WHERE success AND version IS NOT NULL),"
        f" count(*) FILTER (WHERE NOT success) FROM {HISTORY_TABLE}",
        database,
    )
    succeeded, failed = (int(v) for v in row.split("|"))
    if succeeded != count or failed != 0:
        raise BenchError(
            f"{database}: {HISTORY_TABLE} has {succeeded} successful and {failed} failed"
            f" rows; expected {count} and 0"
        )


def check_tables(cluster: Cluster, database: str, count: int) -> None:
    """Require exactly `count` tables in `public` besides the history table."""
    found = int(
        cluster.query(
            "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'public'"
            f" AND tablename <> '{HISTORY_TABLE}'",
            database,
        )
    )
    if found != count:
        raise BenchError(f"{database}: {found} tables in public; expected {count}")


# --- Benchmark -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """What one run applies: the project dir (for dbci), the combined script (for psql)."""

    project: Path
    script: Path
    count: int


def time_dbci(cluster: Cluster, work: Workload) -> Timing:
    """Apply the migrations with dbci to a fresh database; check it; return the timing."""
    database = cluster.create_database()
    cmd = [sys.executable, "-m", "dbci", "--url", cluster.url(database)]
    cmd += ["--project", str(work.project), "migrate"]
    timing = run(cmd, cwd=work.project)
    check_history(cluster, database, work.count)
    check_tables(cluster, database, work.count)
    cluster.drop_database(database)
    return timing


def time_psql(cluster: Cluster, work: Workload) -> Timing:
    """Apply the combined script with psql to a fresh database; check it; return the timing."""
    database = cluster.create_database()
    cmd = [cluster.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(work.script)]
    timing = run([*cmd, cluster.url(database)], cwd=work.project)
    check_tables(cluster, database, work.count)
    cluster.drop_database(database)
    return timing


@dataclass(frozen=True)
class Summary:
    """The timings of one side."""

    runs: tuple[Timing, ...]

    @property
    def median(self) -> float:
        """Median wall-clock seconds."""
        return statistics.median(t.wall for t in self.runs)

    @property
    def minimum(self) -> float:
        """Fastest wall-clock seconds."""
        return min(t.wall for t in self.runs)

    @property
    def cpu_median(self) -> float:
        """Median CPU seconds of the client process."""
        return statistics.median(t.cpu for t in self.runs)

    def as_dict(self) -> dict[str, Any]:
        """The figures for the JSON line (seconds, 4 decimals)."""
        return {
            "median_s": round(self.median, 4),
            "min_s": round(self.minimum, 4),
            "runs_s": [round(t.wall, 4) for t in self.runs],
            "client_cpu_median_s": round(self.cpu_median, 4),
        }


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


def benchmark(cluster: Cluster, work: Workload, repeat: int) -> tuple[Summary, Summary]:
    """Time dbci and psql `repeat` times each, alternating; print each run as it ends."""
    byte_compile()
    dbci_runs: list[Timing] = []
    psql_runs: list[Timing] = []
    for i in range(1, repeat + 1):
        dbci_runs.append(time_dbci(cluster, work))
        psql_runs.append(time_psql(cluster, work))
        dbci, psql = dbci_runs[-1], psql_runs[-1]
        print(
            f"run {i}/{repeat}  dbci {dbci.wall:.2f} s (cpu {dbci.cpu:.2f} s)"
            f"  psql {psql.wall:.2f} s (cpu {psql.cpu:.2f} s)",
            flush=True,
        )
    return Summary(tuple(dbci_runs)), Summary(tuple(psql_runs))


def report(dbci: Summary, psql: Summary, *, as_json: bool, extra: dict[str, Any]) -> None:
    """Print the summary lines, and a JSON line with the figures if asked."""
    ratio = dbci.median / psql.median
    for name, side in (("dbci", dbci), ("psql", psql)):
        print(
            f"{name}   median {side.median:.2f} s  min {side.minimum:.2f} s"
            f"  (client cpu median {side.cpu_median:.2f} s)"
        )
    print(f"ratio  {ratio:.2f}x (target <= {TARGET_RATIO}x)")
    if as_json:
        figures = {
            **extra,
            "dbci": dbci.as_dict(),
            "psql": psql.as_dict(),
            "ratio": round(ratio, 4),
            "target_ratio": TARGET_RATIO,
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
        prog="bench/migrate",
        description="Time `dbci migrate` against psql on generated PostgreSQL migrations.",
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
            files = write_migrations(tmp / "project", args.migrations)
            script = tmp / "all_in_one.sql"
            write_psql_script(files, script)
            work = Workload(tmp / "project", script, args.migrations)

            admin_url, source = server_url(args.url, stack)
            cluster = Cluster(admin_url, find_psql(args.psql))
            stack.callback(cluster.drop_all)
            version = cluster.query("SHOW server_version")
            print(f"server   {redact(admin_url)} ({source}, PostgreSQL {version})")
            print(f"workload {args.migrations} migrations, {args.repeat} run(s) of each side")

            dbci, psql = benchmark(cluster, work, args.repeat)
            extra = {"migrations": args.migrations, "repeat": args.repeat, "server": version}
            report(dbci, psql, as_json=args.json, extra=extra)
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
