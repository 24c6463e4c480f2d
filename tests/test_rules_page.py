"""docs/rules.md: generated from the rule modules' docstrings, current, a section per rule,
and the URLs findings link to (built only from known rule ids)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from dbci.analysis.rules import RULES, RULES_BY_ID
from dbci.analysis.rules_page import (
    PROJECT_URL,
    RULES_PAGE_URL,
    SQLFLUFF_RULES_URL,
    anchor,
    render_page,
    rule_doc,
    rule_url,
)

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "rules.md"


def github_anchor(heading: str) -> str:
    """The id GitHub gives a Markdown heading: lower case, punctuation but `-` and `_`
    removed, spaces made `-`."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def sections(text: str) -> dict[str, str]:
    """`## ` heading -> the text under it, up to the next one."""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_the_committed_rules_page_is_current() -> None:
    """A rule or docstring changed without `make rules-page` fails here."""
    assert PAGE.read_text(encoding="utf-8") == render_page(), (
        "docs/rules.md is stale: run `make rules-page` "
        "(python -m dbci.analysis.rules_page > docs/rules.md)"
    )
    done = subprocess.run(
        [sys.executable, "-m", "dbci.analysis.rules_page"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=True,
        cwd=ROOT,
    )
    assert done.stdout == PAGE.read_text(encoding="utf-8")


def test_every_rule_has_its_section_with_its_docstring() -> None:
    found = sections(PAGE.read_text(encoding="utf-8"))
    assert list(found) == [f"{rule.id} {rule.name}" for rule in RULES]
    for rule in RULES:
        heading = f"{rule.id} {rule.name}"
        body = found[heading]
        assert github_anchor(heading) == anchor(rule)
        dialects = ", ".join(sorted(rule.dialects)) if rule.dialects else "all"
        assert f"Severity: {rule.severity}. Dialects: {dialects}." in body
        # Every line of SQL the docstring shows is on the page, in a fence.
        doc = rule_doc(rule)
        assert doc.startswith(f"{rule.id} {rule.name}:")
        for line in doc.splitlines():
            if line.startswith("    "):
                assert f"\n{line[4:]}\n" in body, (rule.id, line)
        other = [r.id for r in RULES if r.id != rule.id and f"{r.id} {r.name}:" in body]
        assert not other, f"{rule.id}'s section holds {other}'s text"
        assert body.count("```sql") == sum(1 for p in doc.split("\n\n") if p.startswith("    "))
    table = re.findall(r"^\| \[(DB\d{3})\]\(#([a-z0-9-]+)\) \|", PAGE.read_text(), re.MULTILINE)
    assert table == [(rule.id, anchor(rule)) for rule in RULES]


def test_rule_urls() -> None:
    assert RULES_PAGE_URL == f"{PROJECT_URL}/blob/main/docs/rules.md"
    for rule in RULES:
        assert rule_url(rule.id, "dbci") == f"{RULES_PAGE_URL}#{anchor(rule)}"
    assert rule_url("DB103", "dbci") == (
        "https://github.com/your-org/dbci/blob/main/docs/rules.md#db103-drop-column"
    )
    assert rule_url("LT01", "sqlfluff") == f"{SQLFLUFF_RULES_URL}#rule-LT01"
    assert SQLFLUFF_RULES_URL == "https://docs.sqlfluff.com/en/stable/reference/rules.html"


@pytest.mark.parametrize(
    ("rule_id", "source"),
    [
        ("DB999", "dbci"),  # no such rule
        ("LT01", "dbci"),  # not dbci's
        ("DB101", "sqlfluff"),  # not SQLFluff's
        ("DB101", "other"),
        ("PRS", "sqlfluff"),  # not a rule: no entry in SQLFluff's reference
        ("noqa", "sqlfluff"),
        ("lt01", "sqlfluff"),
        ("LT01\n", "sqlfluff"),
        ("LT01)](javascript:alert(1)", "sqlfluff"),
        ("DB101#x", "dbci"),
        (None, "dbci"),
        (101, "dbci"),
    ],
)
def test_no_url_for_an_unknown_or_hostile_rule_id(rule_id: object, source: str) -> None:
    assert rule_url(rule_id, source) is None


def test_the_project_url_is_pyproject_s() -> None:
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    assert urls["Repository"] == PROJECT_URL
    assert urls["Documentation"] == RULES_PAGE_URL


def test_rule_ids_are_known() -> None:
    assert set(RULES_BY_ID) == {rule.id for rule in RULES}
    assert all(re.fullmatch(r"DB\d{3}", rule.id) for rule in RULES)
