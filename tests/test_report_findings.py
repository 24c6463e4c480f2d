"""Findings that rank: in the comment, the summary, report.html and SARIF, errors come
before warnings; dbci's rule ids link to their section of docs/rules.md and SQLFluff's to
its rules reference; SQLFluff's style findings are one line per rule (count and first
place) but for errors, with every one of them in report.html; a message's spaces stay.

The reports are real: a project linted by `dbci check` and rendered by `dbci report`."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from support.cli import run_dbci
from support.projects import write_project

from dbci.analysis.rules_page import RULES_PAGE_URL, SQLFLUFF_RULES_URL
from dbci.report.markdown import md, render_comment
from dbci.report.ranking import by_severity, rows

NBSP = "\u00a0"
DB103 = f"{RULES_PAGE_URL}#db103-drop-column"
DB501 = f"{RULES_PAGE_URL}#db501-lock-timeout"
LT01 = f"{SQLFLUFF_RULES_URL}#rule-LT01"
FILES = {
    # Runs of spaces SQLFluff's LT01 finds: "Found '   '" and more.
    "V1__init.sql": (
        "CREATE TABLE orders (id bigint,   total numeric,    note   text);\n"
        "SELECT   1;\n"
        "SELECT    2;\n"
    ),
    # statement_timeout set: DB501 (no lock_timeout) is the one timeout finding here.
    "V2__drop.sql": (
        "SET statement_timeout = '1min';\nALTER TABLE orders DROP COLUMN note;\nSELECT   3;\n"
    ),
}
GITHUB = {
    "GITHUB_REPOSITORY": "acme/shop",
    "GITHUB_SHA": "abc123",
    "GITHUB_SERVER_URL": "https://github.test",
    "GITHUB_EVENT_PATH": None,
}


@pytest.fixture(scope="module")
def linted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project, checked (PostgreSQL dialect, SQLFluff's core rules) and reported with
    GitHub's file links; its report directory."""
    root = write_project(tmp_path_factory.mktemp("findings") / "shop", dict(FILES))
    (root / ".sqlfluff").write_text("[sqlfluff]\ndialect = postgres\nrules = core\n")
    checked = run_dbci("--project", root, "check", "--dialect", "postgres")
    assert checked.returncode == 1, checked.stderr  # DB103 is an error
    done = run_dbci("--project", root, "report", env=GITHUB)
    assert done.returncode == 0, done.stderr
    return root / "dbci-report"


def findings_of(directory: Path) -> list[dict[str, Any]]:
    report = json.loads((directory / "report.json").read_text(encoding="utf-8"))
    return list(report["code"]["findings"])


def code_section(text: str) -> list[str]:
    """The list items of the comment's or summary's code-analysis section."""
    section = text.split("### Code analysis", 1)[1].split("\n### ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("- ")]


def test_the_lint_found_what_the_tests_need(linted: Path) -> None:
    findings = findings_of(linted)
    rules = [(f["rule"], f["severity"], f["source"]) for f in findings]
    assert ("DB103", "error", "dbci") in rules and ("DB501", "warning", "dbci") in rules
    assert sum(1 for f in findings if f["rule"] == "LT01") >= 5
    # SQLFluff's own message keeps the run of spaces it found.
    assert any("Found '   '" in f["message"] for f in findings if f["rule"] == "LT01")


@pytest.mark.parametrize("name", ["comment.md", "summary.md"])
def test_errors_first_then_dbci_warnings_then_sqlfluff_summarised(linted: Path, name: str) -> None:
    findings = findings_of(linted)
    lt01 = [f for f in findings if f["rule"] == "LT01"]
    first = min(lt01, key=lambda f: (f["file"], f["line"], f["column"]))
    items = code_section((linted / name).read_text(encoding="utf-8"))
    assert len(items) == 3, items  # DB103, DB501, and one line for every LT01
    assert items[0].startswith(f"- **error** [DB103]({DB103}) ")
    assert items[1].startswith(f"- **warning** [DB501]({DB501}) ")
    where = md(f"{first['file']}:{first['line']}")
    if name == "comment.md":
        where = f"[{where}](https://github.test/acme/shop/blob/abc123/{first['file']}#L1)"
    assert items[2] == (
        f"- **warning** [LT01]({LT01}) ({len(lt01)}×) first at {where}: "
        + md(first["message"], keep_spaces=True)
    )
    text = (linted / name).read_text(encoding="utf-8")
    assert "counted per rule here; report\\.html lists each one" in text
    assert "more in the HTML report" not in text  # every finding is on a line


@pytest.mark.parametrize("name", ["comment.md", "summary.md"])
def test_a_message_s_spaces_are_kept(linted: Path, name: str) -> None:
    """`Found '   '` renders with its three spaces (no-break spaces, which neither Markdown
    nor HTML collapses), not as `Found ' '`."""
    text = (linted / name).read_text(encoding="utf-8")
    tokens = MarkdownIt("commonmark").parse(text)
    # Each paragraph's text as it renders (escapes gone, links as their text).
    shown = [
        "".join(c.content for c in t.children or [] if c.type in ("text", "text_special"))
        for t in tokens
        if t.type == "inline"
    ]
    lt01 = [line for line in shown if line.startswith("warning LT01 (")]
    assert len(lt01) == 1, shown
    found = re.search(r"Found '([^']*)'", lt01[0])
    assert found and len(found.group(1)) >= 2, lt01
    assert set(found.group(1)) == {NBSP}
    assert f"'{NBSP * 3}'" in text and "Found ' '" not in text


def test_the_comment_links_rules_and_files_only(linted: Path) -> None:
    text = (linted / "comment.md").read_text(encoding="utf-8")
    tokens = MarkdownIt("commonmark").parse(text)
    hrefs = [
        c.attrs["href"]
        for t in tokens
        if t.type == "inline"
        for c in t.children or []
        if c.type == "link_open"
    ]
    rule_links = [h for h in hrefs if not str(h).startswith("https://github.test/")]
    assert rule_links == [DB103, DB501, LT01]
    files = [h for h in hrefs if str(h).startswith("https://github.test/acme/shop/blob/abc123/")]
    assert len(files) == 3


class Rows(HTMLParser):
    """report.html's code-analysis tab: its severity headings and each row's rule, rule
    link and message."""

    def __init__(self) -> None:
        super().__init__()
        self.in_code = False
        self.headings: list[str] = []
        self.rows: list[dict[str, str]] = []
        self._tag: list[str] = []
        self._cell: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "section":
            self.in_code = values.get("id") == "code"
        if not self.in_code:
            return
        self._tag.append(tag)
        if tag == "h3":
            self.headings.append("")
        if tag == "tr" and "thead" not in self._tag:
            self.rows.append({"rule": "", "href": "", "message": "", "cells": ""})
        if tag == "a" and self.rows:
            self.rows[-1]["href"] = values.get("href") or ""
        if tag == "td":
            self._cell = values.get("class") or ""

    def handle_endtag(self, tag: str) -> None:
        if self.in_code and self._tag:
            self._tag.pop()
        if tag == "section":
            self.in_code = False

    def handle_data(self, data: str) -> None:
        if not self.in_code or not self._tag:
            return
        if "h3" in self._tag:
            self.headings[-1] += data
        elif self.rows and "tbody" in self._tag:
            row = self.rows[-1]
            if "code" in self._tag and not row["rule"]:
                row["rule"] = data
            if self._cell == "msg":
                row["message"] += data


def test_report_html_groups_by_severity_and_lists_every_finding(linted: Path) -> None:
    findings = findings_of(linted)
    page = Rows()
    page.feed((linted / "report.html").read_text(encoding="utf-8"))
    errors = sum(1 for f in findings if f["severity"] == "error")
    warnings = sum(1 for f in findings if f["severity"] == "warning")
    headings = [h.split() for h in page.headings]
    assert headings == [["error", str(errors)], ["warning", str(warnings)]]
    assert len(page.rows) == len(findings)
    assert [r["rule"] for r in page.rows[:2]] == ["DB103", "DB501"]
    assert {r["rule"] for r in page.rows[2:]} == {"LT01"}
    assert [r["href"] for r in page.rows] == [DB103, DB501] + [LT01] * (len(findings) - 2)
    # The message as SQLFluff wrote it; the cell keeps its spaces (white-space: pre-wrap).
    assert sorted(r["message"] for r in page.rows) == sorted(f["message"] for f in findings)
    source = (linted / "report.html").read_text(encoding="utf-8")
    assert "td.msg{white-space:pre-wrap" in source
    assert "Content-Security-Policy" in source and "default-src 'none'" in source


def test_sarif_help_uris(linted: Path) -> None:
    log = json.loads((linted / "results.sarif").read_text(encoding="utf-8"))
    rules = {r["id"]: r.get("helpUri") for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules == {"DB103": DB103, "DB501": DB501, "LT01": LT01}


# --- the ranking on its own, with the cases a small lint does not make ----------------------


def finding(rule: str, severity: str, source: str, file: str, line: int) -> dict[str, Any]:
    return {
        "rule": rule,
        "severity": severity,
        "file": file,
        "line": line,
        "column": 1,
        "message": f"{rule} at {line}",
        "source": source,
    }


def test_rows_rank_and_summarise() -> None:
    findings = [
        finding("LT01", "warning", "sqlfluff", "a.sql", 1),
        finding("DB201", "warning", "dbci", "b.sql", 9),
        finding("noqa", "info", "sqlfluff", "a.sql", 3),
        finding("PRS", "error", "sqlfluff", "c.sql", 2),
        finding("PRS", "error", "sqlfluff", "c.sql", 5),
        finding("LT01", "warning", "sqlfluff", "a.sql", 7),
        finding("DB101", "info", "dbci", "a.sql", 4),
        finding("CP01", "warning", "sqlfluff", "0.sql", 8),
        finding("DB105", "error", "dbci", "z.sql", 1),
        finding("LT01", "warning", "sqlfluff", "0.sql", 5),
        finding("noqa", "info", "sqlfluff", "a.sql", 6),
    ]
    listed = [(r["rule"], r["file"], r["line"], r["count"]) for r in rows(findings)]
    assert listed == [
        ("DB105", "z.sql", 1, 1),  # errors: dbci's first
        ("PRS", "c.sql", 2, 1),  # SQLFluff's errors one by one
        ("PRS", "c.sql", 5, 1),
        ("DB201", "b.sql", 9, 1),  # warnings: dbci's first
        ("LT01", "0.sql", 5, 3),  # then SQLFluff's, per rule, at the first place
        ("CP01", "0.sql", 8, 1),
        ("DB101", "a.sql", 4, 1),  # info
        ("noqa", "a.sql", 3, 2),
    ]
    groups = [(sev, len(items)) for sev, items in by_severity(findings)]
    assert groups == [("error", 3), ("warning", 5), ("info", 3)]


def test_a_hostile_rule_id_is_never_a_link() -> None:
    report: dict[str, Any] = {
        "schema": "dbci-report/1",
        "status": "failed",
        "project": "shop",
        "environment": None,
        **dict.fromkeys(("build", "changes", "drift", "dryrun", "deploy")),
        "code": {
            "files_checked": 1,
            "fail_on": "error",
            "findings": [
                finding("DB101](javascript:alert(1))", "error", "dbci", "a.sql", 1),
                finding("LT01) [x](https://evil.example", "warning", "sqlfluff", "a.sql", 2),
                finding("DB101", "error", "not dbci", "a.sql", 3),
            ],
        },
    }
    text = render_comment(report)
    tokens = MarkdownIt("commonmark").parse(text)
    links = [c for t in tokens if t.type == "inline" for c in t.children or []]
    assert not [c for c in links if c.type == "link_open"], text
