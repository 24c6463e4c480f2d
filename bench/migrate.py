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
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _bench
from _bench import (
    HISTORY_TABLE,
    OUTPUT_TAIL,
    BenchError,
    PsqlCluster,
    Series,
    byte_compile,
    ensure_dbci_importable,
    find_psql,
    guarded,
    migrations_parser,
    redact,
    server_url,
)

DB_PREFIX = "dbci_bench_"
TARGET_RATIO = 1.3

# Table "kinds" the generated migrations cycle through, with one kind-specific column each.
KINDS: tuple[tuple[str, str], ...] = (
    ("customer", "email varchar(320) NOT NULL"),
    ("product", "sku varchar(64) NOT NULL"),
    ("purchase_order", "total_amount numeric(14, 2) NOT NULL DEFAULT 0"),
    ("invoice", "due_date date NOT NULL"),
    ("shipment", "tracking_code varchar(40)"),
    ("audit_event", "payload jsonb NOT NULL DEFAULT '{}'::jsonb"),
)


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
    return _bench.write_migrations(project, count, migration_sql)


def write_psql_script(files: Sequence[Path], dest: Path) -> None:
    """Concatenate `files` into one psql script, each wrapped in its own transaction."""
    with dest.open("w", encoding="utf-8") as out:
        for path in files:
            body = path.read_text(encoding="utf-8")
            out.write(f"BEGIN;\n{body}")
            if not body.endswith("\n"):
                out.write("\n")
            out.write("COMMIT;\n")


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


# --- Checks --------------------------------------------------------------------------------


def check_history(cluster: PsqlCluster, database: str, count: int) -> None:
    """Require `count` successful versioned rows and no failed row in the history table."""
    row = cluster.execute(
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


def check_tables(cluster: PsqlCluster, database: str, count: int) -> None:
    """Require exactly `count` tables in `public` besides the history table."""
    found = int(
        cluster.execute(
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


def time_dbci(cluster: PsqlCluster, work: Workload) -> Timing:
    """Apply the migrations with dbci to a fresh database; check it; return the timing."""
    database = cluster.create_database()
    cmd = [sys.executable, "-m", "dbci", "--url", cluster.url(database)]
    cmd += ["--project", str(work.project), "migrate"]
    timing = run(cmd, cwd=work.project)
    check_history(cluster, database, work.count)
    check_tables(cluster, database, work.count)
    cluster.drop_database(database)
    return timing


def time_psql(cluster: PsqlCluster, work: Workload) -> Timing:
    """Apply the combined script with psql to a fresh database; check it; return the timing."""
    database = cluster.create_database()
    cmd = [cluster.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", str(work.script)]
    timing = run([*cmd, cluster.url(database)], cwd=work.project)
    check_tables(cluster, database, work.count)
    cluster.drop_database(database)
    return timing


def benchmark(cluster: PsqlCluster, work: Workload, repeat: int) -> tuple[Series, Series]:
    """Time dbci and psql `repeat` times each, alternating; print each run as it ends."""
    byte_compile(("dbci", "psycopg", "psycopg_binary"))
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
    return Series(dbci_runs), Series(psql_runs)


def report(dbci: Series, psql: Series, *, as_json: bool, extra: dict[str, Any]) -> None:
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


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = migrations_parser(
        "bench/migrate.py",
        "Time `dbci migrate` against psql on generated PostgreSQL migrations.",
    )
    parser.add_argument("--psql", help="psql binary (default: psql on PATH, else pgserver's)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 on success, 1 if anything failed or a check did not hold."""
    args = parse_args(argv)

    def body(stack: ExitStack) -> int | None:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dbci-bench-")))
        files = write_migrations(tmp / "project", args.migrations)
        script = tmp / "all_in_one.sql"
        write_psql_script(files, script)
        work = Workload(tmp / "project", script, args.migrations)

        admin_url, source = server_url(args.url, stack)
        cluster = PsqlCluster(admin_url, DB_PREFIX, psql=find_psql(args.psql))
        stack.callback(cluster.drop_all)
        version = cluster.execute("SHOW server_version")
        print(f"server   {redact(admin_url)} ({source}, PostgreSQL {version})")
        print(f"workload {args.migrations} migrations, {args.repeat} run(s) of each side")

        dbci, psql = benchmark(cluster, work, args.repeat)
        extra = {"migrations": args.migrations, "repeat": args.repeat, "server": version}
        report(dbci, psql, as_json=args.json, extra=extra)

    return guarded(body)


if __name__ == "__main__":
    ensure_dbci_importable()
    sys.exit(main())
