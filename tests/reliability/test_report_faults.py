"""Faults of the report stage and of `deploy --plan` (issue 21), each with one clear line.

* Concurrent comments: four `dbci report --comment` runs started at once, round after round,
  against the local stand-in of the GitHub, GitLab and Azure DevOps APIs
  (`test_report_comments.serving`), which answers each request after a short delay, and the
  runs' first listings together, so that the runs really race (each lists no comment, each
  creates one). One comment carrying the marker must remain each round, with the whole
  body; the test fails if no round raced.
* A slow API: a real local server that sends its answer one byte every 0.5 s. With
  `DBCI_API_TIMEOUT=2` the command ends within the deadline and a small margin, with one
  warning line, and exits 0 as for every other API problem.
* Bad report and plan files: `dbci report` on a report.json of the wrong shape, and
  `dbci deploy --plan FILE` with a malformed plan, each end with exit 2 and exactly one line
  `dbci: error: <file>: …` naming the JSON path, no traceback, and nothing changed: no
  report file written, no API called, nothing applied to the database, the plan file and
  the report directory as they were.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from support.cli import run_dbci
from support.postgres import libpq_url
from support.projects import write_project
from support.timing import Bound, timed
from test_report_comments import (
    PLATFORMS,
    Api,
    env_for,
    serving,
    trickling,
    visible,
)

from dbci.settings.project_name import REPOSITORY_VARIABLES

CONCURRENT = "faults: concurrent comments"
SLOW_API = "faults: slow API"
BAD_FILES = "bad input: report and plan files"

ROUNDS = 10
RACERS = 4
API_DELAY = 0.1  # seconds before the stand-in answers each request (a slow API)
DEADLINE = 2  # DBCI_API_TIMEOUT of the slow-API runs, in seconds
PROCESS_TIMEOUT = 120


def _environ(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without any CI platform's, plus `extra` (no proxy)."""
    skip = ("GITHUB_", "GITLAB_", "CI_", "SYSTEM_", "BUILD_", "TF_BUILD", "DBCI_", "INPUT_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
    return env | {"no_proxy": "*", "NO_PROXY": "*"} | extra


def _report_dir(project: Path) -> Path:
    return project / "dbci-report"


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose report.json a real `dbci check` (code analysis) wrote: a finding."""
    project = tmp_path_factory.mktemp("faults") / "shop"
    write_project(project, {"V1__a.sql": "DELETE FROM orders;\n"})
    # Named by its folder, `shop`, also where the tests' CI names a repository.
    unnamed = {name: None for pair in REPOSITORY_VARIABLES for name in pair}
    done = run_dbci("--project", project, "check", "--dialect", "postgres", env=unnamed)
    assert (_report_dir(project) / "report.json").is_file(), done.stderr
    return project


# --- concurrent comments --------------------------------------------------------------------


def _race(project: Path, env: dict[str, str]) -> list[subprocess.CompletedProcess[str]]:
    """`dbci report --comment` started RACERS times at once; their finished processes."""
    command = [sys.executable, "-m", "dbci", "--project", str(project), "report", "--comment"]
    running = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(RACERS)
    ]
    done = []
    for process in running:
        out, err = process.communicate(timeout=PROCESS_TIMEOUT)
        done.append(subprocess.CompletedProcess(command, process.returncode, out, err))
    return done


@pytest.mark.parametrize("platform", PLATFORMS)
def test_concurrent_report_comments_leave_one_comment(
    checked: Path, tmp_path: Path, platform: str, scenarios
) -> None:
    created_per_round: list[int] = []
    with serving(Api(delay=API_DELAY, gather=RACERS)) as api:
        env = _environ(env_for(platform, api.url, tmp_path))
        for round_ in range(ROUNDS):
            with scenarios.run(CONCURRENT, f"{platform} round {round_}"):
                for state in (api.github, api.gitlab, api.azure):
                    state.clear()
                api.calls.clear()
                api.gathered = 0  # the round's first listings are answered together
                runs = _race(checked, env)
                for run in runs:
                    assert run.returncode == 0, run.stderr
                    assert run.stderr == "", run.stderr  # no warning: every run commented
                    assert f"Comment created on {platform}" in run.stdout or (
                        f"Comment updated on {platform}" in run.stdout
                    ), run.stdout
                created_per_round.append(sum(1 for c in api.calls if c.method == "POST"))
                body = (_report_dir(checked) / "comment.md").read_text(encoding="utf-8")
                assert body.startswith("<!-- dbci-report project=shop ")
                remaining = [text for _, text in visible(api, platform)]
                assert remaining == [body]  # one comment, the whole report
    raced = sum(1 for created in created_per_round if created > 1)
    scenarios.note(
        f"concurrent comments on {platform}: {raced} of {ROUNDS} rounds raced "
        f"({max(created_per_round)} comments created at most in one round)"
    )
    # Without a race the rounds prove nothing: at least one must have created several.
    assert raced > 0, created_per_round


# --- a slow API -----------------------------------------------------------------------------


@pytest.mark.scenario(SLOW_API)
@pytest.mark.parametrize("phase", ["headers", "body"])
@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_api_trickling_its_answer_ends_at_the_deadline(
    checked: Path, tmp_path: Path, platform: str, phase: str
) -> None:
    # The deadline ends the command: not before it, and within it plus what the same
    # command costs on a stand-in that answers at once (Python's start, rendering the
    # report files, the comment). The trickle lasts far past that bound: a request without
    # its deadline would last as long, and fail.
    def report(api_url: str) -> subprocess.CompletedProcess[str]:
        env = _environ(env_for(platform, api_url, tmp_path) | {"DBCI_API_TIMEOUT": str(DEADLINE)})
        return subprocess.run(
            [sys.executable, "-m", "dbci", "--project", str(checked), "report", "--comment"],
            env=env,
            capture_output=True,
            text=True,
            timeout=PROCESS_TIMEOUT,
            check=False,
        )

    with serving() as quick:
        reference, took = timed(lambda: report(quick.url))
    assert reference.returncode == 0 and reference.stderr == "", reference.stderr
    bound = Bound(wait=DEADLINE, reference=took)
    with trickling(phase, interval=0.5, lasting=bound.release(at_least=10)) as url:
        done, elapsed = timed(lambda: report(url))
    assert done.returncode == 0, done.stderr
    assert elapsed >= DEADLINE, elapsed
    bound.check(elapsed, "a report whose API trickles its answer")
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"WARNING: comment not posted: GET {url}/"), lines[0]
    assert lines[0].endswith(f" timed out after {DEADLINE} s (DBCI_API_TIMEOUT)"), lines[0]
    assert "Report (" in done.stdout  # the files were rendered all the same


# --- bad report files -----------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    """A report.json (or plan) gone wrong: how to spoil a good one, and the one line's text
    after `<file>: `."""

    id: str
    spoil: Callable[[dict[str, Any]], Any]  # the spoiled JSON value (or bytes as they are)
    message: str


def _set(**values: Any) -> Callable[[dict[str, Any]], Any]:
    def spoil(report: dict[str, Any]) -> Any:
        report.update(values)
        return report

    return spoil


def _finding(report: dict[str, Any], **values: Any) -> dict[str, Any]:
    finding = copy.deepcopy(report["code"]["findings"][0])
    finding.update(values)
    return finding


def _build(**values: Any) -> dict[str, Any]:
    good = {"status": "passed", "migrations": [], "undo_verified": None, "tests": [], "error": None}
    return good | values


def _deep(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


REPORTS: list[Bad] = [
    Bad(
        "code-findings-a-string",
        _set(code={"findings": "x"}),
        "code.findings: expected an array, found a string",
    ),
    Bad(
        "finding-not-an-object",
        lambda r: _set(code={**r["code"], "findings": [r["code"]["findings"][0], 5]})(r),
        "code.findings[1]: expected an object, found an integer",
    ),
    Bad(
        "finding-line-a-string",
        lambda r: _set(code={**r["code"], "findings": [_finding(r, line="12")]})(r),
        "code.findings[0].line: expected an integer or null, found a string",
    ),
    Bad(
        "finding-without-a-rule",
        lambda r: _set(
            code={**r["code"], "findings": [{k: v for k, v in _finding(r).items() if k != "rule"}]}
        )(r),
        "code.findings[0].rule: missing",
    ),
    Bad(
        "build-migrations-null",
        _set(build=_build(migrations=None)),
        "build.migrations: expected an array, found null",
    ),
    Bad(
        "build-timing-a-string",
        _set(build=_build(timings={"provision": "fast"})),
        "build.timings.provision: expected a number, found a string",
    ),
    Bad(
        "deploy-targets-a-number",
        _set(deploy={"status": "success", "targets": 5}),
        "deploy.targets: expected an array, found an integer",
    ),
    Bad(
        "changes-object-missing-keys",
        _set(
            changes={
                "from_version": "1",
                "to_version": "2",
                "pending": [],
                "objects": [{"change": "Add", "type": "table"}],
            }
        ),
        "changes.objects[0].schema: missing",
    ),
    Bad(
        "drift-deeply-wrong",
        _set(drift=_deep(200)),
        "drift: expected an object or null, found an array",
    ),
    Bad(
        "drift-sql-an-object",
        _set(
            drift={
                "detected": True,
                "items": [
                    {
                        "change": "Change",
                        "type": "table",
                        "schema": "public",
                        "name": "t",
                        "expected_sql": {"a": [1, {"b": _deep(50)}]},
                        "actual_sql": None,
                    }
                ],
                "repo": [],
            }
        ),
        "drift.items[0].expected_sql: expected a string or null, found an object",
    ),
    Bad("status-a-number", _set(status=5), "status: expected a string, found an integer"),
    Bad(
        "dryrun-a-list",
        _set(dryrun=["SELECT 1"]),
        "dryrun: expected an object or null, found an array",
    ),
    Bad(
        "plan-pending-a-number",
        _set(plan={"pending": 5, "schema_sha256": "0" * 64}),
        "plan.pending: expected an array, found an integer",
    ),
    Bad("not-json", lambda r: b"{not json", "not JSON: Expecting property name enclosed in"),
    Bad("a-json-list", lambda r: [r], 'not a dbci report (no "schema" key)'),
    Bad(
        "another-schema",
        _set(schema="dbci-report/9"),
        "report schema 'dbci-report/9': this dbci reads 'dbci-report/1'",
    ),
    Bad("nested-too-deeply", lambda r: b"[" * 200_000, "not a dbci report (nested too deeply)"),
]


def _write(path: Path, value: Any) -> None:
    data = value if isinstance(value, bytes) else json.dumps(value).encode("utf-8")
    path.write_bytes(data)


def _tree(directory: Path) -> dict[str, bytes | None]:
    """Every file under `directory` with its bytes (None for a directory)."""
    return {
        str(p.relative_to(directory)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(directory.rglob("*"))
    }


def _one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("dbci: error: "), lines[0]
    return lines[0]


@pytest.mark.scenario(BAD_FILES)
@pytest.mark.parametrize("bad", REPORTS, ids=[b.id for b in REPORTS])
def test_a_malformed_report_is_one_line_and_exit_2(checked: Path, tmp_path: Path, bad: Bad) -> None:
    project = tmp_path / "shop"
    shutil.copytree(checked, project)
    report = _report_dir(project) / "report.json"
    good = json.loads(report.read_text(encoding="utf-8"))
    _write(report, bad.spoil(copy.deepcopy(good)))
    (_report_dir(project) / "comment.md").write_text("the last good comment\n")
    before = _tree(project)
    with serving() as api:
        done = run_dbci(
            "--project",
            project,
            "report",
            "--comment",
            env=_environ(env_for("github", api.url, tmp_path)),
        )
        assert api.calls == []  # nothing posted
    assert done.returncode == 2, done.stderr
    line = _one_error_line(done)
    assert line.startswith(f"dbci: error: {report}: {bad.message}"), line
    assert done.stdout == ""
    assert _tree(project) == before  # no report file written


@pytest.mark.scenario(BAD_FILES)
@pytest.mark.parametrize("what", ["a-directory", "missing"])
def test_a_report_that_cannot_be_read_is_one_line_and_exit_2(
    checked: Path, tmp_path: Path, what: str
) -> None:
    project = tmp_path / "shop"
    shutil.copytree(checked, project)
    report = _report_dir(project) / "report.json"
    report.unlink()
    if what == "a-directory":
        report.mkdir()
    before = _tree(project)
    done = run_dbci("--project", project, "report")
    assert done.returncode == 2, done.stderr
    reason = "Is a directory" if what == "a-directory" else "No such file or directory"
    assert _one_error_line(done) == f"dbci: error: {report}: cannot read the report: {reason}"
    assert _tree(project) == before


# --- bad plan files -------------------------------------------------------------------------

PLANNED = {
    "V1__a.sql": "CREATE TABLE a (id int PRIMARY KEY);\n",
    "V2__b.sql": "CREATE TABLE b (id int);\n",
}


def _plan(**values: Any) -> Callable[[dict[str, Any]], Any]:
    def spoil(report: dict[str, Any]) -> Any:
        report["plan"] = {**report["plan"], **values}
        return report

    return spoil


PLANS: list[Bad] = [
    Bad("pending-a-number", _plan(pending=5), "plan.pending: expected an array, found an integer"),
    Bad(
        "pending-item-not-an-object",
        _plan(pending=[5]),
        "plan.pending[0]: expected an object, found an integer",
    ),
    Bad(
        "pending-item-without-checksum",
        _plan(pending=[{"version": "2", "script": "V2__b.sql"}]),
        "plan.pending[0].checksum: missing",
    ),
    Bad(
        "schema-hash-not-a-string",
        _plan(schema_sha256=7),
        "plan.schema_sha256: expected a string, found an integer",
    ),
    Bad(
        "schema-hash-not-a-digest",
        _plan(schema_sha256="changed"),
        "plan.schema_sha256: not a SHA-256 digest in hex",
    ),
    Bad("plan-a-list", _set(plan=[]), "plan: expected an object or null, found an array"),
    Bad("no-plan", _set(plan=None), "no plan in this report: run dbci check -e TARGET first"),
    Bad(
        "another-section-wrong",
        _set(code={"files_checked": "1", "findings": []}),
        "code.files_checked: expected an integer, found a string",
    ),
    Bad("not-json", lambda r: b"\xff\xfe{", "not JSON: "),
    Bad(
        "not-a-dbci-report",
        lambda r: {"plan": r["plan"]},
        'not a dbci report (no "schema" key)',
    ),
]


def _history(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT version, script, checksum, success FROM flyway_schema_history ORDER BY 1"
        ).fetchall()
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        ).fetchall()
    return [*rows, *tables]


@pytest.fixture
def planned(tmp_path: Path, pg_url: str) -> tuple[Path, dict[str, Any]]:
    """A project at version 1 on the scratch database, checked: (project, its report)."""
    root = write_project(tmp_path / "p", PLANNED)
    assert run_dbci("--project", root, "--url", pg_url, "migrate", "--target", "1").returncode == 0
    done = run_dbci("--project", root, "--url", pg_url, "check", "--code")
    assert done.returncode == 0, done.stderr
    report = json.loads((_report_dir(root) / "report.json").read_text(encoding="utf-8"))
    assert report["plan"]["pending"][0]["script"] == "V2__b.sql"
    return root, report


def _deploy_refused(root: Path, url: str, plan: Path, expected: str) -> None:
    """`deploy --plan` ends with exit 2, the one line `expected`, and changes nothing."""
    state = _history(url)
    files = _tree(root)
    done = run_dbci("--project", root, "--url", url, "deploy", "--plan", plan)
    assert done.returncode == 2, done.stderr
    line = _one_error_line(done)
    assert line.startswith(expected), line
    assert _history(url) == state  # nothing applied
    assert _tree(root) == files  # the plan and the report directory as they were


@pytest.mark.scenario(BAD_FILES)
@pytest.mark.parametrize("bad", PLANS, ids=[b.id for b in PLANS])
def test_a_malformed_plan_is_one_line_and_exit_2(
    planned: tuple[Path, dict[str, Any]], pg_url: str, bad: Bad
) -> None:
    root, report = planned
    plan = root / "plans" / "plan.json"
    plan.parent.mkdir()
    _write(plan, bad.spoil(copy.deepcopy(report)))
    _deploy_refused(root, pg_url, plan, f"dbci: error: {plan}: {bad.message}")


@pytest.mark.scenario(BAD_FILES)
@pytest.mark.parametrize("what", ["a-directory", "missing"])
def test_a_plan_that_cannot_be_read_is_one_line_and_exit_2(
    planned: tuple[Path, dict[str, Any]], pg_url: str, what: str
) -> None:
    root, _ = planned
    plan = root / "plans"
    if what == "a-directory":
        plan.mkdir()
    else:
        plan = plan / "plan.json"
    reason = "Is a directory" if what == "a-directory" else "No such file or directory"
    _deploy_refused(root, pg_url, plan, f"dbci: error: {plan}: cannot read the report: {reason}")


@pytest.mark.scenario(BAD_FILES)
def test_the_report_directory_plan_malformed_in_place_is_left_as_it_is(
    planned: tuple[Path, dict[str, Any]], pg_url: str
) -> None:
    """The usual `deploy --plan dbci-report/report.json`: the plan is the report deploy
    would add its section to; a malformed one is refused, not rewritten."""
    root, report = planned
    plan = _report_dir(root) / "report.json"
    _write(plan, _plan(pending=[{"script": 5, "checksum": 1}])(copy.deepcopy(report)))
    expected = f"dbci: error: {plan}: plan.pending[0].script: expected a string, found an integer"
    _deploy_refused(root, pg_url, plan, expected)
