#!/usr/bin/env python3
"""Benchmark `dbci check --code` against `sqlfluff lint` on generated PostgreSQL migrations.

One run writes N migrations (default 500, `migrations/V1__create_customer_1.sql` ...; each a
CREATE TABLE, a CREATE INDEX, a CREATE VIEW and an INSERT, some with an ALTER TABLE and an
UPDATE, a few with a statement dbci flags) and a `.sqlfluff` (`dialect = postgres`,
`templater = raw`, the templater dbci always uses, and `rules = core`) into a temporary git
repository: the files are committed on `main`, and a branch `pull-request` changes 3 of
them. Writing them is not timed. Then, `--repeat` times,
alternating dbci and SQLFluff, it times each whole process wall-clock (Python start-up and
imports included: that is what a user waits for):

* the pull request: `python -m dbci --project <dir> check --code --changed-from main`
  (3 files in scope, all 3 linted), then `sqlfluff lint --processes 1` on the same 3 files;
* a cold full analysis: `python -m dbci --project <dir> check --code` with the cache folder
  `.dbci_cache/code` deleted first (all N files linted, on every core), then
  `sqlfluff lint --processes 1 migrations`;
* a warm re-run: the same dbci command again, nothing changed (all N from the cache).

Every dbci run uses `--dialect postgres --fail-on never` and must exit with 0; SQLFluff
exits with 1 when it finds violations, which counts as success. It checks what each run
reports (files in scope, linted and from the cache, findings of both kinds) and prints the
medians against the targets. See bench/README.md.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _bench
from _bench import (
    OUTPUT_TAIL,
    BenchError,
    Series,
    cores,
    dbci_env,
    ensure_dbci_importable,
    guarded,
    int_at_least,
    kill_group,
    print_medians,
    run_process,
    verdict,
)
from _bench import Finished as Timing

SEED = 20240815  # the generated migrations and the files the pull request changes
DIALECT = "postgres"
SQLFLUFF_CONFIG = "[sqlfluff]\ndialect = postgres\ntemplater = raw\nrules = core\n"
GITIGNORE = ".dbci_cache/\ndbci-report/\n"
CACHE_DIR = Path(".dbci_cache") / "code"  # under the project; deleted for a cold run
REPORT_FILE = Path("dbci-report") / "report.json"  # under the project
MAIN_BRANCH = "main"
PR_BRANCH = "pull-request"
PR_FILES = 3  # files the pull request changes
SQLFLUFF_OK = (0, 1)  # sqlfluff lint: 0 no violations, 1 violations; anything else fails

# Targets. The script reports them; missing one does not make it fail.
TARGET_PR_S = 3.0  # dbci --changed-from on the pull request, whole process, median
TARGET_SPEEDUP = 1.8  # sqlfluff lint (1 process) median over cold full dbci median
TARGET_WARM_S = 1.0  # warm full dbci re-run, whole process, median

# Table kinds the migrations cycle through, with the extra columns a table may get (0-3).
KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "customer",
        ("email varchar(320) NOT NULL", "country_code char(2)", "is_active boolean DEFAULT true"),
    ),
    ("product", ("sku varchar(64) NOT NULL", "weight_grams integer", "description text")),
    (
        "purchase_order",
        ("status text NOT NULL DEFAULT 'new'", "currency char(3) NOT NULL", "placed_on date"),
    ),
    ("invoice", ("due_date date NOT NULL", "paid_at timestamptz", "tax_rate numeric(5, 4)")),
    ("shipment", ("tracking_code varchar(40)", "carrier text", "shipped_at timestamptz")),
    (
        "audit_event",
        ("payload jsonb NOT NULL DEFAULT '{}'::jsonb", "actor text", "source_ip inet"),
    ),
)
LABELS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india")
ALTER_EVERY = 10  # every 10th file also alters an earlier table and updates some rows
# Statements dbci's own rules flag, each in one file of every 50: V7, V57, ... and V17, V67, ...
FLAG_EVERY = 50
DROP_TABLE_AT = 7  # DROP TABLE (DB101)
UNBOUNDED_UPDATE_AT = 17  # UPDATE without WHERE (DB105)

SUMMARY = re.compile(
    r"Code analysis \((?P<dialect>[^,]+), (?P<scope>\w+)\): (?P<checked>\d+) files? checked"
    r" \((?P<linted>\d+) linted, (?P<cached>\d+) from the cache\)"
)
SQLFLUFF_VIOLATION = re.compile(r"^L:\s*\d+ \| P:\s*\d+ \| (?P<rule>\w+) \|", re.MULTILINE)


# --- Interpreter ---------------------------------------------------------------------------


def find_sqlfluff() -> Path:
    """The `sqlfluff` executable of the virtual environment this Python belongs to."""
    path = Path(sys.executable).parent / "sqlfluff"
    if not path.is_file():
        raise BenchError(
            f"no {path}: install SQLFluff in this environment ({sys.executable} -m pip install"
            " sqlfluff)"
        )
    return path


def package_version(name: str) -> str:
    """The installed version of distribution `name`, or "unknown"."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


# --- Migrations ----------------------------------------------------------------------------


def table_name(step: int) -> str:
    """The table migration V<step> creates: `customer_1`, `product_2`, ..."""
    return f"{KINDS[(step - 1) % len(KINDS)][0]}_{step}"


def migration_path(step: int) -> str:
    """Migration V<step>'s path in the project."""
    return f"migrations/V{step}__create_{table_name(step)}.sql"


def migration_sql(step: int, rng: random.Random) -> str:
    """The SQL of migration V<step>: a table with a foreign key to the one before it, its
    index, a summary view joining the two, seed rows; every 10th also alters an earlier
    table and updates some of its rows, and a few hold a statement dbci flags."""
    kind, extras = KINDS[(step - 1) % len(KINDS)]
    table = table_name(step)
    if step == 1:  # the first table points at itself
        parent, fk = table, "parent_id"
    else:
        parent = table_name(step - 1)
        fk = f"{parent}_id"
    columns = [
        "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        "name text NOT NULL",
        "amount numeric(12, 2) NOT NULL DEFAULT 0",
        "created_at timestamptz NOT NULL DEFAULT now()",
        f"{fk} bigint REFERENCES {parent} (id)",
        *rng.sample(extras, rng.randint(0, len(extras))),
    ]
    body = ",\n    ".join(columns)
    # A quarter of the files indent their rows (SQLFluff's LT02 wants them flush left).
    indent = "    " if rng.random() < 0.25 else ""
    rows = f",\n{indent}".join(
        f"('{rng.choice(LABELS)} {kind.replace('_', ' ')} {step}-{n}',"
        f" {rng.randint(1, 99_999) / 100:.2f})"
        for n in range(1, rng.randint(3, 12) + 1)
    )
    parts = [
        f"-- V{step}: {kind.replace('_', ' ')} records, each linked to a row of {parent}.\n"
        f"-- Adds table {table}, its lookup index, a summary view and seed data.\n",
        f"CREATE TABLE {table} (\n    {body}\n);\n",
        f"CREATE INDEX {table}_{fk}_idx ON {table} ({fk}, created_at);\n",
        f"COMMENT ON TABLE {table} IS 'Step {step}: {kind.replace('_', ' ')} records';\n"
        f"COMMENT ON COLUMN {table}.{fk} IS 'The {parent} row this one belongs to';\n",
        f"CREATE VIEW {table}_summary AS\n"
        "SELECT\n"
        f"    p.id AS {fk},\n"
        "    p.name,\n"
        f"    count(t.id) AS {kind}_count,\n"
        "    coalesce(sum(t.amount), 0) AS total_amount,\n"
        "    max(t.created_at) AS last_created_at\n"
        f"FROM {parent} AS p\n"
        f"LEFT JOIN {table} AS t ON t.{fk} = p.id\n"
        "GROUP BY p.id, p.name;\n",
        f"INSERT INTO {table} (name, amount)\nVALUES\n{indent}{rows};\n",
    ]
    if rng.random() < 0.5:
        parts.insert(3, f"CREATE UNIQUE INDEX {table}_name_key ON {table} (lower(name));\n")
    if step % ALTER_EVERY == 0:  # a different earlier table for each: no column added twice
        earlier = table_name(step - rng.randint(2, ALTER_EVERY - 1))
        parts.append(
            f"ALTER TABLE {earlier} ADD COLUMN archived_at timestamptz;\n\n"
            f"UPDATE {earlier}\n"
            "SET archived_at = now()\n"
            f"WHERE created_at < now() - interval '{rng.randint(1, 5)} years';\n"
        )
    if step % FLAG_EVERY == DROP_TABLE_AT:  # a table from before the project
        parts.append(f"DROP TABLE IF EXISTS legacy_{kind}_import;\n")
    if step % FLAG_EVERY == UNBOUNDED_UPDATE_AT:
        parts.append(f"UPDATE {table_name(step - 2)} SET name = trim(name);\n")
    return "\n".join(parts)


def pr_change(step: int, run: int) -> str:
    """What the pull request appends to migration V<step> in run `run` (a new column each
    run, so the changed files are never in the cache)."""
    return (
        f"\n-- Pull request: a review note for {table_name(step)} (run {run}).\n"
        f"ALTER TABLE {table_name(step)} ADD COLUMN review_note_{run} text;\n"
    )


def pr_steps(count: int) -> list[int]:
    """The migrations the pull request changes: the same ones on every run."""
    return sorted(random.Random(SEED + 1).sample(range(1, count + 1), min(PR_FILES, count)))


@dataclass(frozen=True)
class Project:
    """The generated project: its folder, its migrations' text, what the PR changes."""

    root: Path
    texts: dict[int, str]  # step -> the text committed on main
    pr: list[int]

    @property
    def count(self) -> int:
        """How many migrations there are."""
        return len(self.texts)

    def sizes(self) -> list[int]:
        """Each migration's size in bytes (as committed on main)."""
        return [len(t.encode("utf-8")) for t in self.texts.values()]


def git(project: Path, *args: str) -> str:
    """Run git in `project` (name and e-mail given, no signing); raise BenchError on failure."""
    cmd = ["git", "-c", "user.name=dbci bench", "-c", "user.email=bench@dbci.invalid"]
    cmd += ["-c", "commit.gpgsign=false", *args]
    try:
        done = subprocess.run(
            cmd, cwd=project, capture_output=True, text=True, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError as err:
        raise BenchError("git is not installed (the pull-request case needs it)") from err
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-OUTPUT_TAIL:].strip()
        raise BenchError(f"git {' '.join(args)} exited with {done.returncode}:\n{tail}")
    return done.stdout


def write_project(root: Path, count: int) -> Project:
    """Write the migrations, `.sqlfluff` and `.gitignore`; commit them on `main`; check out
    a new branch `pull-request` (its changes come with each run)."""
    folder = root / "migrations"
    folder.mkdir(parents=True)
    rng = random.Random(SEED)
    texts = {}
    for step in range(1, count + 1):
        texts[step] = migration_sql(step, rng)
        (root / migration_path(step)).write_text(texts[step], encoding="utf-8")
    (root / ".sqlfluff").write_text(SQLFLUFF_CONFIG, encoding="utf-8")
    (root / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    git(root, "init", "--quiet", f"--initial-branch={MAIN_BRANCH}")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--no-verify", "-m", f"{count} migrations")
    git(root, "checkout", "--quiet", "-b", PR_BRANCH)
    return Project(root, texts, pr_steps(count))


def commit_pr_change(project: Project, run: int) -> None:
    """Change the pull request's files for run `run` and commit them on `pull-request`."""
    for step in project.pr:
        text = project.texts[step] + pr_change(step, run)
        (project.root / migration_path(step)).write_text(text, encoding="utf-8")
    git(project.root, "commit", "--quiet", "--no-verify", "--all", "-m", f"review notes {run}")


# --- Processes -----------------------------------------------------------------------------


def run(cmd: Sequence[str], *, cwd: Path, ok: Sequence[int] = (0,)) -> Timing:
    """Run `cmd` and time it. Raise BenchError if it exits with a code not in `ok`.

    Output goes to temporary files (not pipes), so the timing is the process's alone.
    `os.wait4` gives the child's CPU time, with that of the workers it waited for. The child
    leads a process group of its own: on an error, Ctrl-C or SIGTERM the whole group is
    killed, so no dbci worker is left behind linting.
    """
    timing = run_process(cmd, cwd=cwd, env=dbci_env(), group=True, stop=kill_group)
    if timing.returncode not in ok:
        what = " ".join(Path(c).name for c in cmd[:4])
        raise BenchError(f"{what} exited with {timing.returncode}:\n{timing.tail()}")
    return timing


def byte_compile() -> None:
    """Byte-compile dbci, SQLFluff and SQLFluff's dependencies, as pip does when it installs
    a package (see bench/migrate.py): a run must not pay for compiling their sources."""
    names = {"dbci", "sqlfluff"}
    tops = importlib.metadata.packages_distributions()
    wanted = {
        re.split(r"[\s;<>=!~\[]", r, maxsplit=1)[0].lower().replace("_", "-")
        for r in importlib.metadata.requires("sqlfluff") or []
    }
    for top, dists in tops.items():
        if any(d.lower().replace("_", "-") in wanted for d in dists):
            names.add(top)
    _bench.byte_compile(sorted(names))


# --- dbci and SQLFluff ---------------------------------------------------------------------


@dataclass(frozen=True)
class DbciRun:
    """One `dbci check --code` run: its timing, its summary line, report.json's code part."""

    timing: Timing
    scope: str
    checked: int
    linted: int
    cached: int
    code: dict[str, Any]

    @property
    def findings(self) -> list[dict[str, Any]]:
        """report.json's `code.findings`."""
        return list(self.code.get("findings") or [])


def dbci_check(project: Project, *, changed_from: str | None = None) -> DbciRun:
    """Run `dbci check --code` on the project once, timed; read what it reported."""
    report = project.root / REPORT_FILE
    report.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "dbci", "--project", str(project.root), "check", "--code"]
    cmd += ["--dialect", DIALECT, "--fail-on", "never"]
    if changed_from is not None:
        cmd += ["--changed-from", changed_from]
    timing = run(cmd, cwd=project.root)
    match = SUMMARY.search(timing.stdout)
    if match is None:
        tail = timing.stdout[-OUTPUT_TAIL:].strip()
        raise BenchError(f"dbci check printed no 'Code analysis (…): …' line:\n{tail}")
    try:
        code = json.loads(report.read_text(encoding="utf-8"))["code"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise BenchError(f"dbci check wrote no readable {report}: {err}") from err
    if not isinstance(code, dict) or code.get("files_checked") != int(match["checked"]):
        raise BenchError(f"{report}: its code section does not match the printed summary")
    return DbciRun(
        timing,
        match["scope"],
        int(match["checked"]),
        int(match["linted"]),
        int(match["cached"]),
        code,
    )


def expect(what: str, result: DbciRun, scope: str, checked: int, linted: int) -> None:
    """Require the run's scope, its count of files in scope and of files linted."""
    cached = checked - linted
    got = (result.scope, result.checked, result.linted, result.cached)
    if got != (scope, checked, linted, cached):
        raise BenchError(
            f"{what}: dbci reported scope {result.scope!r}, {result.checked} files checked"
            f" ({result.linted} linted, {result.cached} from the cache); expected {scope!r},"
            f" {checked} ({linted} linted, {cached} from the cache)"
        )


def check_pr_files(project: Project, result: DbciRun) -> None:
    """Require report.json to list exactly the pull request's files."""
    listed = sorted(result.code.get("files") or [])
    wanted = sorted(migration_path(s) for s in project.pr)
    if listed != wanted:
        raise BenchError(f"--changed-from {MAIN_BRANCH}: dbci checked {listed}, not {wanted}")


def check_findings(result: DbciRun) -> dict[str, int]:
    """Require at least one finding of a dbci rule (DB###) and one of SQLFluff; counts."""
    counts = {"dbci": 0, "sqlfluff": 0}
    for finding in result.findings:
        rule = str(finding.get("rule", ""))
        if finding.get("source") == "dbci" and re.fullmatch(r"DB\d{3}", rule):
            counts["dbci"] += 1
        elif finding.get("source") == "sqlfluff":
            counts["sqlfluff"] += 1
    if not counts["dbci"] or not counts["sqlfluff"]:
        raise BenchError(
            f"dbci's findings on all the files hold {counts['dbci']} of its own rules (DB###)"
            f" and {counts['sqlfluff']} of SQLFluff's; expected at least one of each"
        )
    return counts


def sqlfluff_lint(sqlfluff: Path, project: Project, paths: Sequence[str]) -> tuple[Timing, int]:
    """Run `sqlfluff lint --processes 1` on `paths`, timed; (timing, violations it printed)."""
    cmd = [str(sqlfluff), "lint", "--processes", "1", "--disable-progress-bar", *paths]
    timing = run(cmd, cwd=project.root, ok=SQLFLUFF_OK)
    violations = len(SQLFLUFF_VIOLATION.findall(timing.stdout))
    if not timing.stdout.strip() or violations == 0:
        tail = timing.stdout[-OUTPUT_TAIL:].strip()
        raise BenchError(f"sqlfluff lint {' '.join(paths)} reported no violation:\n{tail}")
    return timing, violations


def sqlfluff_core_rules() -> set[str]:
    """The codes of SQLFluff's `core` rules (what `rules = core` selects)."""
    from sqlfluff.core import FluffConfig, Linter

    config = FluffConfig(overrides={"dialect": DIALECT, "rules": "core"})
    return {rule.code for rule in Linter(config=config).get_rulepack().rules}


# --- Benchmark -----------------------------------------------------------------------------


@dataclass
class Results:
    """Every measurement of the benchmark, and what the first run found."""

    pr: Series = field(default_factory=Series)
    pr_sqlfluff: Series = field(default_factory=Series)
    cold: Series = field(default_factory=Series)
    full_sqlfluff: Series = field(default_factory=Series)
    warm: Series = field(default_factory=Series)
    findings: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def time_pr(project: Project, sqlfluff: Path, results: Results, i: int) -> str:
    """Commit run `i`'s change to the PR's files, then time dbci --changed-from on them and
    sqlfluff on the same files; return a run line."""
    commit_pr_change(project, i)  # not timed
    result = dbci_check(project, changed_from=MAIN_BRANCH)
    expect(f"--changed-from {MAIN_BRANCH}", result, "changed", len(project.pr), len(project.pr))
    check_pr_files(project, result)
    results.pr.runs.append(result.timing)
    timing, _ = sqlfluff_lint(sqlfluff, project, [migration_path(s) for s in project.pr])
    results.pr_sqlfluff.runs.append(timing)
    return f"PR: dbci {result.timing.wall:.2f} s  sqlfluff {timing.wall:.2f} s"


def time_full(project: Project, sqlfluff: Path, results: Results, i: int) -> str:
    """Time a cold full dbci analysis, sqlfluff on every file, then a warm dbci re-run;
    check what each reported; return a run line."""
    shutil.rmtree(project.root / CACHE_DIR, ignore_errors=True)  # not timed
    cold = dbci_check(project)
    expect("cold full run", cold, "all", project.count, project.count)
    counts = check_findings(cold)
    results.cold.runs.append(cold.timing)

    timing, violations = sqlfluff_lint(sqlfluff, project, ["migrations"])
    results.full_sqlfluff.runs.append(timing)

    warm = dbci_check(project)
    expect("warm re-run", warm, "all", project.count, 0)
    if warm.findings != cold.findings:
        raise BenchError(
            f"the warm re-run reported {len(warm.findings)} findings, the cold run"
            f" {len(cold.findings)}: the cache does not give back what linting found"
        )
    results.warm.runs.append(warm.timing)
    if i == 1:
        results.findings = {**counts, "sqlfluff_cli": violations}
        results.notes.append(
            f"findings: dbci {len(cold.findings)} ({counts['dbci']} of its own rules,"
            f" {counts['sqlfluff']} SQLFluff), sqlfluff lint {violations} violations"
        )
        outside = sorted(
            {str(f["rule"]) for f in cold.findings if f.get("source") == "sqlfluff"}
            - sqlfluff_core_rules()
            - {"PRS", "TMP", "LXR"}
        )
        if outside:
            results.notes.append(
                f"note: dbci reported SQLFluff rules outside `rules = core` ({', '.join(outside)}):"
                " it did not lint with the project's .sqlfluff"
            )
    return (
        f"cold: dbci {cold.timing.wall:.2f} s  sqlfluff {timing.wall:.2f} s"
        f"  warm: dbci {warm.timing.wall:.2f} s"
    )


def benchmark(project: Project, sqlfluff: Path, repeat: int) -> Results:
    """Time each case `repeat` times, dbci and sqlfluff alternating; print each run."""
    byte_compile()
    results = Results()
    for i in range(1, repeat + 1):
        parts = [time_pr(project, sqlfluff, results, i), time_full(project, sqlfluff, results, i)]
        print(f"run {i}/{repeat}  " + "  ".join(parts), flush=True)
    return results


def report(results: Results, project: Project, *, as_json: bool, extra: dict[str, Any]) -> None:
    """Print the medians against the targets, and a JSON line with the figures if asked."""
    r = results
    n, k = project.count, len(project.pr)
    speedup = r.full_sqlfluff.median / r.cold.median
    rows = [
        (
            f"dbci PR, {k} of {n} files changed",
            f"{r.pr.median:.2f} s",
            f"cpu {r.pr.cpu_median:.2f} s",
            f"<= {TARGET_PR_S:g} s {verdict(r.pr.median <= TARGET_PR_S)}",
        ),
        (
            f"  sqlfluff lint, the {k} files",
            f"{r.pr_sqlfluff.median:.2f} s",
            f"cpu {r.pr_sqlfluff.cpu_median:.2f} s",
            "",
        ),
        (
            f"dbci full, cold cache ({n} files)",
            f"{r.cold.median:.2f} s",
            f"cpu {r.cold.cpu_median:.2f} s",
            "",
        ),
        (
            f"  sqlfluff lint, all {n} files",
            f"{r.full_sqlfluff.median:.2f} s",
            f"cpu {r.full_sqlfluff.cpu_median:.2f} s",
            "",
        ),
        (
            "  sqlfluff / dbci cold",
            f"{speedup:.2f}x",
            "",
            f">= {TARGET_SPEEDUP:g}x {verdict(speedup >= TARGET_SPEEDUP)}",
        ),
        (
            f"dbci full, warm cache ({n} files)",
            f"{r.warm.median:.2f} s",
            f"cpu {r.warm.cpu_median:.2f} s",
            f"<= {TARGET_WARM_S:g} s {verdict(r.warm.median <= TARGET_WARM_S)}",
        ),
    ]
    print_medians(rows)
    for note in r.notes:
        print(f"  {note}")
    if as_json:
        figures = {
            **extra,
            "targets": {
                "pr_s": TARGET_PR_S,
                "speedup": TARGET_SPEEDUP,
                "warm_s": TARGET_WARM_S,
            },
            **{
                name: getattr(r, name).as_dict(cpu_key="cpu_median_s")
                for name in ("pr", "pr_sqlfluff", "cold", "full_sqlfluff", "warm")
            },
            "speedup": round(speedup, 3),
            "findings": r.findings,
        }
        print(json.dumps(figures, sort_keys=True))


# --- Entry point ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="bench/code_analysis.py",
        description="Time `dbci check --code` against `sqlfluff lint` on generated migrations.",
    )
    parser.add_argument(
        "--files",
        type=int_at_least(20),
        default=500,
        help="migrations to generate (500; at least 20)",
    )
    parser.add_argument(
        "--repeat", type=int_at_least(1), default=3, help="runs of each case (3), alternating"
    )
    parser.add_argument("--json", action="store_true", help="also print a JSON line of figures")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 on success, 1 if anything failed or a check did not hold."""
    args = parse_args(argv)

    def body(stack: ExitStack) -> int | None:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dbci-bench-")))
        sqlfluff = find_sqlfluff()
        project = write_project(tmp / "project", args.files)
        sizes = project.sizes()
        versions = {"dbci": package_version("dbci"), "sqlfluff": package_version("sqlfluff")}
        print(
            f"workload {project.count} migrations, {min(sizes) / 1024:.1f}-"
            f"{max(sizes) / 1024:.1f} KB each ({sum(sizes) / 1024:.0f} KB);"
            f" the PR changes {', '.join(f'V{s}' for s in project.pr)}"
        )
        print(
            f"tools    dbci {versions['dbci']}, sqlfluff {versions['sqlfluff']} ({sqlfluff}),"
            f" {cores()} cores"
        )
        print(f"runs     {args.repeat} of each case, dbci then sqlfluff", flush=True)
        results = benchmark(project, sqlfluff, args.repeat)
        extra = {
            "files": project.count,
            "pr_files": len(project.pr),
            "repeat": args.repeat,
            "cores": cores(),
            "dbci_version": versions["dbci"],
            "sqlfluff_version": versions["sqlfluff"],
        }
        report(results, project, as_json=args.json, extra=extra)

    return guarded(body)


if __name__ == "__main__":
    ensure_dbci_importable()
    sys.exit(main())
