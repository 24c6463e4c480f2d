"""report.json's JSON Schema (`dbci.report.json_schema`) against the reports dbci writes.

The schema must accept every report the stages write, or `dbci report` and `deploy --plan`
would refuse dbci's own files: real `build`, `check`, `pipeline` and `deploy` runs on
PostgreSQL write reports with every section and every list filled (migrations, undo
checks, SQL tests, pending migrations, changed objects, drift, repository drift, findings,
a dry run and a failed one, deploy targets, a plan), and each is validated with the
reference implementation (`jsonschema`), then rendered by `dbci report`. The one line of a
violation names its JSON path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from jsonschema import Draft202012Validator
from support.cli import run_dbci
from support.postgres import libpq_url
from support.projects import write_project

from dbci.report.json_schema import REPORT_SCHEMA, json_path, report_problem

FILES = {
    "V1__a.sql": "CREATE TABLE a (id int PRIMARY KEY);\n",
    "U1__a.sql": "DROP TABLE a;\n",
    "V2__b.sql": "CREATE TABLE b (id int);\nDELETE FROM a;\n",
    "U2__b.sql": "SELECT 1;\n",  # does not drop b: a broken undo
    "R__v.sql": "CREATE OR REPLACE VIEW v AS SELECT 1 AS x;\n",
}
SQL_TESTS = {
    "t_ok.sql": "-- expect: SELECT count(*) = 0 FROM a\n",
    "t_bad.sql": "-- expect: SELECT count(*) = 99 FROM a\n",
}


def _sql(url: str, statement: str) -> None:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(statement)


def _project(root: Path, build_url: str, files: dict[str, str] = FILES) -> Path:
    """The project, built on `build_url` (a shadow environment the build cleans)."""
    toml = (
        '[flywayDesktop]\nshadowEnvironment = "shadow"\n'
        f'[environments.shadow]\nurl = "{build_url}"\nprovisioner = "clean"\n'
    )
    project = write_project(root, files, toml)
    tests = project / "tests" / "sql"
    tests.mkdir(parents=True)
    for name, text in SQL_TESTS.items():
        (tests / name).write_text(text)
    return project


def _report(project: Path) -> dict[str, Any]:
    return json.loads((project / "dbci-report" / "report.json").read_text(encoding="utf-8"))


@pytest.fixture
def build_url(pg_cluster: Any) -> Iterator[str]:
    with pg_cluster.scratch_database() as url:
        yield url


@pytest.fixture
def other_url(pg_cluster: Any) -> Iterator[str]:
    with pg_cluster.scratch_database() as url:
        yield url


def _written(tmp_path: Path, pg_url: str, build_url: str, other_url: str) -> list[dict[str, Any]]:
    """The report.json of each stage, as dbci writes it, in a dozen real runs."""
    reports = []

    def run(project: Path, *args: str | Path) -> dict[str, Any]:
        done = run_dbci("--project", project, *args)
        assert done.returncode in (0, 1), done.stderr  # a gate may fail: the report is written
        reports.append(_report(project))
        return reports[-1]

    # The build stage: migrations, an undo verified and one broken, a SQL test failing.
    built = _project(tmp_path / "build", build_url)
    run(built, "build", "--verify-undo")

    # A check of a drifted target: changes, drift, repository drift, findings, the dry run
    # failing on the edited migration; then the pipeline (build and check) with the edit.
    drifted = _project(tmp_path / "drifted", build_url)
    assert (
        run_dbci("--project", drifted, "--url", pg_url, "migrate", "--target", "1").returncode == 0
    )
    _sql(pg_url, "ALTER TABLE a ADD COLUMN x int")
    run(drifted, "--url", pg_url, "check")
    v1 = drifted / "migrations" / "V1__a.sql"
    v1.write_text("-- edited after it was applied\n" + v1.read_text())
    run(drifted, "--url", pg_url, "pipeline", "--verify-undo")

    # Deploy: a check's plan held to, then a deploy that fails; code analysis alone.
    deployed = _project(tmp_path / "deployed", build_url)
    assert (
        run_dbci("--project", deployed, "--url", other_url, "migrate", "--target", "1").returncode
        == 0
    )
    run(deployed, "--url", other_url, "check")
    plan = deployed / "plan.json"
    plan.write_text((deployed / "dbci-report" / "report.json").read_text())
    run(deployed, "--url", other_url, "deploy", "--plan", plan)
    (deployed / "migrations" / "V3__bad.sql").write_text("CREATE TABLE c (id int);\nSELECT 1/0;\n")
    run(deployed, "--url", other_url, "deploy")
    run(deployed, "check", "--dialect", "postgres")
    return reports


def _filled(reports: list[dict[str, Any]], *path: str) -> bool:
    """Whether some report has a non-empty list at `path` (`targets.*` looks in each item)."""
    for report in reports:
        nodes: list[Any] = [report]
        for step in path:
            if step == "*":
                nodes = [item for node in nodes if isinstance(node, list) for item in node]
            else:
                nodes = [node.get(step) for node in nodes if isinstance(node, dict)]
        if any(isinstance(node, list) and node for node in nodes):
            return True
    return False


def test_every_report_dbci_writes_is_valid(
    tmp_path: Path, pg_url: str, build_url: str, other_url: str
) -> None:
    reports = _written(tmp_path, pg_url, build_url, other_url)
    validator = Draft202012Validator(REPORT_SCHEMA)
    for report in reports:
        problems = [
            f"{json_path(e.absolute_path)}: {e.message}" for e in validator.iter_errors(report)
        ]
        assert problems == [], problems
        assert report_problem(report) is None
    # Every list the schema describes was filled at least once, so each item schema is
    # held to what the stages write.
    for path in [
        ("build", "migrations"),
        ("build", "undo"),
        ("build", "tests"),
        ("changes", "pending"),
        ("changes", "objects"),
        ("drift", "items"),
        ("drift", "repo"),
        ("code", "findings"),
        ("dryrun", "pending"),
        ("deploy", "applied"),
        ("deploy", "targets"),
        ("deploy", "targets", "*", "applied"),
        ("plan", "pending"),
    ]:
        assert _filled(reports, *path), path
    assert any(r["dryrun"] and r["dryrun"]["error"] for r in reports)  # a failed dry run
    assert any(r["deploy"] and r["deploy"]["targets"][0]["error"] for r in reports)
    assert any(r["build"] and r["build"]["status"] == "failed" for r in reports)
    assert any(r["plan"] is None for r in reports)  # code analysis alone: no plan


def test_dbci_renders_what_it_wrote(tmp_path: Path, pg_url: str) -> None:
    project = write_project(tmp_path / "p", {"V1__a.sql": "CREATE TABLE a (id int);\n"})
    assert run_dbci("--project", project, "--url", pg_url, "check").returncode == 0
    done = run_dbci("--project", project, "report")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Report (passed): ")


def test_the_schema_is_a_valid_json_schema() -> None:
    Draft202012Validator.check_schema(REPORT_SCHEMA)
    assert REPORT_SCHEMA["properties"]["schema"] == {"const": "dbci-report/1"}
    minimal = {"schema": "dbci-report/1"}  # the sections of stages that did not run: absent
    assert report_problem(minimal) is None
    assert report_problem({**minimal, **dict.fromkeys(("build", "code", "plan"))}) is None


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), ""),
        (("code", "findings", 3, "line"), "code.findings[3].line"),
        (("build", "timings", "a b"), 'build.timings["a b"]'),
        ((0,), "[0]"),
    ],
)
def test_json_path(path: tuple[Any, ...], text: str) -> None:
    assert json_path(path) == text


def test_the_first_problem_in_the_file_is_the_one_named() -> None:
    finding = {
        "rule": "DB105",
        "severity": "error",
        "file": "V1.sql",
        "line": 1,
        "column": 1,
        "message": "m",
        "source": "dbci",
    }
    report: dict[str, Any] = {
        "schema": "dbci-report/1",
        "code": {
            "files_checked": 1,
            "findings": [finding, {**finding, "line": "x"}, {**finding, "column": "y"}],
        },
        "dryrun": {"sql": 5, "pending": [], "error": None},
    }
    assert (
        report_problem(report)
        == "code.findings[1].line: expected an integer or null, found a string"
    )
    del report["code"]["files_checked"]  # a missing key shows where its object ends
    assert (
        report_problem(report)
        == "code.findings[1].line: expected an integer or null, found a string"
    )
    report["code"] = {"findings": []}
    assert report_problem(report) == "code.files_checked: missing"
    report["code"] = None
    assert report_problem(report) == "dryrun.sql: expected a string or null, found an integer"
