#!/usr/bin/env python3
"""Benchmark dbci on MySQL/MariaDB against the `mysql` client and `mysqldump`.

One run generates N versioned migrations (`V1__step_1.sql` ... `VN__step_N.sql`, each a
CREATE TABLE with a primary and a unique key, a CREATE INDEX, an ALTER TABLE ... ADD COLUMN
and an INSERT of three rows), then times two parts, each `--repeat` times and alternating:

* **migrate**, each side on a fresh database:
  dbci: `python -m dbci --url <url> --project <dir> migrate`;
  reference: `mysql -h <host> -P <port> -u <user> <db> < <script>`, the script being every
  migration file concatenated;
* **snapshot** of one database holding the N tables (migrated by dbci, not timed):
  dbci: `python -m dbci --url <url> --project <dir> snapshot --to <file>`;
  reference: `mysqldump --no-data --skip-comments --routines --triggers <db>`.

Each figure is the whole process, wall-clock (Python start-up included: that is what a user
waits for), with its own CPU time and peak memory from `os.wait4`. It checks every result
(N successful history rows, N tables, the rows inserted; the snapshot's and the dump's N
tables) and prints the median and minimum of each side and the ratio dbci/reference.

The server is `--url`, else `$DBCI_BENCH_MYSQL_URL`, else `$DBCI_TEST_MYSQL_URL`, else
`mysql://root@127.0.0.1:3306/test`. The benchmark creates its own `dbci_bench_<pid>_<n>`
databases there and drops them all, even on failure. See bench/README.md.
"""

from __future__ import annotations

import argparse
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
import time
from collections.abc import Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

ENV_URL = "DBCI_BENCH_MYSQL_URL"
FALLBACK_ENV_URL = "DBCI_TEST_MYSQL_URL"
DEFAULT_URL = "mysql://root@127.0.0.1:3306/test"
DB_PREFIX = "dbci_bench_"
HISTORY_TABLE = "flyway_schema_history"
ROWS_PER_TABLE = 3
REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT_TAIL = 2000  # characters of a failed process's output shown in the error
EXIT_MISSING_CLIENT = 2

# Table "kinds" the generated migrations cycle through: the kind-specific column, and the
# value the INSERT gives it in row r of step s.
KINDS: tuple[tuple[str, str, str], ...] = (
    ("customer", "email varchar(320) NOT NULL", "'user{s}_{r}@example.com'"),
    ("product", "sku varchar(64) NOT NULL", "'SKU-{s}-{r}'"),
    ("purchase_order", "total_amount decimal(14, 2) NOT NULL DEFAULT 0", "{r}9.95"),
    ("invoice", "due_date date NOT NULL", "'2024-01-0{r}'"),
    ("shipment", "tracking_code varchar(40)", "'TRK{s:05d}{r}'"),
    ("audit_event", "payload json", "JSON_OBJECT('step', {s}, 'row', {r})"),
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


def table_name(step: int) -> str:
    """The table migration V<step> creates."""
    return f"{KINDS[(step - 1) % len(KINDS)][0]}_{step}"


def migration_sql(step: int) -> str:
    """The deterministic SQL of migration V<step>: a table, an index, a new column, rows."""
    kind, extra_column, value = KINDS[(step - 1) % len(KINDS)]
    table = table_name(step)
    column = extra_column.split()[0]
    rows = ",\n".join(
        f"    ('{kind} {step}.{r}', {value.format(s=step, r=r)})"
        for r in range(1, ROWS_PER_TABLE + 1)
    )
    return (
        f"-- V{step}: step {step}, adds table {table}\n"
        f"CREATE TABLE {table} (\n"
        "    id bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,\n"
        "    name varchar(200) NOT NULL,\n"
        f"    {extra_column},\n"
        "    status smallint NOT NULL DEFAULT 0,\n"
        "    created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
        f"    UNIQUE KEY {table}_name_uk (name)\n"
        ");\n"
        "\n"
        f"CREATE INDEX {table}_created_at_idx ON {table} (created_at, status);\n"
        "\n"
        f"ALTER TABLE {table} ADD COLUMN updated_at timestamp NULL;\n"
        "\n"
        f"INSERT INTO {table} (name, {column}) VALUES\n{rows};\n"
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


def write_mysql_script(files: Sequence[Path], dest: Path) -> None:
    """Concatenate `files` into one script for the mysql client.

    No BEGIN/COMMIT: MySQL commits each DDL statement implicitly, and the client runs in
    autocommit, so the INSERT commits on its own too, as it does under dbci.
    """
    with dest.open("w", encoding="utf-8") as out:
        for path in files:
            body = path.read_text(encoding="utf-8")
            out.write(body if body.endswith("\n") else body + "\n")


# --- Processes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """One finished process: wall-clock s, its own CPU s (user + sys), peak RSS, stdout."""

    wall: float
    cpu: float
    peak_mb: float
    output: str


def run(
    cmd: Sequence[str],
    *,
    cwd: Path | None = None,
    stdin: Path | None = None,
    env: dict[str, str] | None = None,
) -> Timing:
    """Run `cmd` (stdin from the file `stdin`, else empty) and time it; raise if it fails.

    Output goes to temporary files (not pipes), so the timing is the process's alone.
    `os.wait4` gives this one child's own CPU time and maximum resident set size.
    """
    with ExitStack() as files:
        out = files.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace"))
        err = files.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace"))
        source = files.enter_context(stdin.open("rb")) if stdin else subprocess.DEVNULL
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=source, cwd=cwd, env=env)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            with suppress(OSError):
                proc.kill()
                proc.wait()
            raise
        wall = time.perf_counter() - started
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if code != 0:
        tail = (stdout + stderr)[-OUTPUT_TAIL:].strip()
        name = "dbci" if list(cmd[1:3]) == ["-m", "dbci"] else Path(cmd[0]).name
        raise BenchError(f"{name} exited with {code}:\n{tail}")
    # ru_maxrss is in KiB on Linux
    return Timing(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout)


def dbci_env() -> dict[str, str]:
    """The environment for dbci: ours without `DBCI_*`, so the command line alone decides."""
    return {k: v for k, v in os.environ.items() if not k.startswith("DBCI_")}


# --- Server --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerUrl:
    """A MySQL URL taken apart: what the clients need, and dbci's URL of any database."""

    url: str
    host: str
    port: int
    user: str | None
    password: str | None

    @classmethod
    def parse(cls, text: str) -> ServerUrl:
        """Parse `mysql://user[:password]@host[:port]/db` (`mariadb:`, `+driver` allowed)."""
        parts = urlsplit(text.strip())
        scheme = parts.scheme.split("+", 1)[0]
        if scheme not in {"mysql", "mariadb"}:
            raise BenchError(f"not a MySQL URL (scheme {parts.scheme!r})")
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        return cls(text.strip(), parts.hostname or "127.0.0.1", parts.port or 3306, user, password)

    def with_database(self, database: str) -> str:
        """dbci's URL of `database` on this server (keeps user, password, host and query)."""
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))

    def redacted(self) -> str:
        """The URL with any password replaced by `***`, safe to print."""
        parts = urlsplit(self.url)
        if not parts.password:
            return self.url
        userinfo, _, hostinfo = parts.netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        return urlunsplit(parts._replace(netloc=f"{user}:***@{hostinfo}"))

    def client_args(self) -> list[str]:
        """Connection options for mysql and mysqldump (TCP; the password goes by MYSQL_PWD)."""
        args = ["--protocol=TCP", "-h", self.host, "-P", str(self.port)]
        return args + (["-u", self.user] if self.user else [])

    def client_env(self) -> dict[str, str]:
        """The clients' environment: the password in MYSQL_PWD, never on the command line."""
        env = dict(os.environ)
        env.pop("MYSQL_PWD", None)
        if self.password:
            env["MYSQL_PWD"] = self.password
        return env


def server_url(option: str | None) -> tuple[ServerUrl, str]:
    """(the server's URL, where it came from): --url, the env vars, or the default."""
    if option:
        return ServerUrl.parse(option), "--url"
    for name in (ENV_URL, FALLBACK_ENV_URL):
        value = os.environ.get(name, "").strip()
        if value:
            return ServerUrl.parse(value), f"${name}"
    return ServerUrl.parse(DEFAULT_URL), "default"


@dataclass
class Server:
    """The MySQL/MariaDB server under test, reached with the mysql client, and its databases."""

    url: ServerUrl
    mysql: str
    mysqldump: str
    created: list[str] = field(default_factory=list)

    def query(self, sql: str, database: str | None = None) -> list[list[str]]:
        """Run `sql` with the mysql client; return its rows, tab-separated fields."""
        cmd = [self.mysql, *self.url.client_args(), "-N", "-B", "-e", sql]
        output = run([*cmd, database] if database else cmd, env=self.url.client_env()).output
        return [line.split("\t") for line in output.splitlines()]

    def create_database(self) -> str:
        """Create a fresh empty database `dbci_bench_<pid>_<n>`; return its name."""
        name = f"{DB_PREFIX}{os.getpid()}_{len(self.created) + 1}"
        self.query(f"DROP DATABASE IF EXISTS `{name}`")
        self.query(f"CREATE DATABASE `{name}`")
        self.created.append(name)
        return name

    def drop_database(self, name: str) -> None:
        """Drop `name`."""
        self.query(f"DROP DATABASE IF EXISTS `{name}`")
        self.created.remove(name)

    def drop_all(self) -> None:
        """Drop every database still left; report (not raise) a failure to drop one."""
        for name in list(self.created):
            try:
                self.drop_database(name)
            except BenchError as err:
                print(f"warning: could not drop database {name}: {err}", file=sys.stderr)

    def version(self) -> str:
        """The server's version string."""
        return self.query("SELECT VERSION()")[0][0]


def find_client(explicit: str | None, name: str) -> str | None:
    """The client binary to use: the option's, else `name` on PATH; None if there is none."""
    if explicit:
        return explicit if Path(explicit).is_file() else None
    return shutil.which(name)


# --- Checks --------------------------------------------------------------------------------


def check_history(server: Server, database: str, count: int) -> None:
    """Require `count` successful versioned rows and no failed row in the history table."""
    row = server.query(
        "SELECT COALESCE(SUM(success = 1 AND version IS NOT NULL), 0),"
        f" COALESCE(SUM(success = 0), 0) FROM {HISTORY_TABLE}",
        database,
    )[0]
    succeeded, failed = (int(v) for v in row)
    if succeeded != count or failed != 0:
        raise BenchError(
            f"{database}: {HISTORY_TABLE} has {succeeded} successful and {failed} failed"
            f" rows; expected {count} and 0"
        )


def check_tables(server: Server, database: str, count: int) -> None:
    """Require `count` tables besides the history table, and the rows in the last one."""
    found = int(
        server.query(
            "SELECT COUNT(*) FROM information_schema.tables"
            f" WHERE table_schema = '{database}' AND table_type = 'BASE TABLE'"
            f" AND table_name <> '{HISTORY_TABLE}'"
        )[0][0]
    )
    if found != count:
        raise BenchError(f"{database}: {found} tables; expected {count}")
    last = table_name(count)
    rows = int(server.query(f"SELECT COUNT(*) FROM {last}", database)[0][0])
    if rows != ROWS_PER_TABLE:
        raise BenchError(f"{database}: {rows} rows in {last}; expected {ROWS_PER_TABLE}")


# Prints the names of the snapshot file's tables, one a line.
SNAPSHOT_TABLES = """
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    data = json.load(f)
for o in data.get("objects", []):
    if o.get("type") == "table":
        print(o["name"])
"""


def check_snapshot(path: Path, count: int) -> None:
    """Require the snapshot file to hold exactly the `count` generated tables.

    The file is parsed in a child process: parsing it here would raise this process's peak
    RSS, the floor of every peak measured after it (see `spawn_floor_mb`).
    """
    output = run([sys.executable, "-S", "-c", SNAPSHOT_TABLES, str(path)]).output
    tables = set(output.split())
    expected = {table_name(step) for step in range(1, count + 1)}
    if tables != expected:
        missing, extra = len(expected - tables), len(tables - expected)
        raise BenchError(f"snapshot: {missing} generated tables missing, {extra} others")


CREATE_TABLE = re.compile(r"^CREATE TABLE `([^`]+)`", re.MULTILINE)


def check_dump(dump: str, count: int) -> None:
    """Require the dump to create the `count` generated tables (and the history table)."""
    tables = set(CREATE_TABLE.findall(dump)) - {HISTORY_TABLE}
    expected = {table_name(step) for step in range(1, count + 1)}
    if tables != expected:
        missing, extra = len(expected - tables), len(tables - expected)
        raise BenchError(f"mysqldump: {missing} generated tables missing, {extra} others")


# --- Benchmark -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """What one run applies: the project dir (for dbci), the combined script (for mysql)."""

    project: Path
    script: Path
    count: int


def dbci_cmd(server: Server, database: str, work: Workload) -> list[str]:
    """`python -m dbci --url <db> --project <dir>`, the start of every dbci command."""
    url = server.url.with_database(database)
    return [sys.executable, "-m", "dbci", "--url", url, "--project", str(work.project)]


def time_dbci_migrate(server: Server, work: Workload, *, keep: bool = False) -> Timing:
    """Apply the migrations with dbci to a fresh database; check it; return the timing."""
    database = server.create_database()
    timing = run([*dbci_cmd(server, database, work), "migrate"], cwd=work.project, env=dbci_env())
    check_history(server, database, work.count)
    check_tables(server, database, work.count)
    if not keep:
        server.drop_database(database)
    return timing


def time_mysql_migrate(server: Server, work: Workload) -> Timing:
    """Run the combined script with the mysql client on a fresh database; check it."""
    database = server.create_database()
    cmd = [server.mysql, *server.url.client_args(), database]
    timing = run(cmd, cwd=work.project, stdin=work.script, env=server.url.client_env())
    check_tables(server, database, work.count)
    server.drop_database(database)
    return timing


def time_dbci_snapshot(server: Server, database: str, work: Workload, out: Path) -> Timing:
    """`dbci snapshot --to <out>` of `database`; check the file; return the timing."""
    out.unlink(missing_ok=True)
    cmd = [*dbci_cmd(server, database, work), "snapshot", "--to", str(out)]
    timing = run(cmd, cwd=work.project, env=dbci_env())
    check_snapshot(out, work.count)
    return timing


def time_mysqldump(server: Server, database: str, work: Workload) -> Timing:
    """`mysqldump --no-data` of `database` (schema, routines, triggers); check the dump."""
    cmd = [server.mysqldump, *server.url.client_args(), "--no-data", "--skip-comments"]
    cmd += ["--routines", "--triggers", database]
    timing = run(cmd, cwd=work.project, env=server.url.client_env())
    check_dump(timing.output, work.count)
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

    @property
    def peak_mb(self) -> float:
        """Largest peak RSS of any run, MB."""
        return max(t.peak_mb for t in self.runs)

    def as_dict(self) -> dict[str, Any]:
        """The figures for the JSON line (seconds, 4 decimals)."""
        return {
            "median_s": round(self.median, 4),
            "min_s": round(self.minimum, 4),
            "runs_s": [round(t.wall, 4) for t in self.runs],
            "client_cpu_median_s": round(self.cpu_median, 4),
            "peak_rss_mb": round(self.peak_mb, 1),
        }


BYTE_COMPILE = """
import compileall, importlib.util
for name in ("dbci", "pymysql", "sqlalchemy"):
    spec = importlib.util.find_spec(name)
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            compileall.compile_dir(folder, quiet=1)
"""


def byte_compile() -> None:
    """Byte-compile dbci and its drivers, as pip does when it installs a package.

    An editable install, or a shell with PYTHONDONTWRITEBYTECODE=1, leaves no (or stale)
    .pyc files: every dbci run would then compile its sources again, which a user's
    installed dbci does not do. py_compile writes the files whatever that variable says.
    It runs in a child process: compiling here would grow this process's peak RSS, which
    every process it starts inherits as the floor of its own (see `spawn_floor_mb`).
    """
    done = subprocess.run([sys.executable, "-c", BYTE_COMPILE], capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"byte-compiling failed:\n{done.stderr[-OUTPUT_TAIL:].strip()}")


def spawn_floor_mb() -> float:
    """The peak RSS `os.wait4` reports for a process that does nothing, MB.

    On Linux a child's maximum RSS starts at its parent's peak RSS (subprocess spawns it
    with vfork, and exec keeps the old memory's high-water mark), so each figure is at
    least this much; dbci's real peak is its figure when that is above the floor.
    """
    return run([sys.executable, "-S", "-c", "pass"]).peak_mb


def run_line(i: int, repeat: int, label: str, dbci: Timing, ref_label: str, ref: Timing) -> str:
    """One progress line: both sides of run i."""
    return (
        f"run {i}/{repeat}  {label} {dbci.wall:.2f} s (cpu {dbci.cpu:.2f} s,"
        f" {dbci.peak_mb:.0f} MB)  {ref_label} {ref.wall:.2f} s (cpu {ref.cpu:.2f} s)"
    )


def bench_migrate(server: Server, work: Workload, repeat: int) -> tuple[Summary, Summary]:
    """Time dbci migrate and the mysql client `repeat` times each, alternating."""
    dbci_runs: list[Timing] = []
    ref_runs: list[Timing] = []
    for i in range(1, repeat + 1):
        dbci_runs.append(time_dbci_migrate(server, work))
        ref_runs.append(time_mysql_migrate(server, work))
        print(run_line(i, repeat, "dbci", dbci_runs[-1], "mysql", ref_runs[-1]), flush=True)
    return Summary(tuple(dbci_runs)), Summary(tuple(ref_runs))


def bench_snapshot(
    server: Server, work: Workload, repeat: int, tmp: Path
) -> tuple[Summary, Summary, int]:
    """Time dbci snapshot and mysqldump `repeat` times each, alternating, on one database."""
    setup = time_dbci_migrate(server, work, keep=True)
    database = server.created[-1]
    print(
        f"snapshot {database}: {work.count} tables, migrated by dbci in {setup.wall:.2f} s"
        " (not timed)"
    )
    out = tmp / "snapshot.json"
    dbci_runs: list[Timing] = []
    ref_runs: list[Timing] = []
    for i in range(1, repeat + 1):
        dbci_runs.append(time_dbci_snapshot(server, database, work, out))
        ref_runs.append(time_mysqldump(server, database, work))
        print(run_line(i, repeat, "dbci", dbci_runs[-1], "mysqldump", ref_runs[-1]), flush=True)
    size = out.stat().st_size
    server.drop_database(database)
    return Summary(tuple(dbci_runs)), Summary(tuple(ref_runs)), size


def side_line(label: str, side: Summary, *, peak: bool) -> str:
    """One summary line: median, minimum, CPU (and the peak RSS for dbci)."""
    line = (
        f"  {label:<36}{side.median:6.2f} s  min {side.minimum:.2f} s, cpu {side.cpu_median:.2f} s"
    )
    return line + (f", peak {side.peak_mb:.0f} MB" if peak else "")


def report(
    parts: dict[str, tuple[Summary, Summary]], count: int, snapshot_bytes: int, floor_mb: float
) -> dict[str, Any]:
    """Print the medians and ratios; return the figures for the JSON line."""
    labels = {
        "migrate": (f"dbci migrate ({count} migrations)", "mysql < script", "mysql"),
        "snapshot": (f"dbci snapshot ({count} tables)", "mysqldump --no-data", "mysqldump"),
    }
    figures: dict[str, Any] = {}
    print("medians:")
    for part, (dbci, ref) in parts.items():
        dbci_label, ref_label, ref_name = labels[part]
        ratio = dbci.median / ref.median
        print(side_line(dbci_label, dbci, peak=True))
        print(side_line(ref_label, ref, peak=False))
        print(f"  {f'dbci {part} / {ref_name}':<36}{ratio:6.2f}x")
        figures[part] = {"dbci": dbci.as_dict(), ref_name: ref.as_dict(), "ratio": round(ratio, 4)}
    print(f"  snapshot file {snapshot_bytes // 1024} KB")
    print(f"  peak memory floor {floor_mb:.0f} MB (what any process started here reports)")
    figures["snapshot_bytes"] = snapshot_bytes
    figures["spawn_floor_rss_mb"] = round(floor_mb, 1)
    return figures


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
        prog="bench/mysql",
        description="Time `dbci migrate` and `dbci snapshot` on MySQL/MariaDB against the"
        " mysql client and mysqldump.",
    )
    parser.add_argument(
        "--url",
        help=f"MySQL URL of the server (default: ${ENV_URL}, else ${FALLBACK_ENV_URL},"
        f" else {DEFAULT_URL})",
    )
    parser.add_argument(
        "--migrations", type=positive_int, default=500, help="migrations to generate (500)"
    )
    parser.add_argument(
        "--repeat", type=positive_int, default=5, help="runs of each side (5), alternating"
    )
    parser.add_argument("--json", action="store_true", help="also print a JSON line of figures")
    parser.add_argument("--mysql", help="mysql client binary (default: mysql on PATH)")
    parser.add_argument("--mysqldump", help="mysqldump binary (default: mysqldump on PATH)")
    return parser.parse_args(argv)


def exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM into SystemExit so the databases are still dropped."""
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 on success, 1 if anything failed, 2 without the clients."""
    args = parse_args(argv)
    mysql = find_client(args.mysql, "mysql")
    mysqldump = find_client(args.mysqldump, "mysqldump")
    if mysql is None or mysqldump is None:
        missing = " and ".join(n for n, p in (("mysql", mysql), ("mysqldump", mysqldump)) if not p)
        print(f"error: the {missing} client is not installed (or not on PATH)", file=sys.stderr)
        return EXIT_MISSING_CLIENT
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    try:
        with ExitStack() as stack:
            url, source = server_url(args.url)
            server = Server(url, mysql, mysqldump)
            stack.callback(server.drop_all)
            version = server.version()
            print(f"server   {url.redacted()} ({source}, {version})")

            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dbci-bench-")))
            files = write_migrations(tmp / "project", args.migrations)
            script = tmp / "all_in_one.sql"
            write_mysql_script(files, script)
            work = Workload(tmp / "project", script, args.migrations)
            size_kb = script.stat().st_size // 1024
            print(
                f"workload {args.migrations} migrations ({size_kb} KB), {args.repeat} run(s)"
                " of each side, alternating"
            )
            byte_compile()

            print("migrate  each run on a fresh database")
            migrate = bench_migrate(server, work, args.repeat)
            dbci_snap, dump, snapshot_bytes = bench_snapshot(server, work, args.repeat, tmp)
            parts = {"migrate": migrate, "snapshot": (dbci_snap, dump)}
            figures = report(parts, args.migrations, snapshot_bytes, spawn_floor_mb())
            if args.json:
                extra = {"migrations": args.migrations, "repeat": args.repeat, "server": version}
                print(json.dumps({**extra, **figures}, sort_keys=True))
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
