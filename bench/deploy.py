#!/usr/bin/env python3
"""Benchmark `dbci deploy` against plain `psql -f` on generated PostgreSQL migrations.

One run writes the project of bench/migrate.py (N versioned migrations, default 500, each a
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
import json
import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import migrate as migrate_bench
from _bench import (
    HISTORY_TABLE,
    BenchError,
    Cluster,
    Series,
    byte_compile,
    ensure_dbci_importable,
    find_psql,
    guarded,
    median,
    migrations_parser,
    phases_from_lines,
    print_medians,
    redact,
    run_child,
    server_url,
    verdict,
)
from _bench import Finished as Timing

DB_PREFIX = "dbci_bench_deploy_"
SNAPSHOT_TABLE = "dbci_snapshot_history"  # where deploy saves the schema it left
REPORT_DIR = "dbci-report"  # the project's report folder, deleted before each deploy

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


# --- Workload ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """What one run applies: the project folder (for dbci), the combined script (for psql),
    how many migrations, and their size."""

    project: Path
    script: Path
    count: int
    kilobytes: float


def write_workload(tmp: Path, count: int) -> Workload:
    """Write bench/migrate.py's N migrations under `tmp/project` (no undo scripts, no config)
    and its psql script `tmp/all_in_one.sql` of the same files."""
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
    return phases_from_lines(timing, DEPLOY_PHASES)


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
    timing = run_child(what, cmd, cwd=work.project, tmp=tmp, ok=None)
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
    timing = run_child("psql -f", [*cmd, cluster.url(database)], cwd=work.project, tmp=tmp)
    tables = count_tables(cluster, database)
    if tables != work.count:
        raise BenchError(f"{database} after psql -f: {tables} tables; expected {work.count}")
    cluster.drop_database(database)
    return timing


# --- Benchmark -----------------------------------------------------------------------------


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
    print_medians(rows)
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
                **Series(deploys).as_dict(),
                "phases_median_s": None
                if phases is None
                else {k: round(v, 4) for k, v in phases.items()},
                "snapshot_bytes": results.deploys[0].snapshot_bytes,
            },
            "psql": Series(psqls).as_dict(),
        }
        print(json.dumps(figures, sort_keys=True))


# --- Entry point ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = migrations_parser(
        "bench/deploy.py",
        "Time `dbci deploy` against psql -f on generated PostgreSQL migrations.",
    )
    parser.add_argument("--psql", help="psql binary (default: psql on PATH, else pgserver's)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 on success, 1 if anything failed or a check did not hold."""
    args = parse_args(argv)

    def body(stack: ExitStack) -> int | None:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dbci-bench-")))
        tmp = tmp.resolve()
        child_tmp = tmp / "tmp"
        child_tmp.mkdir()
        work = write_workload(tmp, args.migrations)

        admin_url, source = server_url(args.url, stack, tmp / "server-pg")
        psql = find_psql(args.psql)
        cluster = Cluster(admin_url, DB_PREFIX)
        stack.callback(cluster.drop_all)
        version = cluster.execute("SHOW server_version")[0][0]
        print(f"server   {redact(admin_url)} ({source}, PostgreSQL {version})")
        print(
            f"workload {work.count} migrations ({work.kilobytes:.0f} KB), {args.repeat}"
            " run(s) of each side, alternating, each on a fresh database",
            flush=True,
        )
        byte_compile(("dbci", "psycopg", "psycopg_binary"))
        results = benchmark(cluster, psql, work, child_tmp, args.repeat)
        extra = {"migrations": work.count, "repeat": args.repeat, "server": version}
        report(results, work, as_json=args.json, extra=extra)

    return guarded(body)


if __name__ == "__main__":
    ensure_dbci_importable()
    sys.exit(main())
