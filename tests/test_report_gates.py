"""The headline of every report says why it failed: each failed gate named in one line, a
table of the checks with their outcome, and links to the CI run and its artifacts.

Real runs: a PostgreSQL target migrated to V1, drift made by hand, a pending migration
that drops a column (dbci's DB103, an error); `dbci check --fail-on-drift` then
`dbci report` under a platform's variables. The expectations are what the test made: the
drifted table, the dropped column's rule, the run's id.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import psycopg
from support.cli import run_dbci
from support.postgres import libpq_url
from support.projects import write_project

from dbci.report.links import run_links

FILES = {
    "V1__init.sql": "CREATE TABLE customers (id int PRIMARY KEY, legacy_code text);\n",
    "V2__drop_legacy.sql": "ALTER TABLE customers DROP COLUMN legacy_code;\n",
}
GITHUB = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_SERVER_URL": "https://github.example",
    "GITHUB_REPOSITORY": "acme/shop",
    "GITHUB_RUN_ID": "4711",
}
RUN = "https://github.example/acme/shop/actions/runs/4711"
# Variables of the other platforms that a developer's shell or the test runner may carry.
NO_PLATFORM = {
    name: None
    for name in (
        "GITHUB_ACTIONS",
        "GITHUB_RUN_ID",
        "GITHUB_REPOSITORY",
        "GITHUB_EVENT_PATH",
        "GITLAB_CI",
        "CI_JOB_URL",
        "TF_BUILD",
        "BUILD_BUILDID",
    )
}


def _checked(tmp_path: Path, pg_url: str, *check_args: str) -> tuple[Path, int]:
    root = write_project(tmp_path / "shop", FILES)
    assert run_dbci("--project", root, "--url", pg_url, "migrate", "--target", "1").returncode == 0
    with psycopg.connect(libpq_url(pg_url), autocommit=True) as conn:
        conn.execute("ALTER TABLE customers ADD COLUMN fax text")  # drift, by hand
    done = run_dbci("--project", root, "--url", pg_url, "check", *check_args)
    return root, done.returncode


def _render(root: Path, env: dict[str, str | None]) -> dict[str, str]:
    done = run_dbci("--project", root, "report", env={**NO_PLATFORM, **env})
    assert done.returncode == 0, done.stderr
    folder = root / "dbci-report"
    return {
        name: (folder / name).read_text() for name in ("comment.md", "summary.md", "report.html")
    }


def _headline(markdown: str) -> str:
    """The first heading (after the comment's hidden marker)."""
    return next(line for line in markdown.splitlines() if line.startswith("## "))


def _table(markdown: str) -> dict[str, tuple[str, str]]:
    """The checks table of a comment: {check: (icon, reason)}."""
    rows = re.findall(r"^\| ([^|]+?) \| (\S+) \| (.+) \|$", markdown, re.M)
    return {check: (icon, reason) for check, icon, reason in rows if check != "Check"}


def test_a_failed_check_names_each_failed_gate(tmp_path: Path, pg_url: str) -> None:
    root, code = _checked(tmp_path, pg_url, "--fail-on-drift")
    assert code == 1
    texts = _render(root, GITHUB)
    for name in ("comment.md", "summary.md"):
        text = texts[name]
        assert _headline(text).startswith("## ❌ dbci: failed"), name
        failed = next(line for line in text.splitlines() if line.startswith("**Failed:**"))
        # Both gates, each with its reason: one object (the table) differs; one error.
        assert "drift\\: 1 object differs" in failed, failed
        assert "code analysis\\: 1 finding at or above error" in failed, failed
        table = _table(text)
        assert table["Drift"][0] == "❌" and table["Code analysis"][0] == "❌", table
        assert table["Changes"] == ("⚠️", "1 pending migration, 1 object change; 1 can lose data")
        assert table["Build"][0] == "✅"
        assert f"[CI run]({RUN}) · [report artifact]({RUN}#artifacts)" in text
    page = texts["report.html"]
    assert "<b>Failed:</b> drift: 1 object differs" in html.unescape(page)
    assert re.search(r'<tr class="failed"><td>Drift</td>', page)
    assert f'<a href="{RUN}">' in page


def test_drift_without_its_gate_is_a_warning_and_the_check_passes(
    tmp_path: Path, pg_url: str
) -> None:
    root = write_project(tmp_path / "shop", {"V1__init.sql": FILES["V1__init.sql"]})
    assert run_dbci("--project", root, "--url", pg_url, "migrate").returncode == 0
    with psycopg.connect(libpq_url(pg_url), autocommit=True) as conn:
        conn.execute("ALTER TABLE customers ADD COLUMN fax text")
    assert run_dbci("--project", root, "--url", pg_url, "check").returncode == 0
    comment = _render(root, {})["comment.md"]
    assert _headline(comment).startswith("## ✅ dbci: passed")
    assert "**Failed:**" not in comment
    icon, reason = _table(comment)["Drift"]
    assert icon == "⚠️" and reason.startswith("1 object differs"), reason
    assert _table(comment)["Code analysis"] == ("✅", "no findings in 0 files")
    assert "[CI run]" not in comment  # no platform, no link


def test_a_migration_that_does_not_build_fails_the_build_row(tmp_path: Path, pg_url: str) -> None:
    root = write_project(tmp_path / "shop", {"V1__init.sql": FILES["V1__init.sql"]})
    assert run_dbci("--project", root, "--url", pg_url, "migrate").returncode == 0
    (root / "migrations" / "V2__broken.sql").write_text("ALTER TABLE nowhere ADD COLUMN a int;\n")
    assert run_dbci("--project", root, "--url", pg_url, "check", "--changes").returncode == 1
    comment = _render(root, {})["comment.md"]
    icon, reason = _table(comment)["Build"]
    # PostgreSQL's own words for the missing table reach the row and the headline.
    assert icon == "❌" and "nowhere" in reason and "does not exist" in reason, reason
    assert "**Failed:** build\\: " in comment


def test_run_links_per_platform() -> None:
    gitlab = run_links({"GITLAB_CI": "true", "CI_JOB_URL": "https://gitlab.example/g/p/-/jobs/9"})
    assert gitlab is not None
    assert (gitlab.run, gitlab.artifacts) == (
        "https://gitlab.example/g/p/-/jobs/9",
        "https://gitlab.example/g/p/-/jobs/9/artifacts/browse",
    )
    azure = run_links(
        {
            "TF_BUILD": "True",
            "SYSTEM_COLLECTIONURI": "https://dev.azure.com/acme/",
            "SYSTEM_TEAMPROJECT": "Shop App",
            "BUILD_BUILDID": "77",
        }
    )
    assert azure is not None
    assert azure.run == "https://dev.azure.com/acme/Shop%20App/_build/results?buildId=77"
    assert azure.artifacts == azure.run + "&view=artifacts"
    assert run_links({}) is None


def test_a_variable_that_is_not_a_plain_url_gives_no_link(tmp_path: Path, pg_url: str) -> None:
    """A job URL that would close the Markdown link and start another is not linked."""
    hostile = "https://gitlab.example/j/1) [click](https://evil.example"
    assert run_links({"GITLAB_CI": "true", "CI_JOB_URL": hostile}) == run_links(
        {"GITLAB_CI": "true", "CI_JOB_URL": ""}
    )
    root, _ = _checked(tmp_path, pg_url)
    comment = _render(root, {"GITLAB_CI": "true", "CI_JOB_URL": hostile})["comment.md"]
    assert "evil.example" not in comment and "[CI run]" not in comment
