#!/usr/bin/env python3
"""Benchmark dbci's schema snapshot and diff against migra, and its snapshot against
`pg_dump --schema-only`, on a large generated schema.

One run builds two PostgreSQL databases, A and B, from a generated schema of N tables
(default 2000; each with six columns, a foreign key to the table before it and a secondary
index), N/10 views and N/10 SQL functions. B is A with changes: tables with an added column,
a changed column type, dropped and new tables, changed views, changed function bodies and
indexes with a new predicate. Building them is not timed. Then, `--repeat` times and
alternating, it times

* `python -m dbci --url <A> snapshot --to <file>` (the whole process, and the in-process
  `dbci.schema.introspect.snapshot` call),
* `python -m dbci diff --source snapshot:<a> --target snapshot:<b> --sql <file>` (the whole
  process, and the in-process `dbci.schema.diff.diff(a, b)` call),
* `python -m dbci diff --source url:<A> --target url:<B> --sql <file>`, and
* `migra --unsafe <A> <B>`, from its own virtual environment under ~/.cache/dbci-bench,
* `pg_dump --schema-only --file <file> <A>`, PostgreSQL's own reading of the same schema,

with the peak memory of each dbci process and of pg_dump. It checks the SQL each side
writes and prints the medians against the targets. See bench/README.md.

The server is `--url`, else `$DBCI_BENCH_POSTGRES_URL`, else `$DBCI_TEST_POSTGRES_URL`, else
an embedded server started with `pgserver`. The URL names an admin database; the benchmark
creates its own `dbci_bench_<pid>_<n>` databases there and drops them all, even on failure.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from _bench import (
    OUTPUT_TAIL,
    PG_URL_HELP,
    BenchError,
    Cluster,
    Series,
    byte_compile,
    ensure_dbci_importable,
    guarded,
    int_at_least,
    print_medians,
    redact,
    run_process,
    server_url,
    verdict,
)
from _bench import Finished as Timing

DB_PREFIX = "dbci_bench_"
SEED = 20240601  # the generated schema and its changes are the same on every run

# Targets. The script reports them; missing one does not make it fail.
TARGET_SNAPSHOT_S = 1.0  # `dbci snapshot` of A, whole process, median
TARGET_DIFF_S = 0.3  # in-process `diff(a, b)` of two loaded snapshots, median
TARGET_SPEEDUP = 5.0  # migra median over whole `dbci diff` of the two databases
TARGET_PEAK_MB = 300.0  # max RSS of any dbci snapshot or diff process

# What B changes, as a share of A's tables (or views, or functions); at least one of each.
SHARE_ADDED_COLUMN = 0.05
SHARE_RETYPED = 0.02
SHARE_DROPPED = 0.01
SHARE_NEW = 0.01
SHARE_FILTERED_INDEX = 0.02
SHARE_CHANGED_VIEWS = 0.10
SHARE_CHANGED_FUNCTIONS = 0.10
TABLES_PER_TRANSACTION = 200  # keeps each transaction's locks well under the default limit

# migra, in its own virtual environment: the last release, with the versions it works with.
# SQLAlchemy 1.4 is the series migra, schemainspect and sqlbag were written for;
# schemainspect imports pkg_resources, which comes with setuptools.
MIGRA_REQUIREMENTS = (
    "migra==3.0.1663481299",
    "schemainspect==3.1.1663587362",
    "sqlbag==0.1.1617247075",
    "SQLAlchemy==1.4.54",
    "psycopg2-binary==2.9.10",
    "six==1.17.0",
    "setuptools==70.3.0",
)
MIGRA_NO_CHANGES, MIGRA_CHANGES = 0, 2  # migra's exit codes; anything else is a failure


# --- Schema --------------------------------------------------------------------------------


def table_name(number: int) -> str:
    return f"t_{number:05d}"


def new_table_name(number: int) -> str:
    return f"t_new_{number:05d}"


def index_name(table: str) -> str:
    return f"{table}_prev_created_idx"


def view_tables(view: int) -> tuple[int, int]:
    """The two tables view `view` joins: a table and the next one, which points back at it."""
    first = 10 * (view - 1) + 1
    return first, first + 1


def function_table(function: int) -> int:
    """The table function `function` reads."""
    return 10 * (function - 1) + 5


@dataclass(frozen=True)
class Plan:
    """The generated schema: A's size, and which objects B changes."""

    tables: int
    added_column: frozenset[int]
    retyped: frozenset[int]
    dropped: frozenset[int]
    filtered_index: frozenset[int]
    new_tables: int
    changed_views: frozenset[int]
    changed_functions: frozenset[int]

    @property
    def views(self) -> int:
        return self.tables // 10

    @property
    def functions(self) -> int:
        return self.tables // 10

    @property
    def tables_b(self) -> int:
        return self.tables - len(self.dropped) + self.new_tables

    def changed_table_names(self) -> dict[str, list[str]]:
        """The tables B changes, by kind of change (for checking the generated SQL)."""
        return {
            "added column": sorted(table_name(t) for t in self.added_column),
            "changed type": sorted(table_name(t) for t in self.retyped),
            "dropped": sorted(table_name(t) for t in self.dropped),
            "new": [new_table_name(t) for t in range(1, self.new_tables + 1)],
        }

    def describe(self) -> str:
        return (
            f"{len(self.added_column)} added columns, {len(self.retyped)} changed types,"
            f" {len(self.dropped)} dropped and {self.new_tables} new tables,"
            f" {len(self.filtered_index)} filtered indexes, {len(self.changed_views)} views"
            f" and {len(self.changed_functions)} functions changed"
        )


def share(total: int, fraction: float) -> int:
    return max(1, round(total * fraction))


def make_plan(tables: int) -> Plan:
    """Pick B's changes, the same ones on every run for the same `tables`."""
    rng = random.Random(SEED)
    views = functions = tables // 10
    # Tables a view or a function reads stay in B; so does table 1 (it points at itself).
    kept = {1}
    for view in range(1, views + 1):
        kept.update(view_tables(view))
    kept.update(function_table(f) for f in range(1, functions + 1))
    droppable = [t for t in range(1, tables + 1) if t not in kept]
    dropped = rng.sample(droppable, min(share(tables, SHARE_DROPPED), len(droppable)))
    pool = [t for t in range(1, tables + 1) if t not in set(dropped)]
    rng.shuffle(pool)
    counts = [share(tables, s) for s in (SHARE_ADDED_COLUMN, SHARE_RETYPED, SHARE_FILTERED_INDEX)]
    picked: list[frozenset[int]] = []
    start = 0
    for count in counts:
        picked.append(frozenset(pool[start : start + count]))
        start += count
    return Plan(
        tables=tables,
        added_column=picked[0],
        retyped=picked[1],
        dropped=frozenset(dropped),
        filtered_index=picked[2],
        new_tables=share(tables, SHARE_NEW),
        changed_views=frozenset(rng.sample(range(1, views + 1), share(views, SHARE_CHANGED_VIEWS))),
        changed_functions=frozenset(
            rng.sample(range(1, functions + 1), share(functions, SHARE_CHANGED_FUNCTIONS))
        ),
    )


def table_sql(
    name: str, points_at: str, *, added_column: bool, retyped: bool, filtered: bool
) -> str:
    """CREATE TABLE (six columns, a foreign key to `points_at`) and its secondary index."""
    amount = "numeric(18, 4)" if retyped else "numeric(12, 2)"
    extra = ",\n    note text" if added_column else ""
    where = " WHERE active" if filtered else ""
    return (
        f"CREATE TABLE {name} (\n"
        "    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
        "    label text NOT NULL,\n"
        f"    amount {amount} NOT NULL DEFAULT 0,\n"
        "    created_at timestamptz NOT NULL DEFAULT now(),\n"
        "    active boolean NOT NULL DEFAULT true,\n"
        f"    prev_id integer REFERENCES {points_at} (id){extra}\n"
        ");\n"
        f"CREATE INDEX {index_name(name)} ON {name} (prev_id, created_at){where};\n"
    )


def view_sql(view: int, *, changed: bool) -> str:
    """A view joining a table to the next one; B's changed views add a column and a filter."""
    first, second = (table_name(t) for t in view_tables(view))
    extra = ", b.created_at" if changed else ""
    where = "\nWHERE b.active" if changed else ""
    return (
        f"CREATE VIEW v_{view:05d} AS\n"
        f"SELECT a.id, a.label, b.id AS next_id, b.amount{extra}\n"
        f"FROM {first} a JOIN {second} b ON b.prev_id = a.id{where};\n"
    )


def function_sql(function: int, *, changed: bool) -> str:
    """A SQL function summing a table's amounts; B's changed ones count active rows only."""
    table = table_name(function_table(function))
    where = "prev_id = p_prev AND active" if changed else "prev_id = p_prev"
    return (
        f"CREATE FUNCTION f_{function:05d}(p_prev integer) RETURNS numeric\n"
        "LANGUAGE sql STABLE AS $$\n"
        f"    SELECT coalesce(sum(amount), 0) FROM {table} WHERE {where}\n"
        "$$;\n"
    )


def in_transactions(statements: Sequence[str], size: int) -> str:
    """One script running `statements` in transactions of `size` statements each."""
    parts = []
    for start in range(0, len(statements), size):
        parts.append("BEGIN;\n")
        parts.extend(statements[start : start + size])
        parts.append("COMMIT;\n")
    return "".join(parts)


def schema_script(plan: Plan, *, changed: bool) -> str:
    """The whole DDL of A (`changed` false) or B (`changed` true), as one script."""
    tables: list[str] = []
    previous = table_name(1)  # table 1 points at itself
    for number in range(1, plan.tables + 1):
        if changed and number in plan.dropped:
            continue
        name = table_name(number)
        tables.append(
            table_sql(
                name,
                previous,
                added_column=changed and number in plan.added_column,
                retyped=changed and number in plan.retyped,
                filtered=changed and number in plan.filtered_index,
            )
        )
        previous = name
    if changed:
        step = max(1, plan.tables // (plan.new_tables + 1))
        for number in range(1, plan.new_tables + 1):
            points_at = table_name(min(plan.tables, number * step))
            if number * step in plan.dropped:
                points_at = table_name(1)
            tables.append(
                table_sql(
                    new_table_name(number),
                    points_at,
                    added_column=False,
                    retyped=False,
                    filtered=False,
                )
            )
    others = [
        view_sql(v, changed=changed and v in plan.changed_views) for v in range(1, plan.views + 1)
    ]
    others += [
        function_sql(f, changed=changed and f in plan.changed_functions)
        for f in range(1, plan.functions + 1)
    ]
    return in_transactions(tables, TABLES_PER_TRANSACTION) + in_transactions(others, 500)


# --- Server --------------------------------------------------------------------------------


def with_driver(url: str, driver: str) -> str:
    """`url` with a SQLAlchemy driver in its scheme: `postgresql+<driver>://…`."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=f"postgresql+{driver}"))


def build_database(cluster: Cluster, script: str, expected_tables: int) -> tuple[str, float]:
    """A new database loaded with `script` in one call; check its table count; (name, s)."""
    database = cluster.create_database()
    started = time.perf_counter()
    cluster.execute(script, database)
    seconds = time.perf_counter() - started
    (found,) = cluster.execute(
        "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'public'", database
    )[0]
    if found != expected_tables:
        raise BenchError(f"{database}: {found} tables in public; expected {expected_tables}")
    return database, seconds


# --- Processes -----------------------------------------------------------------------------


def run(cmd: Sequence[str], *, cwd: Path, ok: Sequence[int] = (0,)) -> Timing:
    """Run `cmd` and time it. Raise BenchError if it exits with a code not in `ok`.

    Output goes to temporary files (not pipes), so the timing is the process's alone.
    `os.wait4` gives this one child's own CPU time and maximum resident set size.
    """
    timing = run_process(cmd, cwd=cwd)
    if timing.returncode not in ok:
        what = " ".join(Path(c).name for c in cmd[:3])
        raise BenchError(f"{what} exited with {timing.returncode}:\n{timing.tail()}")
    return timing


# --- dbci ----------------------------------------------------------------------------------


@dataclass
class DbciInProcess:
    """The dbci functions timed in this process; None where dbci does not have them (yet)."""

    snapshot: Callable[..., Any] | None
    load: Callable[[Any], Any] | None
    diff: Callable[[Any, Any], Any] | None
    missing: list[str]


def import_dbci_functions() -> DbciInProcess:
    """Import snapshot, load and diff from dbci.schema, noting any that cannot be imported."""
    found: dict[str, Any] = {}
    missing = []
    for module, name in (
        ("dbci.schema.introspect", "snapshot"),
        ("dbci.schema.snapshot_file", "load"),
        ("dbci.schema.diff", "diff"),
    ):
        try:
            found[name] = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as err:
            missing.append(f"{module}.{name} ({type(err).__name__}: {err})")
            found[name] = None
    return DbciInProcess(found["snapshot"], found["load"], found["diff"], missing)


def check_dbci_cli(workdir: Path) -> None:
    """Fail with a clear message if `dbci snapshot` or `dbci diff` does not exist yet."""
    absent = []
    for command in ("snapshot", "diff"):
        done = subprocess.run(
            [sys.executable, "-m", "dbci", command, "--help"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            cwd=workdir,
        )
        if done.returncode != 0:
            absent.append(command)
    if absent:
        names = " and ".join(f"`dbci {c}`" for c in absent)
        raise BenchError(
            f"this dbci ({sys.executable} -m dbci) has no {names} command yet;"
            " run with --skip-dbci to time migra alone"
        )


def time_snapshot_call(fn: Callable[..., Any], url: str, workdir: Path) -> float:
    """Seconds of one in-process `snapshot(db, ["public"], exclude_tables=…)` call.

    The database is opened the way `dbci snapshot` opens it (settings from the URL alone,
    no config file, no `DBCI_*` variables); connecting is not part of the timing.
    """
    from dbci.engines import open_database
    from dbci.settings.config import Overrides, load_settings

    try:
        settings = load_settings(Overrides(project=workdir, url=url), {})
        db = open_database(settings)
        try:
            started = time.perf_counter()
            fn(db, ["public"], exclude_tables=[("public", settings.table)])
            return time.perf_counter() - started
        finally:
            db.close()
    except Exception as err:  # an interface the script does not know yet: say so plainly
        raise BenchError(
            "in-process dbci.schema.introspect.snapshot(db, schemas, exclude_tables=…)"
            f" failed: {type(err).__name__}: {err}"
        ) from err


def time_diff_call(fns: DbciInProcess, snap_a: Path, snap_b: Path) -> tuple[float, float, str]:
    """(seconds of `diff(a, b)`, seconds of its `.sql()`, the SQL) for two loaded snapshots.

    Loading the files is not part of the timing.
    """
    assert fns.load is not None and fns.diff is not None
    try:
        a, b = fns.load(snap_a), fns.load(snap_b)
        started = time.perf_counter()
        changes = fns.diff(a, b)
        middle = time.perf_counter()
        sql = changes.sql()
        ended = time.perf_counter()
    except Exception as err:  # an interface the script does not know yet: say so plainly
        raise BenchError(
            f"in-process load(path) / diff(a, b).sql() failed: {type(err).__name__}: {err}"
        ) from err
    return middle - started, ended - middle, sql


def dbci_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "dbci", *args]


# --- migra ---------------------------------------------------------------------------------


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "dbci-bench"


def ensure_migra(explicit: str | None) -> tuple[str, str]:
    """(migra executable, its version): `--migra`, else the cached venv, made on first use."""
    if explicit:
        path = shutil.which(explicit) or explicit
        if not Path(path).is_file():
            raise BenchError(f"--migra {explicit}: no such file")
        return path, package_version(Path(path).parent / "python", "migra")
    venv = cache_dir() / "migra-venv"
    marker = venv / "dbci-bench-requirements.txt"
    wanted = "\n".join(MIGRA_REQUIREMENTS) + "\n"
    migra = venv / "bin" / "migra"
    if not (marker.is_file() and marker.read_text() == wanted and migra.is_file()):
        print(f"migra    installing into {venv} (first run only)", flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        venv.parent.mkdir(parents=True, exist_ok=True)
        python = venv / "bin" / "python"
        for step in (
            [sys.executable, "-m", "venv", str(venv)],
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *MIGRA_REQUIREMENTS,
            ],
        ):
            done = subprocess.run(step, capture_output=True, text=True, stdin=subprocess.DEVNULL)
            if done.returncode != 0:
                tail = (done.stdout + done.stderr)[-OUTPUT_TAIL:].strip()
                raise BenchError(f"installing migra failed ({' '.join(step)}):\n{tail}")
        marker.write_text(wanted)
    return str(migra), package_version(venv / "bin" / "python", "migra")


def package_version(python: Path, package: str) -> str:
    """The installed version of `package` as `python` sees it, or "unknown"."""
    if not python.is_file():
        return "unknown"
    done = subprocess.run(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({package!r}))"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    return done.stdout.strip() if done.returncode == 0 else "unknown"


# --- pg_dump -------------------------------------------------------------------------------


def find_pg_dump(explicit: str | None) -> tuple[str | None, str]:
    """(pg_dump executable or None, its version line): `--pg-dump`, else the one on PATH."""
    path = shutil.which(explicit or "pg_dump")
    if path is None:
        if explicit:
            raise BenchError(f"--pg-dump {explicit}: no such executable")
        return None, "not on PATH: not timed (--pg-dump PATH to give one)"
    done = subprocess.run(
        [path, "--version"], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    return path, done.stdout.strip() or "unknown version"


# A child's maximum RSS as `os.wait4` gives it starts from its parent's at the fork (Linux
# carries the parent's high-water mark over the exec), and this process holds snapshots of
# its own: its children all report at least its size. So the memory of pg_dump and of
# `dbci snapshot` is measured apart too, each the only child of a small Python process.
_PEAK_OF_CHILD = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(done.returncode)\n"
)


def peak_mb_alone(cmd: Sequence[str], cwd: Path) -> float:
    """The peak RSS (MB) of `cmd` run as the only child of a fresh small process."""
    done = run([sys.executable, "-c", _PEAK_OF_CHILD, *cmd], cwd=cwd)
    return int(done.stdout.split()[-1]) / 1024  # Linux: KiB


def pg_dump_cmd(setup: Setup, out: Path) -> list[str]:
    assert setup.pg_dump is not None
    return [setup.pg_dump, "--schema-only", "--file", str(out), setup.url_a]


def time_pg_dump(setup: Setup, results: Results, first: bool) -> str:
    """Time `pg_dump --schema-only` of A once (the whole process, with its peak memory, as
    `dbci snapshot` is timed); check that it dumped the tables; return a run line."""
    assert setup.pg_dump is not None
    out = setup.workdir / "a.dump.sql"
    out.unlink(missing_ok=True)
    timing = run(pg_dump_cmd(setup, out), cwd=setup.workdir)
    dumped = read(out)
    tables = dumped.count("CREATE TABLE public.")
    if tables != setup.plan.tables:
        raise BenchError(
            f"pg_dump --schema-only dumped {tables} tables; expected {setup.plan.tables}"
        )
    results.pg_dump.runs.append(timing)
    if first:  # the memory of each, measured apart (not timed)
        results.peak_alone["pg_dump"] = peak_mb_alone(pg_dump_cmd(setup, out), setup.workdir)
        if setup.dbci is not None:
            snap = setup.workdir / "a.alone.json"
            cmd = dbci_cmd("--url", setup.url_a, "snapshot", "--to", str(snap))
            results.peak_alone["dbci snapshot"] = peak_mb_alone(cmd, setup.workdir)
    return f"pg_dump {timing.wall:.2f} s"


# --- Checks --------------------------------------------------------------------------------


def check_sql(who: str, sql: str, plan: Plan, *, every_kind: bool) -> str:
    """Require non-empty SQL that names changed tables; return a one-line coverage note.

    With `every_kind`, at least one table of every kind of change must be named.
    """
    if not sql.strip():
        raise BenchError(f"{who} wrote no SQL for two databases that differ")
    named = 0
    total = 0
    unnamed_kinds = []
    for kind, tables in plan.changed_table_names().items():
        hits = sum(1 for t in tables if t in sql)
        named += hits
        total += len(tables)
        if hits == 0:
            unnamed_kinds.append(kind)
    if named == 0 or (every_kind and unnamed_kinds):
        raise BenchError(
            f"{who}'s SQL names {named} of the {total} changed tables"
            f" (none of kind: {', '.join(unnamed_kinds)})"
        )
    return f"{named}/{total} changed tables named"


# --- Benchmark -----------------------------------------------------------------------------


@dataclass
class InProcess:
    """Seconds of one in-process call, per run."""

    runs: list[float] = field(default_factory=list)

    @property
    def median(self) -> float | None:
        return statistics.median(self.runs) if self.runs else None

    def as_dict(self) -> dict[str, Any] | None:
        if not self.runs:
            return None
        return {
            "median_s": round(statistics.median(self.runs), 4),
            "min_s": round(min(self.runs), 4),
            "runs_s": [round(s, 4) for s in self.runs],
        }


@dataclass
class Results:
    snapshot: Series = field(default_factory=Series)
    snapshot_fn: InProcess = field(default_factory=InProcess)
    diff_files: Series = field(default_factory=Series)
    diff_fn: InProcess = field(default_factory=InProcess)
    sql_fn: InProcess = field(default_factory=InProcess)
    diff_dbs: Series = field(default_factory=Series)
    migra: Series = field(default_factory=Series)
    pg_dump: Series = field(default_factory=Series)
    peak_alone: dict[str, float] = field(default_factory=dict)  # MB, measured apart
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Setup:
    """Everything one run needs."""

    plan: Plan
    url_a: str
    url_b: str
    workdir: Path
    migra: str | None  # None: --skip-migra
    dbci: DbciInProcess | None  # None: --skip-dbci
    pg_dump: str | None = None  # None: --skip-pg-dump, or none found


def time_dbci(setup: Setup, results: Results, first: bool) -> str:
    """Time dbci's snapshot, snapshot diff and database diff once each; return a run line."""
    work, plan, fns = setup.workdir, setup.plan, setup.dbci
    assert fns is not None
    snap_a, snap_b = work / "a.json", work / "b.json"
    if first:  # B's snapshot, for the diff of two snapshot files (not timed)
        run(dbci_cmd("--url", setup.url_b, "snapshot", "--to", str(snap_b)), cwd=work)
    snap_a.unlink(missing_ok=True)
    timing = run(dbci_cmd("--url", setup.url_a, "snapshot", "--to", str(snap_a)), cwd=work)
    if not snap_a.is_file() or snap_a.stat().st_size == 0:
        raise BenchError(f"dbci snapshot --to {snap_a} wrote nothing")
    results.snapshot.runs.append(timing)
    line = f"snapshot {timing.wall:.2f} s"

    if fns.snapshot is not None:
        results.snapshot_fn.runs.append(time_snapshot_call(fns.snapshot, setup.url_a, work))
        line += f" (in-process {results.snapshot_fn.runs[-1]:.2f} s)"

    sql_file = work / "files.sql"
    sql_file.unlink(missing_ok=True)
    cmd = dbci_cmd("diff", "--source", f"snapshot:{snap_a}", "--target", f"snapshot:{snap_b}")
    timing = run([*cmd, "--sql", str(sql_file)], cwd=work)
    results.diff_files.runs.append(timing)
    note = check_sql("dbci diff (snapshots)", read(sql_file), plan, every_kind=True)
    line += f"  diff files {timing.wall:.2f} s"

    if fns.load is not None and fns.diff is not None:
        diff_s, sql_s, sql = time_diff_call(fns, snap_a, snap_b)
        results.diff_fn.runs.append(diff_s)
        results.sql_fn.runs.append(sql_s)
        check_sql("dbci.schema.diff.diff(a, b).sql()", sql, plan, every_kind=True)
        line += f" (diff() {diff_s:.3f} s, sql() {sql_s:.3f} s)"

    sql_file = work / "dbs.sql"
    sql_file.unlink(missing_ok=True)
    cmd = dbci_cmd("diff", "--source", f"url:{setup.url_a}", "--target", f"url:{setup.url_b}")
    timing = run([*cmd, "--sql", str(sql_file)], cwd=work)
    results.diff_dbs.runs.append(timing)
    check_sql("dbci diff (databases)", read(sql_file), plan, every_kind=True)
    if first:
        results.notes.append(f"dbci SQL: {note}")
    return line + f"  diff dbs {timing.wall:.2f} s"


def time_migra(setup: Setup, results: Results, first: bool) -> str:
    """Time `migra --unsafe A B` once; return a run line."""
    assert setup.migra is not None
    # psycopg2 named explicitly: SQLAlchemy 2.1 reads plain postgresql:// as psycopg 3.
    a, b = (with_driver(u, "psycopg2") for u in (setup.url_a, setup.url_b))
    ok = (MIGRA_NO_CHANGES, MIGRA_CHANGES)
    timing = run([setup.migra, "--unsafe", a, b], cwd=setup.workdir, ok=ok)
    results.migra.runs.append(timing)
    note = check_sql("migra", timing.stdout, setup.plan, every_kind=False)
    if first:
        results.notes.append(f"migra SQL: {note} ({len(timing.stdout.splitlines())} lines)")
    return f"migra {timing.wall:.2f} s"


def read(path: Path) -> str:
    if not path.is_file():
        raise BenchError(f"{path} was not written")
    return path.read_text(encoding="utf-8", errors="replace")


def benchmark(setup: Setup, repeat: int) -> Results:
    """Time each side `repeat` times, alternating; print each run as it ends."""
    byte_compile(("dbci", "psycopg", "psycopg_binary"))
    results = Results()
    for i in range(1, repeat + 1):
        parts = []
        if setup.dbci is not None:
            parts.append(time_dbci(setup, results, i == 1))
        if setup.migra is not None:
            parts.append(time_migra(setup, results, i == 1))
        if setup.pg_dump is not None:
            parts.append(time_pg_dump(setup, results, i == 1))
        print(f"run {i}/{repeat}  " + "  ".join(parts), flush=True)
    return results


def report(results: Results, *, as_json: bool, extra: dict[str, Any]) -> None:
    """Print the table of figures against the targets, and a JSON line if asked."""
    rows: list[tuple[str, str, str, str]] = []
    r = results
    speedup = None
    peak = None
    if r.snapshot.runs:
        rows.append(
            (
                "dbci snapshot (process)",
                f"{r.snapshot.median:.2f} s",
                f"cpu {r.snapshot.cpu_median:.2f} s",
                f"<= {TARGET_SNAPSHOT_S:g} s {verdict(r.snapshot.median <= TARGET_SNAPSHOT_S)}",
            )
        )
        if r.snapshot_fn.median is not None:
            rows.append(("  in-process snapshot()", f"{r.snapshot_fn.median:.2f} s", "", ""))
        rows.append(
            (
                "dbci diff (snapshot files)",
                f"{r.diff_files.median:.2f} s",
                f"cpu {r.diff_files.cpu_median:.2f} s",
                "",
            )
        )
        if r.diff_fn.median is not None and r.sql_fn.median is not None:
            rows.append(
                (
                    "  in-process diff(a, b)",
                    f"{r.diff_fn.median:.3f} s",
                    f".sql() {r.sql_fn.median:.3f} s",
                    f"<= {TARGET_DIFF_S:g} s {verdict(r.diff_fn.median <= TARGET_DIFF_S)}",
                )
            )
        else:
            rows.append(("  in-process diff(a, b)", "n/a", "cannot import it", ""))
        rows.append(
            (
                "dbci diff (databases)",
                f"{r.diff_dbs.median:.2f} s",
                f"cpu {r.diff_dbs.cpu_median:.2f} s",
                "",
            )
        )
    if r.migra.runs:
        rows.append(("migra", f"{r.migra.median:.2f} s", f"cpu {r.migra.cpu_median:.2f} s", ""))
    if r.snapshot.runs and r.migra.runs:
        speedup = r.migra.median / r.diff_dbs.median
        rows.append(
            (
                "migra / dbci diff (databases)",
                f"{speedup:.1f}x",
                "",
                f">= {TARGET_SPEEDUP:g}x {verdict(speedup >= TARGET_SPEEDUP)}",
            )
        )
    if r.snapshot.runs:
        peak = max(r.snapshot.peak_mb, r.diff_files.peak_mb, r.diff_dbs.peak_mb)
        rows.append(
            (
                "peak memory (dbci)",
                f"{peak:.0f} MB",
                f"snapshot {r.snapshot.peak_mb:.0f}, diff {r.diff_files.peak_mb:.0f}"
                f" / {r.diff_dbs.peak_mb:.0f} MB",
                f"<= {TARGET_PEAK_MB:g} MB {verdict(peak <= TARGET_PEAK_MB)}",
            )
        )
    dump_ratio = None
    if r.pg_dump.runs:
        rows.append(
            (
                "pg_dump --schema-only",
                f"{r.pg_dump.median:.2f} s",
                f"cpu {r.pg_dump.cpu_median:.2f} s",
                "",
            )
        )
        if r.snapshot.runs:
            dump_ratio = r.pg_dump.median / r.snapshot.median
            rows.append(("pg_dump / dbci snapshot", f"{dump_ratio:.1f}x", "", ""))
        alone = r.peak_alone
        if "pg_dump" in alone:
            versus = (
                f"dbci snapshot {alone['dbci snapshot']:.0f} MB" if "dbci snapshot" in alone else ""
            )
            rows.append(("peak memory apart: pg_dump", f"{alone['pg_dump']:.0f} MB", versus, ""))
    print_medians(rows)
    for note in r.notes:
        print(f"  {note}")
    if as_json:
        figures: dict[str, Any] = {
            **extra,
            "targets": {
                "snapshot_s": TARGET_SNAPSHOT_S,
                "diff_in_process_s": TARGET_DIFF_S,
                "speedup": TARGET_SPEEDUP,
                "peak_rss_mb": TARGET_PEAK_MB,
            },
            "speedup": None if speedup is None else round(speedup, 2),
            "peak_rss_mb": None if peak is None else round(peak, 1),
        }
        if r.snapshot.runs:
            figures["snapshot"] = r.snapshot.as_dict(memory=True)
            figures["snapshot_in_process"] = r.snapshot_fn.as_dict()
            figures["diff_files"] = r.diff_files.as_dict(memory=True)
            figures["diff_in_process"] = r.diff_fn.as_dict()
            figures["sql_in_process"] = r.sql_fn.as_dict()
            figures["diff_databases"] = r.diff_dbs.as_dict(memory=True)
        if r.migra.runs:
            figures["migra"] = r.migra.as_dict(memory=True)
        if r.pg_dump.runs:
            figures["pg_dump"] = r.pg_dump.as_dict(memory=True)
            figures["pg_dump_over_snapshot"] = None if dump_ratio is None else round(dump_ratio, 2)
            figures["peak_rss_mb_apart"] = {k: round(v, 1) for k, v in r.peak_alone.items()}
        print(json.dumps(figures, sort_keys=True))


# --- Entry point ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="bench/schema_diff.py",
        description="Time dbci's schema snapshot and diff against migra on a generated schema.",
    )
    parser.add_argument(
        "--url",
        help=PG_URL_HELP,
    )
    parser.add_argument(
        "--tables", type=int_at_least(20), default=2000, help="tables in the schema (2000)"
    )
    parser.add_argument(
        "--repeat", type=int_at_least(1), default=3, help="runs of each side (3), alternating"
    )
    parser.add_argument("--json", action="store_true", help="also print a JSON line of figures")
    parser.add_argument(
        "--migra",
        metavar="PATH",
        help="migra executable to use (default: its own venv in ~/.cache/dbci-bench)",
    )
    parser.add_argument(
        "--pg-dump",
        metavar="PATH",
        help="pg_dump executable to time against dbci snapshot (default: the one on PATH)",
    )
    parser.add_argument(
        "--skip-pg-dump", action="store_true", help="do not time pg_dump --schema-only"
    )
    skip = parser.add_mutually_exclusive_group()
    skip.add_argument("--skip-migra", action="store_true", help="time dbci alone")
    skip.add_argument("--skip-dbci", action="store_true", help="time migra alone")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 on success, 1 if anything failed or a check did not hold."""
    args = parse_args(argv)

    def body(stack: ExitStack) -> int | None:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dbci-bench-")))
        dbci = None
        if not args.skip_dbci:
            check_dbci_cli(work)
            dbci = import_dbci_functions()
        migra, migra_version = (None, "") if args.skip_migra else ensure_migra(args.migra)
        pg_dump, pg_dump_version = (None, "") if args.skip_pg_dump else find_pg_dump(args.pg_dump)

        plan = make_plan(args.tables)
        script_a = schema_script(plan, changed=False)
        script_b = schema_script(plan, changed=True)

        admin_url, source = server_url(args.url, stack)
        cluster = Cluster(admin_url, DB_PREFIX)
        stack.callback(cluster.drop_all)
        version = cluster.execute("SHOW server_version")[0][0]
        print(f"server   {redact(admin_url)} ({source}, PostgreSQL {version})")
        print(
            f"schema   {plan.tables} tables, {plan.views} views, {plan.functions} functions;"
            f" B: {plan.describe()}"
        )
        db_a, seconds_a = build_database(cluster, script_a, plan.tables)
        db_b, seconds_b = build_database(cluster, script_b, plan.tables_b)
        print(f"build    A {seconds_a:.1f} s, B {seconds_b:.1f} s (not timed)")
        if migra is not None:
            print(f"migra    {migra_version} ({migra})")
        if not args.skip_pg_dump:
            print(f"pg_dump  {pg_dump_version}" + (f" ({pg_dump})" if pg_dump else ""))
        if dbci is not None and dbci.missing:
            print(f"note     not timed in-process: {'; '.join(dbci.missing)}")
        print(f"runs     {args.repeat} of each side", flush=True)

        setup = Setup(plan, cluster.url(db_a), cluster.url(db_b), work, migra, dbci, pg_dump)
        results = benchmark(setup, args.repeat)
        extra = {
            "tables": plan.tables,
            "views": plan.views,
            "functions": plan.functions,
            "repeat": args.repeat,
            "server": version,
            "migra_version": migra_version or None,
            "pg_dump_version": pg_dump_version or None,
        }
        report(results, as_json=args.json, extra=extra)

    return guarded(body)


if __name__ == "__main__":
    ensure_dbci_importable()
    sys.exit(main())
