"""comment.md and summary.md: escaping, size limits, and reading report.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import run_dbci

from dbci.errors import InputError
from dbci.report.load import load_report
from dbci.report.markdown import COMMENT_LIMIT, fence, md, render_comment, render_summary

EVIL = "<img src=x onerror=alert(1)>"


def _report(**sections: object) -> dict:
    base: dict = {
        "schema": "dbci-report/1",
        "status": "failed",
        "project": "shop",
        "environment": "prod",
        "started_at": "2026-11-22T00:00:00Z",
        "finished_at": "2026-11-22T00:00:01Z",
        "build": None,
        "changes": None,
        "drift": None,
        "code": None,
        "dryrun": None,
        "deploy": None,
    }
    base.update(sections)
    return base


def _finding(i: int, message: str = "bad") -> dict:
    return {
        "rule": "DB101",
        "severity": "error" if i % 2 else "warning",
        "file": f"migrations/V{i}__x.sql",
        "line": i,
        "column": 1,
        "message": message,
        "source": "dbci",
    }


def test_nothing_injects_markdown_html_or_mentions() -> None:
    report = _report(
        changes={
            "from_version": "1",
            "to_version": "2",
            "pending": [{"script": "V2__**bold**@octocat.sql"}],
            "objects": [
                {
                    "change": "Add",
                    "type": "table",
                    "schema": "public",
                    "name": EVIL,
                    "before_sql": None,
                    "after_sql": "CREATE TABLE x ();",
                },
            ],
        },
        code={
            "files_checked": 1,
            "fail_on": "error",
            "findings": [_finding(1, "[click](javascript:alert(1)) @team <script>")],
        },
        dryrun={"sql": "SELECT '```'; -- ``` closes? no\n", "pending": [], "error": None},
    )
    text = render_comment(report, marker="<!-- m -->")
    assert EVIL not in text and "<script>" not in text
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in text
    assert "@octocat" not in text and "@team" not in text  # mentions broken
    assert "[click](javascript" not in text
    assert "\\*\\*bold\\*\\*" in text
    assert "````sql\nSELECT '```'" in text  # the fence is longer than the SQL's backticks
    assert text.startswith("<!-- m -->")


def test_md_and_fence() -> None:
    assert md("a|b") == "a\\|b" and md(None) == ""
    assert md("two\nlines") == "two lines"
    assert fence("x").startswith("```sql\n") and fence("````").startswith("`````sql")


def test_huge_reports_stay_under_the_limits() -> None:
    findings = [_finding(i, "x" * 200) for i in range(10_000)]
    objects = [
        {
            "change": "Add",
            "type": "table",
            "schema": "public",
            "name": f"t_{i}_{'n' * 60}",
            "before_sql": None,
            "after_sql": "CREATE TABLE t ();",
        }
        for i in range(3000)
    ]
    report = _report(
        code={"files_checked": 10_000, "fail_on": "error", "findings": findings},
        changes={"from_version": None, "to_version": "3000", "pending": [], "objects": objects},
    )
    comment = render_comment(report)
    assert len(comment) < COMMENT_LIMIT
    assert "too large for a comment" in comment and "report.html" in comment
    # Folded, never cut: the failed gate and the whole table of checks stay.
    assert "**Failed:** code analysis\\: 5000 findings at or above error" in comment
    assert "| Code analysis | ❌ | 5000 findings at or above error" in comment
    assert "| Changes | ✅ | 0 pending migrations, 3000 object changes |" in comment
    small = render_comment(
        _report(code={"files_checked": 1, "fail_on": "error", "findings": findings[:100]})
    )
    assert "…and 80 more in the HTML report" in small
    summary = render_summary(report)
    assert len(summary.encode()) < 1024 * 1024


def test_report_json_problems_are_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"schema": "dbci-report/9"}))
    with pytest.raises(InputError, match="report schema 'dbci-report/9'"):
        load_report(path)
    path.write_text("{not json")
    with pytest.raises(InputError, match="not JSON"):
        load_report(path)
    path.write_text(json.dumps({"schema": "dbci-report/1", "status": "passed"}))
    loaded = load_report(path)
    assert loaded["code"] is None and loaded["build"] is None  # missing sections: null
    path.write_bytes(
        b'{"schema": "dbci-report/1", "dryrun": {"sql": "SELECT \'\xff\xfe\' \\udc80", '
        b'"pending": [], "error": null}}'
    )
    loaded = load_report(path)
    assert "\ufffd" in loaded["dryrun"]["sql"]
    render_comment(loaded).encode("utf-8")  # nothing that UTF-8 cannot hold


def test_dbci_report_renders_every_file(tmp_path: Path) -> None:
    project = tmp_path / "p"
    (project / "migrations").mkdir(parents=True)
    (project / "migrations" / "V1__a.sql").write_text("CREATE TABLE a (id int);\nDELETE FROM b;\n")
    assert run_dbci("--project", project, "check", "--dialect", "postgres").returncode == 1
    done = run_dbci("--project", project, "report")
    assert done.returncode == 0, done.stderr
    for name in ("comment.md", "summary.md", "report.html", "junit.xml", "results.sarif"):
        assert (project / "dbci-report" / name).is_file(), name
    assert "DB105" in (project / "dbci-report" / "comment.md").read_text()
    bad = tmp_path / "q" / "dbci-report"
    bad.mkdir(parents=True)
    (bad / "report.json").write_text('{"schema": "other"}')
    refused = run_dbci("--project", bad.parent, "report")
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
