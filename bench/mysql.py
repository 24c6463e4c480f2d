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
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _bench
from _bench import (
    HISTORY_TABLE,
    MYSQL_DEFAULT_URL,
    MYSQL_ENV_URL,
    MYSQL_FALLBACK_ENV_URL,
    BenchError,
    MysqlUrl,
    Series,
    byte_compile_in_child,
    dbci_env,
    drop_all,
    ensure_dbci_importable,
    guarded,
    migrations_parser,
    mysql_url,
    run_ok,
    spawn_floor_mb,
)
from _bench import Finished as Timing

DB_PREFIX = "dbci_bench_"
ROWS_PER_TABLE = 3
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
    return _bench.write_migrations(project, count, migration_sql)


def write_mysql_script(files: Sequence[Path], dest: Path) -> None:
    """Concatenate `files` into one script for the mysql client.

    No BEGIN/COMMIT: MySQL commits each DDL statement implicitly, and the client runs in
    autocommit, so the INSERT commits on its own too, as it does under dbci.
    """
    with dest.open("w", encoding="utf-8") as out:
        for path in files:
            body = path.read_text(encoding="utf-8")
            out.write(body if body.endswith("\n") else body + "\n")


# --- Server --------------------------------------------------------------------------------


@dataclass
class Server:
    """The MySQL/MariaDB server under test, reached with the mysql client, and its databases."""

    url: MysqlUrl
    mysql: str
    mysqldump: str
    created: list[str] = field(default_factory=list)

    def query(self, sql: str, database: str | None = None) -> list[list[str]]:
        """Run `sql` with the mysql client; return its rows, tab-separated fields."""
        cmd = [self.mysql, *self.url.client_args(), "-N", "-B", "-e", sql]
        output = run_ok([*cmd, database] if database else cmd, env=self.url.client_env()).stdout
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
    output = run_ok([sys.executable, "-S", "-c", SNAPSHOT_TABLES, str(path)]).stdout
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
    cmd = [*dbci_cmd(server, database, work), "migrate"]
    timing = run_ok(cmd, cwd=work.project, env=dbci_env())
    check_history(server, database, work.count)
    check_tables(server, database, work.count)
    if not keep:
        server.drop_database(database)
    return timing


def time_mysql_migrate(server: Server, work: Workload) -> Timing:
    """Run the combined script with the mysql client on a fresh database; check it."""
    database = server.create_database()
    cmd = [server.mysql, *server.url.client_args(), database]
    timing = run_ok(cmd, cwd=work.project, stdin=work.script, env=server.url.client_env())
    check_tables(server, database, work.count)
    server.drop_database(database)
    return timing


def time_dbci_snapshot(server: Server, database: str, work: Workload, out: Path) -> Timing:
    """`dbci snapshot --to <out>` of `database`; check the file; return the timing."""
    out.unlink(missing_ok=True)
    cmd = [*dbci_cmd(server, database, work), "snapshot", "--to", str(out)]
    timing = run_ok(cmd, cwd=work.project, env=dbci_env())
    check_snapshot(out, work.count)
    return timing


def time_mysqldump(server: Server, database: str, work: Workload) -> Timing:
    """`mysqldump --no-data` of `database` (schema, routines, triggers); check the dump."""
    cmd = [server.mysqldump, *server.url.client_args(), "--no-data", "--skip-comments"]
    cmd += ["--routines", "--triggers", database]
    timing = run_ok(cmd, cwd=work.project, env=server.url.client_env())
    check_dump(timing.stdout, work.count)
    return timing


def run_line(i: int, repeat: int, label: str, dbci: Timing, ref_label: str, ref: Timing) -> str:
    """One progress line: both sides of run i."""
    return (
        f"run {i}/{repeat}  {label} {dbci.wall:.2f} s (cpu {dbci.cpu:.2f} s,"
        f" {dbci.peak_mb:.0f} MB)  {ref_label} {ref.wall:.2f} s (cpu {ref.cpu:.2f} s)"
    )


def bench_migrate(server: Server, work: Workload, repeat: int) -> tuple[Series, Series]:
    """Time dbci migrate and the mysql client `repeat` times each, alternating."""
    dbci_runs: list[Timing] = []
    ref_runs: list[Timing] = []
    for i in range(1, repeat + 1):
        dbci_runs.append(time_dbci_migrate(server, work))
        ref_runs.append(time_mysql_migrate(server, work))
        print(run_line(i, repeat, "dbci", dbci_runs[-1], "mysql", ref_runs[-1]), flush=True)
    return Series(dbci_runs), Series(ref_runs)


def bench_snapshot(
    server: Server, work: Workload, repeat: int, tmp: Path
) -> tuple[Series, Series, int]:
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
    return Series(dbci_runs), Series(ref_runs), size


def side_line(label: str, side: Series, *, peak: bool) -> str:
    """One summary line: median, minimum, CPU (and the peak RSS for dbci)."""
    line = (
        f"  {label:<36}{side.median:6.2f} s  min {side.minimum:.2f} s, cpu {side.cpu_median:.2f} s"
    )
    return line + (f", peak {side.peak_mb:.0f} MB" if peak else "")


def report(
    parts: dict[str, tuple[Series, Series]], count: int, snapshot_bytes: int, floor_mb: float
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
        figures[part] = {
            "dbci": dbci.as_dict(memory=True),
            ref_name: ref.as_dict(memory=True),
            "ratio": round(ratio, 4),
        }
    print(f"  snapshot file {snapshot_bytes // 1024} KB")
    print(f"  peak memory floor {floor_mb:.0f} MB (what any process started here reports)")
    figures["snapshot_bytes"] = snapshot_bytes
    figures["spawn_floor_rss_mb"] = round(floor_mb, 1)
    return figures


# --- Entry point ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = migrations_parser(
        "bench/mysql.py",
        "Time `dbci migrate` and `dbci snapshot` on MySQL/MariaDB against the"
        " mysql client and mysqldump.",
        url_help=f"MySQL URL of the server (default: ${MYSQL_ENV_URL}, else"
        f" ${MYSQL_FALLBACK_ENV_URL}, else {MYSQL_DEFAULT_URL})",
        repeat=5,
    )
    parser.add_argument("--mysql", help="mysql client binary (default: mysql on PATH)")
    parser.add_argument("--mysqldump", help="mysqldump binary (default: mysqldump on PATH)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 on success, 1 if anything failed, 2 without the clients."""
    args = parse_args(argv)
    mysql = find_client(args.mysql, "mysql")
    mysqldump = find_client(args.mysqldump, "mysqldump")
    if mysql is None or mysqldump is None:
        missing = " and ".join(n for n, p in (("mysql", mysql), ("mysqldump", mysqldump)) if not p)
        print(f"error: the {missing} client is not installed (or not on PATH)", file=sys.stderr)
        return EXIT_MISSING_CLIENT

    def body(stack: ExitStack) -> int | None:
        url, source = mysql_url(args.url)
        server = Server(url, mysql, mysqldump)
        stack.callback(drop_all, server)
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
        byte_compile_in_child(("dbci", "pymysql", "sqlalchemy"))

        print("migrate  each run on a fresh database")
        migrate = bench_migrate(server, work, args.repeat)
        dbci_snap, dump, snapshot_bytes = bench_snapshot(server, work, args.repeat, tmp)
        parts = {"migrate": migrate, "snapshot": (dbci_snap, dump)}
        figures = report(parts, args.migrations, snapshot_bytes, spawn_floor_mb())
        if args.json:
            extra = {"migrations": args.migrations, "repeat": args.repeat, "server": version}
            print(json.dumps({**extra, **figures}, sort_keys=True))

    return guarded(body)


if __name__ == "__main__":
    ensure_dbci_importable()
    sys.exit(main())
