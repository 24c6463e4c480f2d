#!/usr/bin/env python3
"""Benchmark `dbci check` of a target with pending migrations against `dbci build` alone.

One run writes the project of bench/migrate.py (N versioned migrations, default 500, each a
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

from _bench import (
    HISTORY_TABLE,
    PG_ENV_URL,
    PG_FALLBACK_ENV_URL,
    BenchError,
    Cluster,
    Series,
    byte_compile,
    cores,
    ensure_dbci_importable,
    guarded,
    median,
    phases_from_lines,
    positive_int,
    print_medians,
    redact,
    run_child,
    server_url,
    stop_leftover_servers,
    verdict,
)
from _bench import Finished as Timing
from migrate import write_migrations

DB_PREFIX = "dbci_bench_check_"
DIALECT = "postgresql"
CACHE_DIR = ".dbci_cache"  # the project's cache folder; the code analysis keeps its own in it
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


# --- Project -------------------------------------------------------------------------------


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
    """Write bench/migrate.py's N migrations under `root` (no undo scripts, no config)."""
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


# --- Processes -----------------------------------------------------------------------------


def json_output(what: str, timing: Timing) -> dict[str, Any]:
    """The JSON object a `--output json` process printed."""
    try:
        data = json.loads(timing.stdout)
        if not isinstance(data, dict):
            raise TypeError("not an object")
    except (ValueError, TypeError) as err:
        raise BenchError(f"{what} printed no JSON result ({err}):\n{timing.tail()}") from err
    return data


# --- The target ----------------------------------------------------------------------------


def prepare_target(cluster: Cluster, project: Project, tmp: Path) -> tuple[str, Timing]:
    """Create the target database and migrate it to the project's base version (not part
    of the figures); check it. Return its name and the migrate's timing."""
    database = cluster.create_database()
    cmd = [sys.executable, "-m", "dbci", "--project", str(project.root)]
    cmd += ["--url", cluster.url(database), "migrate", "--target", str(project.base)]
    what = "dbci migrate --target (setting up the target)"
    timing = run_child(what, cmd, cwd=project.root, tmp=tmp)
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
    timing = run_child(what, cmd, cwd=project.root, tmp=tmp, ok=(0, 1))
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
    return phases_from_lines(timing, CHECK_PHASES)


def dbci_check(project: Project, target_url: str, tmp: Path) -> CheckRun:
    """Delete the project's cache, run `dbci check` on the target once, timed; check its
    report."""
    shutil.rmtree(project.root / CACHE_DIR, ignore_errors=True)
    if (project.root / CACHE_DIR).exists():
        raise BenchError(f"could not delete {project.root / CACHE_DIR}")
    cmd = [sys.executable, "-m", "dbci", "--project", str(project.root), "--url", target_url]
    cmd += ["--output", "json", "check", "--dialect", DIALECT, "--fail-on", "never"]
    what = "dbci check"
    timing = run_child(what, cmd, cwd=project.root, tmp=tmp, ok=(0, 1))
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
    print_medians(rows)
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
                **Series(builds).as_dict(),
                "timings_median_s": {n: round(results.build_phase(n), 4) for n in names_b},
                "outside_median_s": round(outside, 4),
            },
            "check": {
                **Series(checks).as_dict(),
                "phases_median_s": None
                if phases is None
                else {k: round(v, 4) for k, v in phases.items()},
                "changed_objects": len(objects),
                "findings": len(first["code"]["findings"]),
            },
        }
        print(json.dumps(figures, sort_keys=True))


# --- Entry point ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="bench/check.py",
        description="Time `dbci check` of a target with pending migrations against `dbci"
        " build` alone, on generated migrations.",
    )
    parser.add_argument(
        "--url",
        help="libpq URL of an admin database for the target (default: "
        f"${PG_ENV_URL}, else ${PG_FALLBACK_ENV_URL}, else an embedded pgserver)",
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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 on success, 1 if anything failed or a check did not hold."""
    args = parse_args(argv)

    def body(stack: ExitStack) -> int | None:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dbci-bench-")))
        tmp = tmp.resolve()  # pgserver resolves its data dir: compare like with like
        stack.callback(stop_leftover_servers, tmp)
        child_tmp = tmp / "tmp"
        child_tmp.mkdir()
        project = write_project(tmp / "project", args.migrations, args.pending)

        what = "embedded target server"
        admin_url, source = server_url(args.url, stack, tmp / "target-pg", what=what)
        cluster = Cluster(admin_url, DB_PREFIX)
        stack.callback(cluster.drop_all)
        server = cluster.execute("SHOW server_version")[0][0]
        print(f"server   {redact(admin_url)} ({source}, PostgreSQL {server}) for the target")
        print(
            f"workload {project.count} migrations ({project.kilobytes:.0f} KB), the target at"
            f" version {project.base}: {len(project.pending)} pending; {cores()} cores"
        )
        byte_compile(("dbci", "psycopg", "psycopg_binary", "pgserver", "sqlfluff"))
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

    return guarded(body)


if __name__ == "__main__":
    ensure_dbci_importable()
    sys.exit(main())
