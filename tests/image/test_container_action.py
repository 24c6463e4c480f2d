"""The image built from the Dockerfile, run as GitHub runs a Docker action and as GitLab runs
a job on an image, against this machine's PostgreSQL reached by a service's host name.

A pull request adds a dangerous migration (a dropped column: DB103, an error; an index built
without CONCURRENTLY: DB205, a warning) to a project whose QA target is at the version before
it and was changed by hand (an index: drift). The expected values are the platforms' and
PostgreSQL's: the outputs as the runner reads `$GITHUB_OUTPUT`, the annotations and masks as
it reads the log, the one comment in a local stand-in for GitHub's (and GitLab's) API, and
the target's own catalog and history table after the deploy.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url
from support.action_runner import ActionRun, Runner, run_logged
from support.docker_engine import DockerEngine
from support.image_figures import FIGURES
from support.postgres import PgCluster
from test_report_comments import GITHUB_TOKEN, GITLAB_TOKEN, Api, serving

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "qa-S3cret-Passw0rd"  # the QA password input: never in any output
BUILD_PASSWORD = "build-S3cret-Passw0rd"
SERVICE = "postgres"  # the service's host name, as a job's `services: postgres:` gives it
PR_NUMBER = 7
MR_IID = "3"

V1 = """CREATE TABLE customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    email text
);
"""
V2 = """CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    total numeric(12, 2) NOT NULL
);
"""
V3 = """ALTER TABLE customers DROP COLUMN email;
CREATE INDEX orders_customer_idx ON orders (customer_id);
"""
V3_NAME = "V3__drop_customer_email.sql"

pytestmark = pytest.mark.image  # make image-test; left out of make test


@dataclass
class Scenario:
    """A repository checked out in the workspace, its project in `db/`, a QA database."""

    workspace: Path
    project: Path
    database: str
    admin_url: str

    def target(self) -> psycopg.Connection:
        url = make_url(self.admin_url).set(drivername="postgresql", database=self.database)
        return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)

    def history(self) -> list[tuple[str, bool]]:
        """(version, success) of the target's flyway_schema_history, in installed order."""
        with self.target() as conn:
            rows = conn.execute(
                "SELECT version, success FROM flyway_schema_history"
                " WHERE version IS NOT NULL ORDER BY installed_rank"
            ).fetchall()
        return [(str(v), bool(s)) for v, s in rows]

    def columns(self, table: str) -> list[str]:
        with self.target() as conn:
            rows = conn.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
                [table],
            ).fetchall()
        return [r[0] for r in rows]


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=dev", "-c", "user.email=dev@example.test", *args],
        cwd=cwd, check=True, capture_output=True,
    )


def _host_dbci(project: Path, *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dbci", "--project", str(project), *args],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"dbci {' '.join(args)}:\n{result.stdout}{result.stderr}"


def _service_url(admin_url: str, database: str, *, with_user: bool = True) -> str:
    """The URL of `database` as a job container sees it: the service's host name."""
    url = make_url(admin_url)
    assert url.host in ("127.0.0.1", "localhost"), "the image test needs PostgreSQL over TCP"
    user = f"{url.username}@" if with_user and url.username else ""
    return f"postgresql://{user}{SERVICE}:{url.port or 5432}/{database}"


@pytest.fixture
def scenario(pg_cluster: PgCluster, tmp_path: Path) -> Iterator[Scenario]:
    """The QA target at V2 with an index made by hand; the pull request's V3 checked out."""
    database = pg_cluster.create_database("dbci_image_qa_")
    workspace = tmp_path / "workspace"
    project = workspace / "db"
    (project / "migrations").mkdir(parents=True)
    user = make_url(pg_cluster.admin_url).username or "postgres"
    port = make_url(pg_cluster.admin_url).port or 5432
    (project / "flyway.toml").write_text(
        f'[environments.qa]\nurl = "jdbc:postgresql://{SERVICE}:{port}/{database}"\n'
        f'user = "{user}"\n\n[flyway]\nlocations = ["filesystem:migrations"]\n',
        encoding="utf-8",
    )
    (project / "migrations" / "V1__create_customers.sql").write_text(V1)
    (project / "migrations" / "V2__create_orders.sql").write_text(V2)
    target_url = pg_cluster.database_url(database)
    _host_dbci(project, "--url", target_url, "migrate")
    with psycopg.connect(
        make_url(target_url).set(drivername="postgresql").render_as_string(False),
        autocommit=True,
    ) as conn:  # the hand-made change on QA: drift
        conn.execute("CREATE INDEX customers_name_idx ON customers (name)")
    (project / "migrations" / V3_NAME).write_text(V3)
    _git(workspace, "init", "-q", "-b", "main")
    _git(workspace, "add", "-A")
    _git(workspace, "commit", "-q", "-m", "drop customers.email")
    try:
        yield Scenario(workspace, project, database, pg_cluster.admin_url)
    finally:
        pg_cluster.drop_database(database)


@pytest.fixture
def api() -> Iterator[Api]:
    with serving() as state:
        yield state


def _runner(engine: DockerEngine, image: str, scenario: Scenario, api: Api, tmp: Path) -> Runner:
    return Runner(
        engine=engine,
        image=image,
        workspace=scenario.workspace,
        temp=tmp / "_temp",
        event={"number": PR_NUMBER, "pull_request": {"number": PR_NUMBER}},
        environ={
            "GITHUB_API_URL": f"{api.url}/gh",
            "GITHUB_SERVER_URL": "https://github.test",
            "GITHUB_REPOSITORY": "acme/shop",
            "GITHUB_RUN_ID": "4242",
            "GITHUB_EVENT_NAME": "pull_request",
            "no_proxy": "*",
        },
    )


def _assert_secret_free(run: ActionRun, *places: str) -> None:
    for secret in (PASSWORD, BUILD_PASSWORD, GITHUB_TOKEN):
        assert secret not in run.shown, f"a secret is in the log:\n{run.shown}"
        assert all(secret not in value for value in run.outputs.values())
        assert secret not in run.summary
        for text in places:
            assert secret not in text


def _report_files(project: Path) -> str:
    folder = project / "dbci-report"
    return "\n".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


def _pipeline_inputs(build_url: str) -> dict[str, str]:
    return {
        "command": "pipeline",
        "working-directory": "db",
        "environment": "qa",
        "password": PASSWORD,
        "build-url": build_url,
        "build-password": BUILD_PASSWORD,
        "fail-on-drift": "true",
    }


def test_github_pull_request_pipeline_then_deploy_plan(
    engine: DockerEngine, image: str, scenario: Scenario, api: Api, pg_cluster: PgCluster,
    tmp_path: Path,
) -> None:
    runner = _runner(engine, image, scenario, api, tmp_path)
    build_url = _service_url(pg_cluster.admin_url, "postgres")
    run = runner.run_step(_pipeline_inputs(build_url), token=GITHUB_TOKEN)
    FIGURES["first line"] = f"{run.first_line_seconds:.2f} s after docker run"
    FIGURES["pipeline"] = f"{run.seconds:.1f} s"

    # Drift and an error-level finding both fail the step; the outputs say why.
    assert run.returncode == 1, run.log
    assert run.outputs["status"] == "failed"
    assert run.outputs["drift-detected"] == "true"
    assert run.outputs["pending-count"] == "1"
    assert run.outputs["migrations-applied"] == "0"
    assert run.outputs["schema-version"] == "2"
    report_dir = run.outputs["report-dir"]
    assert report_dir == "db/dbci-report"  # relative to /github/workspace, where steps run
    report = json.loads((scenario.workspace / report_dir / "report.json").read_text())
    assert run.outputs["findings-count"] == str(len(report["code"]["findings"]))

    # Masks come first, before any line that could hold a secret.
    assert run.lines[0].startswith("::add-mask::"), run.lines[:3]
    assert PASSWORD in run.masks and BUILD_PASSWORD in run.masks and GITHUB_TOKEN in run.masks

    # Annotations: the findings, at the file's path in the repository (db/migrations/…).
    by_rule = {a.properties.get("title"): a for a in run.annotations if "file" in a.properties}
    assert by_rule["DB103"].kind == "error"
    assert by_rule["DB103"].properties["file"] == f"db/migrations/{V3_NAME}"
    assert by_rule["DB103"].properties["line"] == "1"
    assert by_rule["DB205"].kind == "warning"
    assert by_rule["DB205"].properties["line"] == "2"

    # The step summary and the one comment on the pull request.
    assert "drift" in run.summary.lower() and "DB103" in run.summary
    comments = api.github.get(PR_NUMBER, [])
    assert len(comments) == 1, comments
    body = comments[0]["body"].replace("\\", "")  # Markdown's escapes (customers\\_name…)
    assert "DB103" in body and "customers_name_idx" in body, body

    # A second push: the same comment edited, not another.
    again = runner.run_step(_pipeline_inputs(build_url), token=GITHUB_TOKEN)
    assert again.returncode == 1
    assert len(api.github.get(PR_NUMBER, [])) == 1
    _assert_secret_free(run, comments[0]["body"], _report_files(scenario.project))
    _assert_secret_free(again)
    # Nothing reached QA: the check only read it.
    assert scenario.history() == [("1", True), ("2", True)]
    assert "email" in scenario.columns("customers")

    # deploy --plan of that check: its drift gate refuses QA as it is (nothing applied) …
    plan = f"{report_dir}/report.json"  # as a workflow names it: the pipeline's output
    deploy = {
        "command": "deploy", "working-directory": "db", "environment": "qa",
        "password": PASSWORD, "comment": "false", "args": f"--plan {plan}",
    }
    refused = runner.run_step(deploy, token=GITHUB_TOKEN)
    assert refused.returncode != 0, refused.log
    assert refused.outputs["status"] == "failed"
    assert refused.outputs["drift-detected"] == "true", refused.shown
    assert refused.outputs["migrations-applied"] == "0"
    assert scenario.history() == [("1", True), ("2", True)]
    assert any(a.kind == "error" for a in refused.annotations), refused.log

    # … and with the gate off (the team accepted the hand-made index) applies V3.
    applied = runner.run_step({**deploy, "fail-on-drift": "false"}, token=GITHUB_TOKEN)
    FIGURES["deploy"] = f"{applied.seconds:.1f} s"
    assert applied.returncode == 0, applied.log
    assert applied.outputs["status"] == "passed"
    assert applied.outputs["migrations-applied"] == "1"
    assert applied.outputs["schema-version"] == "3"
    assert applied.outputs["pending-count"] == "0"
    assert scenario.history() == [("1", True), ("2", True), ("3", True)]
    assert scenario.columns("customers") == ["id", "name"]
    assert "Deploy" in applied.summary or "deploy" in applied.summary
    _assert_secret_free(refused)
    _assert_secret_free(applied)


def test_gitlab_merge_request_job_on_the_image(
    engine: DockerEngine, image: str, scenario: Scenario, api: Api, pg_cluster: PgCluster,
) -> None:
    """examples/gitlab/.gitlab-ci.yml's check job: the image with its entrypoint set aside,
    `dbci` run from the job's shell in the project directory, GitLab's variables."""
    project_dir = "/builds/acme/shop"
    variables = {
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_PROJECT_DIR": project_dir,
        "CI_API_V4_URL": f"{api.url}/gl/api/v4",
        "CI_PROJECT_ID": "42",
        "CI_PROJECT_URL": "https://gitlab.test/acme/shop",
        "CI_MERGE_REQUEST_IID": MR_IID,
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_PIPELINE_URL": "https://gitlab.test/acme/shop/-/pipelines/99",
        "DBCI_GITLAB_TOKEN": GITLAB_TOKEN,
        "DBCI_PASSWORD": PASSWORD,
        "DBCI_BUILD_URL": _service_url(pg_cluster.admin_url, "postgres"),
        "no_proxy": "*",
    }
    # The job's script, then its after_script (which runs whatever the script's outcome).
    script = (
        "cd db && dbci -e qa pipeline --fail-on-drift; code=$?; dbci report --comment; exit $code"
    )
    args = ["run", "--rm", "--network", "host", "--add-host", f"{SERVICE}:127.0.0.1",
            "--entrypoint", "", "-v", f"{scenario.workspace}:{project_dir}", "-w", project_dir]
    for name in variables:
        args += ["-e", name]
    args += [image, "sh", "-c", script]
    lines, _, seconds, code = run_logged(engine, args, variables, timeout=900)
    FIGURES["GitLab job"] = f"{seconds:.1f} s"
    log = "\n".join(lines)
    assert code == 1, log
    notes = api.gitlab.get(MR_IID, [])
    assert len(notes) == 1, notes
    assert "DB103" in notes[0]["body"]
    # GitLab reads no workflow commands: none is printed, and no secret either.
    assert not any(line.startswith("::") for line in lines), log
    for secret in (PASSWORD, GITLAB_TOKEN):
        assert secret not in log and secret not in notes[0]["body"]
    # The JUnit report for the merge request widget: the failed gates are failures.
    junit = ET.parse(scenario.project / "dbci-report" / "junit.xml").getroot()
    failures = [c.get("name") for c in junit.iter("testcase") if c.find("failure") is not None]
    assert any("drift" in (name or "").lower() for name in failures), failures
    assert scenario.history() == [("1", True), ("2", True)]


def test_runs_as_a_user_without_a_passwd_entry(
    engine: DockerEngine, image: str, tmp_path: Path, api: Api
) -> None:
    """`docker run --user 54321:54321` (OpenShift, a hardened runner): the embedded build
    database starts although that user has no passwd entry, HOME is not writable."""
    workspace = tmp_path / "workspace"
    (workspace / "migrations").mkdir(parents=True)
    (workspace / "migrations" / "V1__create_customers.sql").write_text(V1)
    (workspace / "migrations" / "V2__create_orders.sql").write_text(V2)
    shutil.chown(workspace, 54321, 54321)
    for path in workspace.rglob("*"):
        shutil.chown(path, 54321, 54321)
    runner = Runner(engine=engine, image=image, workspace=workspace, temp=tmp_path / "_temp",
                    event={}, environ={"GITHUB_API_URL": f"{api.url}/gh", "no_proxy": "*"})
    run = runner.run_step({"command": "build", "comment": "false"}, token=GITHUB_TOKEN,
                          user="54321:54321")
    assert run.returncode == 0, run.log
    assert run.outputs["status"] == "passed"
    report = json.loads((workspace / "dbci-report" / "report.json").read_text())
    applied = [(m["version"], m["status"]) for m in report["build"]["migrations"]]
    assert applied == [("1", "success"), ("2", "success")]
    owner = {p.stat().st_uid for p in (workspace / "dbci-report").rglob("*")}
    assert owner == {54321}


def test_pull_request_job_on_500_migrations(
    engine: DockerEngine, image: str, pg_cluster: PgCluster, tmp_path: Path, api: Api
) -> None:
    """The figure: bench/check.py's project (500 migrations, 20 pending on the target), the
    whole PR job (pipeline and report) in the container with the embedded build database."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from check import write_project  # bench/check.py
    finally:
        sys.path.remove(str(ROOT / "bench"))
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    project = write_project(workspace, 500, 20)
    database = pg_cluster.create_database("dbci_image_bench_")
    try:
        _host_dbci(workspace, "--url", pg_cluster.database_url(database), "migrate",
                   "--target", "480")
        runner = Runner(engine=engine, image=image, workspace=workspace,
                        temp=tmp_path / "_temp", event={},
                        environ={"GITHUB_API_URL": f"{api.url}/gh", "no_proxy": "*"})
        started = time.monotonic()
        run = runner.run_step(
            {"command": "pipeline", "url": _service_url(pg_cluster.admin_url, database),
             "comment": "false", "fail-on-severity": "never"},
            token=GITHUB_TOKEN,
        )
        FIGURES["500-migration PR job"] = f"{time.monotonic() - started:.1f} s"
        assert run.returncode == 0, run.log
        assert run.outputs["pending-count"] == "20"
        assert run.outputs["drift-detected"] == "false"
        assert re.fullmatch(r"\d+", run.outputs["findings-count"])
        assert len(project.migrations) == 500
    finally:
        pg_cluster.drop_database(database)
