#!/usr/bin/env python3
"""Benchmark `dbci build` on the embedded PostgreSQL: its overhead, and undo verification.

One run writes the project of bench/migrate.py (N versioned migrations, default 500, each a
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
import json
import re
import statistics
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _bench import (
    HISTORY_TABLE,
    PG_ENV_URL,
    PG_FALLBACK_ENV_URL,
    BenchError,
    Cluster,
    byte_compile,
    ensure_dbci_importable,
    guarded,
    libpq_url,
    migrations_parser,
    print_medians,
    redact,
    run_child,
    stop_leftover_servers,
    url_setting,
    verdict,
)
from _bench import Finished as Timing
from migrate import write_migrations

DB_PREFIX = "dbci_bench_build_"
DIALECT = "postgresql"
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


# --- Project -------------------------------------------------------------------------------


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
    """Write bench/migrate.py's N migrations under `root` and an undo script for each."""
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
    timing = run_child(what, cmd, cwd=project.root, tmp=tmp, ok=(0, 1))
    try:
        build = json.loads(timing.stdout)["build"]
        if not isinstance(build, dict):
            raise TypeError("build is not an object")
    except (ValueError, KeyError, TypeError) as err:
        raise BenchError(f"{what} printed no JSON build result ({err}):\n{timing.tail()}") from err
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
    timing = run_child("dbci migrate (reference)", cmd, cwd=project.root, tmp=tmp)
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
    byte_compile(("dbci", "psycopg", "psycopg_binary", "pgserver"))
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
    print_medians(rows)
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


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = migrations_parser(
        "bench/build.py",
        "Time `dbci build` on the embedded PostgreSQL, with and without undo"
        " verification, on generated migrations.",
        url_help="libpq URL of an admin database for the reference migrate (default:"
        f" ${PG_ENV_URL}, else ${PG_FALLBACK_ENV_URL}, else no reference)",
        of="kind",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 on success, 1 if anything failed or a check did not hold."""
    args = parse_args(argv)

    def body(stack: ExitStack) -> int | None:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dbci-bench-")))
        tmp = tmp.resolve()  # pgserver resolves its data dir: compare like with like
        stack.callback(stop_leftover_servers, tmp)
        child_tmp = tmp / "tmp"
        child_tmp.mkdir()
        project = write_project(tmp / "project", args.migrations)

        cluster = None
        server = "none"
        found = url_setting(args.url, (PG_ENV_URL, PG_FALLBACK_ENV_URL))
        if found is None:
            print(
                f"server   none given (--url, ${PG_ENV_URL}, ${PG_FALLBACK_ENV_URL}): no"
                " reference migrate, overhead (b) skipped"
            )
        else:
            cluster = Cluster(libpq_url(found[0]), DB_PREFIX)
            stack.callback(cluster.drop_all)
            server = cluster.execute("SHOW server_version")[0][0]
            print(
                f"server   {redact(cluster.admin_url)} ({found[1]}, PostgreSQL {server})"
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

    return guarded(body)


if __name__ == "__main__":
    ensure_dbci_importable()
    sys.exit(main())
