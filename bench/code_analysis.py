#!/usr/bin/env python3
"""Benchmark `dbci check --code` against `sqlfluff lint` and squawk on generated PostgreSQL
migrations.

One run writes N migrations (default 500, `migrations/V1__create_customer_1.sql` ...; each a
CREATE TABLE, a CREATE INDEX, a CREATE VIEW and an INSERT, some with an ALTER TABLE and an
UPDATE, a few with a statement dbci flags) and a `.sqlfluff` (`dialect = postgres`,
`templater = raw`, the templater dbci always uses, and `rules = core`) into a temporary git
repository: the files are committed on `main`, and a branch `pull-request` changes 3 of
them. Writing them is not timed. squawk (the PostgreSQL migration linter, npm's
`squawk-cli` 2.66.0, a prebuilt binary) is the second reference: the script uses
`.venv/squawk/node_modules/.bin/squawk`, installing it there with npm when it is missing or
another version; without npm it says so and goes on without squawk. Then, `--repeat`
times, alternating dbci, SQLFluff and squawk, it times each whole process wall-clock
(Python or Node start-up and imports included: that is what a user waits for):

* the pull request: `python -m dbci --project <dir> check --code --changed-from main`
  (3 files in scope, all 3 linted), then `sqlfluff lint --processes 1` and
  `squawk --reporter json` on the same 3 files;
* a cold full analysis: `python -m dbci --project <dir> check --code` with the cache folder
  `.dbci_cache/code` deleted first (all N files linted, on every core), then
  `sqlfluff lint --processes 1 migrations` and `squawk --reporter json` on the N files;
* a warm re-run: the same dbci command again, nothing changed (all N from the cache).

Every dbci run uses `--dialect postgres --fail-on never` and must exit with 0; SQLFluff and
squawk exit with 1 when they find something, which counts as success. It checks what each
run reports (files in scope, linted and from the cache, findings of both kinds; squawk's
JSON must parse and name every file), and prints the medians against the targets, squawk's
medians and dbci's ratio to them, and how many files each tool flagged. See
bench/README.md.
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
SQUAWK_PACKAGE = "squawk-cli"  # npm's squawk: a Node launcher and a prebuilt binary
SQUAWK_VERSION = "2.66.0"  # the version the Makefile's test install pins
SQUAWK_PREFIX = _bench.REPO_ROOT / ".venv" / "squawk"  # `npm install --prefix`, as make does
SQUAWK_OK = (0, 1)  # squawk: 0 nothing found, 1 something found; anything else fails
SQUAWK_SYNTAX_ERROR = "syntax-error"  # the rule_name of what squawk could not parse

# Targets. The script reports them; missing one does not make it fail.
TARGET_PR_S = 1.0  # dbci --changed-from on the pull request, whole process, median
TARGET_SPEEDUP = 2.3  # sqlfluff lint (1 process) median over cold full dbci median
TARGET_WARM_S = 1.0  # warm full dbci re-run, whole process, median
TARGET_OWN_S = 3.0  # cold full dbci with SQLFluff's style rules off (dbci's rules alone)
# The project's dbci.toml for that run: SQLFluff only parses, for dbci's rules.
STYLE_OFF_CONFIG = "[dbci.check.code]\nstyle = false\n"

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
SQLFLUFF_FAILED_FILE = re.compile(r"^== \[(?P<path>[^\]]+)\] FAIL$", re.MULTILINE)


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


def squawk_launcher() -> Path:
    """Where npm puts squawk's launcher under SQUAWK_PREFIX (the Makefile's test install
    puts it there too)."""
    return SQUAWK_PREFIX / "node_modules" / ".bin" / "squawk"


def squawk_version(launcher: Path) -> str | None:
    """The version `squawk --version` prints (`squawk 2.66.0`), or None if it does not run."""
    if not launcher.is_file():
        return None
    try:
        done = subprocess.run(
            [str(launcher), "--version"],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    words = done.stdout.split()
    return words[-1] if done.returncode == 0 and words else None


def npm_install_squawk(npm: str) -> str | None:
    """`npm install` squawk-cli SQUAWK_VERSION under SQUAWK_PREFIX; None if it worked,
    else why not (one line)."""
    cmd = [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(SQUAWK_PREFIX)]
    cmd.append(f"{SQUAWK_PACKAGE}@{SQUAWK_VERSION}")
    done = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if done.returncode == 0:
        return None
    last = (done.stdout + done.stderr).strip().splitlines()[-1:] or [""]
    return f"npm install exited with {done.returncode}: {last[0].strip()}"


def find_squawk() -> tuple[Path | None, str]:
    """(squawk's launcher, its version): the one under SQUAWK_PREFIX if it is
    SQUAWK_VERSION, else installed there with npm first (not timed). (None, why not) when
    npm is missing or cannot install it: the benchmark goes on without squawk."""
    launcher = squawk_launcher()
    found = squawk_version(launcher)
    if found == SQUAWK_VERSION:
        return launcher, found
    npm = shutil.which("npm")
    if npm is None:
        return None, f"npm is not installed, so neither is {SQUAWK_PACKAGE} {SQUAWK_VERSION}"
    print(f"squawk   installing {SQUAWK_PACKAGE}@{SQUAWK_VERSION} into {SQUAWK_PREFIX} with npm")
    failed = npm_install_squawk(npm)
    if failed is not None:
        return None, failed
    found = squawk_version(launcher)
    if found != SQUAWK_VERSION:
        return None, f"npm installed {found or 'no runnable squawk'}, not {SQUAWK_VERSION}"
    return launcher, found


@dataclass(frozen=True)
class Tools:
    """The reference linters: SQLFluff's CLI, and squawk's launcher (None: not run)."""

    sqlfluff: Path
    squawk: Path | None


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

    def paths(self) -> list[str]:
        """Every migration's path in the project, in order."""
        return [migration_path(step) for step in self.texts]


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


@dataclass(frozen=True)
class LintRun:
    """One run of a reference linter: its timing, how many findings it reported, the files
    it flagged, and (squawk) the files it reported syntax errors in."""

    timing: Timing
    findings: int
    flagged: frozenset[str]
    unparsed: frozenset[str] = frozenset()


def sqlfluff_lint(sqlfluff: Path, project: Project, paths: Sequence[str]) -> LintRun:
    """Run `sqlfluff lint --processes 1` on `paths`, timed; what it printed."""
    cmd = [str(sqlfluff), "lint", "--processes", "1", "--disable-progress-bar", *paths]
    timing = run(cmd, cwd=project.root, ok=SQLFLUFF_OK)
    violations = len(SQLFLUFF_VIOLATION.findall(timing.stdout))
    if not timing.stdout.strip() or violations == 0:
        tail = timing.stdout[-OUTPUT_TAIL:].strip()
        raise BenchError(f"sqlfluff lint {' '.join(paths)} reported no violation:\n{tail}")
    flagged = frozenset(m["path"] for m in SQLFLUFF_FAILED_FILE.finditer(timing.stdout))
    return LintRun(timing, violations, flagged)


def squawk_findings(timing: Timing) -> list[dict[str, Any]]:
    """The findings in squawk's `--reporter json` output (a list of objects, each with its
    `file` and `rule_name`; no output at all is none); raise BenchError if it is not that."""
    text = timing.stdout.strip()
    try:
        findings = json.loads(text) if text else []
    except ValueError as err:
        raise BenchError(f"squawk printed no JSON ({err}):\n{timing.tail()}") from err
    if not isinstance(findings, list) or not all(
        isinstance(f, dict) and isinstance(f.get("file"), str) for f in findings
    ):
        raise BenchError(f"squawk's JSON is not a list of findings with a file:\n{timing.tail()}")
    return findings


def squawk_lint(squawk: Path, project: Project, paths: Sequence[str]) -> LintRun:
    """Run `squawk --reporter json` on `paths`, timed; what it reported.

    Its JSON lists findings only, so a file it did not read would be missing from it; every
    generated migration holds statements squawk flags (`CREATE TABLE` without
    `IF NOT EXISTS`, no `lock_timeout` set), so it must name every one of `paths`.
    """
    timing = run([str(squawk), "--reporter", "json", *paths], cwd=project.root, ok=SQUAWK_OK)
    findings = squawk_findings(timing)
    flagged = frozenset(str(f["file"]) for f in findings)
    missing, unknown = sorted(set(paths) - flagged), sorted(flagged - set(paths))
    if missing or unknown:
        raise BenchError(
            f"squawk's JSON names {len(flagged & set(paths))} of the {len(paths)} files it was"
            f" given (missing {missing[:3]}, unknown {unknown[:3]}): it did not read them all"
        )
    unparsed = frozenset(
        str(f["file"]) for f in findings if f.get("rule_name") == SQUAWK_SYNTAX_ERROR
    )
    return LintRun(timing, len(findings), flagged, unparsed)


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
    pr_squawk: Series = field(default_factory=Series)
    cold: Series = field(default_factory=Series)
    own_rules: Series = field(default_factory=Series)  # cold, `style = false`
    full_sqlfluff: Series = field(default_factory=Series)
    full_squawk: Series = field(default_factory=Series)
    warm: Series = field(default_factory=Series)
    findings: dict[str, int] = field(default_factory=dict)
    files_flagged: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def squawk_ran(self) -> bool:
        """Whether squawk was run (npm was there to install it)."""
        return bool(self.full_squawk.runs)


def time_pr(project: Project, tools: Tools, results: Results, i: int) -> str:
    """Commit run `i`'s change to the PR's files, then time dbci --changed-from on them, and
    sqlfluff and squawk on the same files; return a run line."""
    commit_pr_change(project, i)  # not timed
    result = dbci_check(project, changed_from=MAIN_BRANCH)
    expect(f"--changed-from {MAIN_BRANCH}", result, "changed", len(project.pr), len(project.pr))
    check_pr_files(project, result)
    results.pr.runs.append(result.timing)
    paths = [migration_path(s) for s in project.pr]
    sqlfluff = sqlfluff_lint(tools.sqlfluff, project, paths)
    results.pr_sqlfluff.runs.append(sqlfluff.timing)
    line = f"PR: dbci {result.timing.wall:.2f} s  sqlfluff {sqlfluff.timing.wall:.2f} s"
    if tools.squawk is not None:
        squawk = squawk_lint(tools.squawk, project, paths)
        results.pr_squawk.runs.append(squawk.timing)
        line += f"  squawk {squawk.timing.wall:.2f} s"
    return line


def note_first_run(
    results: Results, project: Project, cold: DbciRun, sqlfluff: LintRun, squawk: LintRun | None
) -> None:
    """Keep what the first full run found, from each tool, for the report."""
    counts = check_findings(cold)
    flagged = {str(f.get("file")) for f in cold.findings}
    own = {str(f.get("file")) for f in cold.findings if f.get("source") == "dbci"}
    results.findings = {**counts, "sqlfluff_cli": sqlfluff.findings}
    results.files_flagged = {
        "dbci": len(flagged),
        "dbci_rules": len(own),
        "sqlfluff_cli": len(sqlfluff.flagged),
    }
    found = (
        f"findings: dbci {len(cold.findings)} ({counts['dbci']} of its own rules,"
        f" {counts['sqlfluff']} SQLFluff), sqlfluff lint {sqlfluff.findings} violations"
    )
    files = (
        f"files flagged (of {project.count}): dbci {len(flagged)} ({len(own)} by its own"
        f" rules), sqlfluff lint {len(sqlfluff.flagged)}"
    )
    if squawk is not None:
        results.findings["squawk"] = squawk.findings
        results.files_flagged["squawk"] = len(squawk.flagged)
        found += f", squawk {squawk.findings}"
        files += f", squawk {len(squawk.flagged)}"
    results.notes += [found, files]
    if squawk is not None and squawk.unparsed:
        results.notes.append(
            f"note: squawk reported syntax errors in {len(squawk.unparsed)} files"
            f" ({', '.join(sorted(squawk.unparsed)[:3])}, …): it did not parse all the SQL"
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


def time_full(project: Project, tools: Tools, results: Results, i: int) -> str:
    """Time a cold full dbci analysis, sqlfluff and squawk on every file, then a warm dbci
    re-run; check what each reported; return a run line."""
    shutil.rmtree(project.root / CACHE_DIR, ignore_errors=True)  # not timed
    cold = dbci_check(project)
    expect("cold full run", cold, "all", project.count, project.count)
    check_findings(cold)
    results.cold.runs.append(cold.timing)

    sqlfluff = sqlfluff_lint(tools.sqlfluff, project, ["migrations"])
    results.full_sqlfluff.runs.append(sqlfluff.timing)
    line = f"cold: dbci {cold.timing.wall:.2f} s  sqlfluff {sqlfluff.timing.wall:.2f} s"
    squawk = None
    if tools.squawk is not None:
        squawk = squawk_lint(tools.squawk, project, project.paths())
        results.full_squawk.runs.append(squawk.timing)
        line += f"  squawk {squawk.timing.wall:.2f} s"

    warm = dbci_check(project)
    expect("warm re-run", warm, "all", project.count, 0)
    if warm.findings != cold.findings:
        raise BenchError(
            f"the warm re-run reported {len(warm.findings)} findings, the cold run"
            f" {len(cold.findings)}: the cache does not give back what linting found"
        )
    results.warm.runs.append(warm.timing)
    if i == 1:
        note_first_run(results, project, cold, sqlfluff, squawk)
    own = own_rules_run(project, cold)
    results.own_rules.runs.append(own.timing)
    return f"{line}  warm: dbci {warm.timing.wall:.2f} s  own rules: dbci {own.timing.wall:.2f} s"


def own_rules_run(project: Project, full: DbciRun) -> DbciRun:
    """A cold full dbci run with SQLFluff's style rules off (`[dbci.check.code] style =
    false` in a dbci.toml written for it, then removed): dbci's rules alone, on SQLFluff's
    parse. It must report exactly the findings of dbci's rules that the full run reported,
    and no SQLFluff rule."""
    config = project.root / "dbci.toml"
    shutil.rmtree(project.root / CACHE_DIR, ignore_errors=True)  # not timed
    config.write_text(STYLE_OFF_CONFIG, encoding="utf-8")
    try:
        own = dbci_check(project)
    finally:
        config.unlink()
    expect("cold run, style rules off", own, "all", project.count, project.count)
    sqlfluff_rules = {str(f.get("rule")) for f in own.findings if f.get("source") != "dbci"}
    if sqlfluff_rules - {"PRS", "TMP", "LXR"}:
        raise BenchError(f"style = false still reported SQLFluff rules: {sorted(sqlfluff_rules)}")
    def dbci_rules(run: DbciRun) -> list[tuple[str, str, int]]:
        return sorted(
            (str(f["rule"]), str(f["file"]), int(f["line"]))
            for f in run.findings
            if f.get("source") == "dbci"
        )

    if not dbci_rules(own) or dbci_rules(own) != dbci_rules(full):
        raise BenchError(
            f"style = false: dbci's rules found {len(dbci_rules(own))} problems, the full run"
            f" {len(dbci_rules(full))}: they must find the same"
        )
    return own


def benchmark(project: Project, tools: Tools, repeat: int) -> Results:
    """Time each case `repeat` times, dbci, sqlfluff and squawk alternating; print each run."""
    byte_compile()
    results = Results()
    for i in range(1, repeat + 1):
        parts = [time_pr(project, tools, results, i), time_full(project, tools, results, i)]
        print(f"run {i}/{repeat}  " + "  ".join(parts), flush=True)
    return results


def series_row(what: str, series: Series, target: str = "") -> tuple[str, str, str, str]:
    """A row of the medians' table: `what`, the median wall-clock, the median CPU, `target`."""
    return (what, f"{series.median:.2f} s", f"cpu {series.cpu_median:.2f} s", target)


def squawk_ratios(results: Results) -> dict[str, float]:
    """dbci's median over squawk's, for the pull request and the cold full run."""
    if not results.squawk_ran:
        return {}
    return {
        "pr": results.pr.median / results.pr_squawk.median,
        "cold": results.cold.median / results.full_squawk.median,
    }


def report(results: Results, project: Project, *, as_json: bool, extra: dict[str, Any]) -> None:
    """Print the medians against the targets, and a JSON line with the figures if asked."""
    r = results
    n, k = project.count, len(project.pr)
    speedup = r.full_sqlfluff.median / r.cold.median
    ratios = squawk_ratios(r)
    pr_rows = [
        series_row(
            f"dbci PR, {k} of {n} files changed",
            r.pr,
            f"<= {TARGET_PR_S:g} s {verdict(r.pr.median <= TARGET_PR_S)}",
        ),
        series_row(f"  sqlfluff lint, the {k} files", r.pr_sqlfluff),
    ]
    cold_rows = [
        series_row(f"dbci full, cold cache ({n} files)", r.cold),
        series_row(f"  sqlfluff lint, all {n} files", r.full_sqlfluff),
        (
            "  sqlfluff / dbci cold",
            f"{speedup:.2f}x",
            "",
            f">= {TARGET_SPEEDUP:g}x {verdict(speedup >= TARGET_SPEEDUP)}",
        ),
    ]
    if ratios:
        pr_rows += [
            series_row(f"  squawk, the {k} files", r.pr_squawk),
            ("  dbci PR / squawk", f"{ratios['pr']:.1f}x", "", ""),
        ]
        cold_rows += [
            series_row(f"  squawk, all {n} files", r.full_squawk),
            ("  dbci cold / squawk", f"{ratios['cold']:.1f}x", "", ""),
        ]
    warm_row = series_row(
        f"dbci full, warm cache ({n} files)",
        r.warm,
        f"<= {TARGET_WARM_S:g} s {verdict(r.warm.median <= TARGET_WARM_S)}",
    )
    own_row = series_row(
        f"dbci full, cold, style = false ({n} files)",
        r.own_rules,
        f"<= {TARGET_OWN_S:g} s {verdict(r.own_rules.median <= TARGET_OWN_S)}",
    )
    print_medians([*pr_rows, *cold_rows, warm_row, own_row])
    for note in r.notes:
        print(f"  {note}")
    if as_json:
        names = ["pr", "pr_sqlfluff", "cold", "full_sqlfluff", "warm", "own_rules"]
        if ratios:
            names += ["pr_squawk", "full_squawk"]
        figures = {
            **extra,
            "targets": {
                "pr_s": TARGET_PR_S,
                "speedup": TARGET_SPEEDUP,
                "warm_s": TARGET_WARM_S,
                "own_rules_s": TARGET_OWN_S,
            },
            **{name: getattr(r, name).as_dict(cpu_key="cpu_median_s") for name in names},
            "speedup": round(speedup, 3),
            "squawk_ratio": {case: round(ratio, 3) for case, ratio in ratios.items()} or None,
            "findings": r.findings,
            "files_flagged": r.files_flagged,
        }
        print(json.dumps(figures, sort_keys=True))


# --- Entry point ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="bench/code_analysis.py",
        description=(
            "Time `dbci check --code` against `sqlfluff lint` and squawk on generated migrations."
        ),
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
        squawk, squawk_about = find_squawk()  # installs it first if need be (not timed)
        tools = Tools(sqlfluff, squawk)
        project = write_project(tmp / "project", args.files)
        sizes = project.sizes()
        versions = {"dbci": package_version("dbci"), "sqlfluff": package_version("sqlfluff")}
        sides = "dbci then sqlfluff then squawk" if squawk else "dbci then sqlfluff"
        print(
            f"workload {project.count} migrations, {min(sizes) / 1024:.1f}-"
            f"{max(sizes) / 1024:.1f} KB each ({sum(sizes) / 1024:.0f} KB);"
            f" the PR changes {', '.join(f'V{s}' for s in project.pr)}"
        )
        print(
            f"tools    dbci {versions['dbci']}, sqlfluff {versions['sqlfluff']} ({sqlfluff}),"
            + (f" squawk {squawk_about} ({squawk})," if squawk else "")
            + f" {cores()} cores"
        )
        if squawk is None:
            print(f"squawk   not run: {squawk_about}; going on without it")
        print(f"runs     {args.repeat} of each case, {sides}", flush=True)
        results = benchmark(project, tools, args.repeat)
        extra = {
            "files": project.count,
            "pr_files": len(project.pr),
            "repeat": args.repeat,
            "cores": cores(),
            "dbci_version": versions["dbci"],
            "sqlfluff_version": versions["sqlfluff"],
            "squawk_version": squawk_about if squawk else None,
        }
        report(results, project, as_json=args.json, extra=extra)
        return None

    return guarded(body)


if __name__ == "__main__":
    ensure_dbci_importable()
    sys.exit(main())
