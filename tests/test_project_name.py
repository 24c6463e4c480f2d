"""The project's name (report.json's `project`, the comment's marker): `[dbci] project`,
else the repository (`GITHUB_REPOSITORY`, `CI_PROJECT_PATH`, `BUILD_REPOSITORY_NAME`), else
the folder (issue 25, item 8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import run_dbci
from support.projects import write_project

from dbci.errors import InputError
from dbci.report.document import Report
from dbci.report.marker import comment_marker
from dbci.settings.config import Overrides, load_settings
from dbci.settings.project_name import REPOSITORY_VARIABLES, project_name

GITHUB = {"GITHUB_REPOSITORY": "acme/from-github"}
GITLAB = {"CI_PROJECT_PATH": "group/sub/from-gitlab"}
AZURE = {"BUILD_REPOSITORY_NAME": "from-azure"}
# Every variable the name is read from, removed: the tests' own CI sets some of them.
NONE_OF_THEM: dict[str, str | None] = {name: None for pair in REPOSITORY_VARIABLES for name in pair}


def _settings(root: Path, toml: str | None = None, environ: dict[str, str] | None = None):
    write_project(root, {"V1__a.sql": "CREATE TABLE a (id int);\n"}, toml)
    return load_settings(Overrides(project=root), environ=environ or {})


@pytest.mark.parametrize(
    ("toml", "environ", "expected"),
    [
        ('[dbci]\nproject = "shop-db"\n', {**GITHUB, **GITLAB, **AZURE}, "shop-db"),
        (None, {**GITHUB, **GITLAB, **AZURE}, "acme/from-github"),
        (None, {**GITLAB, **AZURE}, "group/sub/from-gitlab"),
        (None, AZURE, "from-azure"),
        (None, {"GITHUB_REPOSITORY": "  ", **AZURE}, "from-azure"),  # blank: not set
        (None, {}, "orders"),
    ],
    ids=["config", "github", "gitlab", "azure", "blank-skipped", "folder"],
)
def test_each_source_in_order_of_precedence(
    tmp_path: Path, toml: str | None, environ: dict[str, str], expected: str
) -> None:
    settings = _settings(tmp_path / "orders", toml)
    assert project_name(settings, environ) == expected
    report = Report.start(settings, environ)
    assert report.project == expected
    assert report.to_dict()["project"] == expected


def test_a_project_inside_the_checkout_adds_its_folder(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    nested = _settings(checkout / "db" / "orders")
    root = _settings(checkout)
    elsewhere = _settings(tmp_path / "elsewhere")
    for repository, folder in REPOSITORY_VARIABLES:
        environ = {repository: "acme/shop", folder: str(checkout)}
        assert project_name(nested, environ) == "acme/shop/db/orders"
        assert project_name(root, environ) == "acme/shop"
        assert project_name(elsewhere, environ) == "acme/shop"
    # Without the checkout's folder: the repository alone.
    assert project_name(nested, {"GITHUB_REPOSITORY": "acme/shop"}) == "acme/shop"


def test_an_environment_may_name_it_too(tmp_path: Path) -> None:
    toml = '[environments.qa]\nurl = "sqlite:///qa.db"\n\n[dbci]\nproject = "shop"\n'
    write_project(tmp_path, {}, toml)
    settings = load_settings(Overrides(project=tmp_path, environment="qa"), environ={})
    assert project_name(settings, GITHUB) == "shop"


@pytest.mark.parametrize(
    ("toml", "line", "message"),
    [
        ('[dbci]\nproject = ""\n', 2, "dbci.project must be a non-empty string, not ''"),
        ('[dbci]\nproject = "  "\n', 2, "dbci.project must be a non-empty string"),
        ("[dbci]\nprotected = []\nproject = 3\n", 3, "dbci.project must be a string, not 3"),
        (
            '[flyway]\nenvironment = "qa"\n\n[environments.qa]\nurl = "sqlite:///qa.db"\n'
            '[environments.qa.dbci]\nproject = ""\n',
            7,
            "environments.qa.dbci.project must be a non-empty string, not ''",
        ),
    ],
    ids=["empty", "blank", "number", "environment's"],
)
def test_a_bad_project_key_is_one_line_naming_the_file(
    tmp_path: Path, toml: str, line: int, message: str
) -> None:
    with pytest.raises(InputError) as raised:
        _settings(tmp_path, toml)
    text = str(raised.value)
    assert "\n" not in text
    assert f"dbci.toml:{line}" in text and message in text


def _check(root: Path, env: dict[str, str | None]) -> tuple[dict, str]:
    """A real `dbci check` (code analysis only), then `dbci report` in another environment
    (a later job's): report.json and the comment.md rendered from it."""
    env = {**NONE_OF_THEM, **env}
    done = run_dbci("--project", root, "check", "--dialect", "postgres", env=env)
    report_dir = root / "dbci-report"
    assert (report_dir / "report.json").is_file(), done.stderr
    rendered = run_dbci("--project", root, "report", env=NONE_OF_THEM)
    assert rendered.returncode == 0, rendered.stderr
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    return report, (report_dir / "comment.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("toml", "env", "expected"),
    [
        ('[dbci]\nproject = "shop-db"\n', {**GITHUB, **GITLAB, **AZURE}, "shop-db"),
        (None, {**GITHUB, **GITLAB, **AZURE}, "acme/from-github"),
        (None, {**GITLAB, **AZURE}, "group/sub/from-gitlab"),
        (None, AZURE, "from-azure"),
        (None, {}, "orders"),
    ],
    ids=["config", "github", "gitlab", "azure", "folder"],
)
def test_a_real_run_names_the_report_and_its_marker(
    tmp_path: Path, toml: str | None, env: dict[str, str], expected: str
) -> None:
    root = write_project(tmp_path / "orders", {"V1__a.sql": "DELETE FROM orders;\n"}, toml)
    report, comment = _check(root, env)
    assert report["project"] == expected
    marker = comment_marker(expected, None, "check")
    assert comment.startswith(marker)
    # A second run names it the same: its comment is found again by the same marker.
    again, comment_again = _check(root, env)
    assert again["project"] == expected and comment_again.startswith(marker)


def test_a_real_run_refuses_an_empty_project_key(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "orders", {"V1__a.sql": "SELECT 1;\n"}, '[dbci]\nproject = ""\n'
    )
    done = run_dbci("--project", root, "check", "--dialect", "postgres", env=NONE_OF_THEM)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "dbci.toml:2" in lines[0], done.stderr
    assert "dbci.project must be a non-empty string" in lines[0]
    assert not (root / "dbci-report" / "report.json").exists()
