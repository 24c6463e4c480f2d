"""entrypoint.py as GitHub runs a Docker action: `INPUT_*` variables, the output and
summary files, an event file, and a local stand-in for GitHub's API."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import run_entrypoint
from support.projects import write_project
from test_report_comments import GITHUB_TOKEN, Api, serving

PASSWORD = "s3cret-Pa55word"
TOKEN = GITHUB_TOKEN  # the one the stand-in accepts


@pytest.fixture
def github_api() -> Iterator[Api]:
    with serving() as state:
        yield state


def _run_entrypoint(cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """entrypoint.py in a subprocess, as the runner starts the container's entrypoint."""
    return run_entrypoint(cwd, env, timeout=300)


def _clean_environ() -> dict[str, str]:
    """This process's environment without dbci's, the action's or GitHub's variables."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("DBCI_", "INPUT_", "GITHUB_"))}


def _action(
    tmp_path: Path, api: Api, **inputs: str
) -> tuple[subprocess.CompletedProcess[str], dict]:
    """Run entrypoint.py the way GitHub runs the action; return it and its files."""
    output, summary = tmp_path / "output.txt", tmp_path / "summary.md"
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": "abc123"}}}))
    env = _clean_environ()
    env.update(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_API_URL": f"{api.url}/gh",
            "GITHUB_REPOSITORY": "acme/shop",
            "GITHUB_SERVER_URL": "https://github.test",
            "no_proxy": "*",
            "NO_PROXY": "*",
        }
    )
    env.update({f"INPUT_{name.upper().replace('_', '-')}": value for name, value in inputs.items()})
    done = _run_entrypoint(tmp_path, env)
    files = {
        "output": output.read_text() if output.exists() else "",
        "summary": summary.read_text() if summary.exists() else "",
    }
    return done, files


def test_pipeline_as_github_runs_it(tmp_path: Path, pg_url: str, github_api: Api) -> None:
    tables = "".join(f"CREATE TABLE t{i} (id bigint);\n" for i in range(1, 13))
    migrations = {"V1__tables.sql": tables}
    migrations |= {f"V{i + 1}__clear{i}.sql": f"DELETE FROM t{i};\n" for i in range(1, 13)}
    project = write_project(tmp_path / "shop", migrations)
    done, files = _action(
        tmp_path,
        github_api,
        command="pipeline",
        working_directory="shop",
        url=pg_url,
        password=PASSWORD,
        github_token=TOKEN,
        comment="true",
    )
    out = done.stdout
    assert done.returncode == 1, done.stderr  # DELETE without WHERE: the code gate fails
    assert f"::add-mask::{PASSWORD}" in out and f"::add-mask::{TOKEN}" in out
    assert "::group::dbci --project shop" in out and "::endgroup::" in out
    errors = [line for line in out.splitlines() if line.startswith("::error file=")]
    assert len(errors) == 10 and "title=DB105" in errors[0]
    assert "::notice::2 more findings are in the report (12 in all)" in out
    outputs = dict(line.split("=", 1) for line in files["output"].splitlines())
    assert outputs["status"] == "failed" and outputs["pending-count"] == "13"
    assert outputs["drift-detected"] == "false" and outputs["findings-count"] == "12"
    assert outputs["report-dir"].endswith("dbci-report")
    assert "dbci: failed" in files["summary"]
    assert len(github_api.github.get(7, [])) == 1, done.stderr[-2000:]  # the comment, created
    # A second run edits the same comment.
    (project / "migrations" / "V2__clear1.sql").write_text("DELETE FROM t1 WHERE id = 1;\n")
    again, _ = _action(
        tmp_path,
        github_api,
        command="check",
        working_directory="shop",
        url=pg_url,
        password=PASSWORD,
        github_token=TOKEN,
    )
    assert len(github_api.github[7]) == 1
    assert any(call.method == "PATCH" for call in github_api.calls)
    # No secret anywhere but in its mask command.
    everything = [
        out.replace(f"::add-mask::{PASSWORD}", "").replace(f"::add-mask::{TOKEN}", ""),
        done.stderr,
        again.stdout.replace(f"::add-mask::{PASSWORD}", "").replace(f"::add-mask::{TOKEN}", ""),
        again.stderr,
        files["output"],
        files["summary"],
        github_api.github[7][0]["body"],
    ]
    everything += [p.read_text(errors="replace") for p in (project / "dbci-report").iterdir()]
    for text in everything:
        assert PASSWORD not in text and TOKEN not in text


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (
            {"command": "check", "fail_on_drift": "maybe", "url": "postgresql://x@y/z"},
            "::error::input fail-on-drift: 'maybe' is not true or false",
        ),
        ({"command": "launch"}, "::error::input command: 'launch' is not one of"),
        ({"command": "check"}, "::error::input environment (or url) is required"),
        (
            {"command": "check", "url": "postgresql://x@y/z", "fail_on_severity": "loud"},
            "::error::input fail-on-severity: 'loud'",
        ),
        ({"working_directory": "nowhere"}, "::error::input working-directory: 'nowhere'"),
    ],
)
def test_bad_inputs_are_one_error_line_and_exit_2(
    tmp_path: Path, github_api: Api, inputs: dict[str, str], message: str
) -> None:
    done, _ = _action(tmp_path, github_api, **inputs)
    assert done.returncode == 2
    assert done.stdout.strip().startswith(message), done.stdout
    assert len(done.stdout.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_version(tmp_path: Path, github_api: Api) -> None:
    done, _ = _action(tmp_path, github_api, command="version")
    assert done.returncode == 0 and done.stdout.startswith("dbci ")


def test_the_same_stages_under_gitlab_ci(tmp_path: Path, pg_url: str, github_api: Api) -> None:
    """GITLAB_CI: no GitHub files, the merge request note through GitLab's API."""
    from test_report_comments import gitlab_env

    write_project(tmp_path / "shop", {"V1__a.sql": "CREATE TABLE a (id int);\n"})
    env = _clean_environ()
    env.update(gitlab_env(github_api.url))
    env.update(
        {
            "INPUT_COMMAND": "check",
            "INPUT_WORKING-DIRECTORY": "shop",
            "INPUT_URL": pg_url,
            "no_proxy": "*",
            "NO_PROXY": "*",
        }
    )
    done = _run_entrypoint(tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert "Comment created on gitlab" in done.stdout
    assert len(github_api.gitlab["3"]) == 1


@pytest.mark.parametrize(
    "args",
    [
        "--password s3cret-Args-pw",
        "--password=s3cret-Args-pw",
        "--pass s3cret-Args-pw",  # argparse takes a beginning of an option for it
        "-e qa --password s3cret-Args-pw --output json",
        "--url postgresql://u:s3cret-Args-pw@db.test/shop",
        "--url=jdbc:postgresql://db.test/shop?user=u&password=s3cret-Args-pw",
    ],
)
@pytest.mark.parametrize("platform", ["GitHub", "GitLab"])
def test_a_password_in_args_is_masked_first_and_in_no_line(
    tmp_path: Path, args: str, platform: str
) -> None:
    """No database needed: the stage (a report of nothing) fails, but every line it and
    the action print is there to look at, the stage's `::group::` line first of all."""
    secret = "s3cret-Args-pw"
    write_project(tmp_path / "shop", {"V1__a.sql": "CREATE TABLE a (id int);\n"})
    env = _clean_environ() | {
        "INPUT_COMMAND": "report",
        "INPUT_WORKING-DIRECTORY": "shop",
        "INPUT_COMMENT": "false",
        "INPUT_ARGS": args,
    }
    if platform == "GitHub":
        env |= {"GITHUB_ACTIONS": "true"}
    else:
        env |= {"GITLAB_CI": "true"}
    done = _run_entrypoint(tmp_path, env)
    lines = done.stdout.splitlines()
    group = next(line for line in lines if line.startswith("::group::"))
    assert "***" in group and secret not in group, group
    if platform == "GitHub":
        assert lines[0] == f"::add-mask::{secret}", lines[:3]  # before anything else
        lines = [line for line in lines if not line.startswith("::add-mask::")]
    for text in [*lines, done.stderr]:
        assert secret not in text, text


BUILD_PASSWORD = "s3cret-Build-pw"
# Fails the build unless it runs in the schemas the build-schemas input names, the first of
# them the default one: read in the embedded build database's own catalog.
SCHEMAS_CHECK = (
    "DO $$ BEGIN\n"
    "  IF (SELECT count(*) FROM information_schema.schemata\n"
    "      WHERE schema_name IN ('sales', 'audit')) <> 2 OR current_schema() <> 'sales' THEN\n"
    "    RAISE EXCEPTION 'schemas: %', current_schemas(false);\n"
    "  END IF;\n"
    "END $$;\n"
)


def test_build_schemas_input_makes_the_embedded_build_databases_schemas(
    tmp_path: Path, github_api: Api
) -> None:
    write_project(tmp_path / "shop", {"V1__schemas.sql": SCHEMAS_CHECK})
    done, files = _action(
        tmp_path,
        github_api,
        command="build",
        working_directory="shop",
        comment="false",
        build_schemas="sales, audit",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    group = next(line for line in done.stdout.splitlines() if line.startswith("::group::"))
    assert "sales" not in group  # passed as DBCI_BUILD_SCHEMAS, not on the command line
    assert "status=passed" in files["output"]


@pytest.mark.parametrize(
    ("inputs", "named"),
    [
        ({"build_user": "builder"}, "DBCI_BUILD_USER (the action's build-user) is the login"),
        (
            {"build_user": "builder", "build_password": BUILD_PASSWORD},
            "DBCI_BUILD_USER (the action's build-user) and DBCI_BUILD_PASSWORD (the action's "
            "build-password) are the login",
        ),
    ],
)
def test_a_build_login_with_no_build_server_is_one_error_line(
    tmp_path: Path, github_api: Api, inputs: dict[str, str], named: str
) -> None:
    """No build-url and no build environment: the embedded build database needs no login,
    and one given was meant for a server that is not there (exit 2, said in one line)."""
    write_project(tmp_path / "shop", {"V1__a.sql": "CREATE TABLE a (id int);\n"})
    done, files = _action(
        tmp_path, github_api, command="build", working_directory="shop", comment="false", **inputs
    )
    assert done.returncode == 2, done.stdout + done.stderr
    errors = [line for line in done.stdout.splitlines() if line.startswith("::error")]
    assert len(errors) == 1 and named in errors[0] and "build-url" in errors[0], errors
    if "build_password" in inputs:
        assert done.stdout.splitlines()[0] == f"::add-mask::{BUILD_PASSWORD}"
    shown = done.stdout.replace(f"::add-mask::{BUILD_PASSWORD}", "")
    for text in (shown, done.stderr, files["output"], files["summary"]):
        assert BUILD_PASSWORD not in text


def test_the_build_password_is_masked_before_a_bad_input_is_reported(
    tmp_path: Path, github_api: Api
) -> None:
    done, _ = _action(tmp_path, github_api, command="launch", build_password=BUILD_PASSWORD)
    assert done.returncode == 2
    lines = done.stdout.splitlines()
    assert lines[0] == f"::add-mask::{BUILD_PASSWORD}", lines  # first of all
    assert lines[1].startswith("::error::input command:") and len(lines) == 2, lines
