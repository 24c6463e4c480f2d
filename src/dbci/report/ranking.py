"""Findings in the order a reviewer should read them, for the comment, the summary and
report.html.

Errors first, then warnings, then info (then any other severity a report.json carries);
within a severity dbci's own rules before SQLFluff's, then by file, line and column. In
the comment and the summary (`rows`) SQLFluff's findings that are not errors are
summarised per rule, one row with their count and the first of them (five LT01 layout
warnings are one line, not five); dbci's findings and SQLFluff's errors (a file it cannot
parse) stay one row each. report.html lists every finding (`by_severity`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

SEVERITY_ORDER = ("error", "warning", "info")
_RANK = {name: rank for rank, name in enumerate(SEVERITY_ORDER)}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _number(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def sort_key(finding: Mapping[str, Any]) -> tuple[int, int, str, int, int, str]:
    """Severity, dbci before SQLFluff, file, line, column, rule."""
    return (
        _RANK.get(_text(finding.get("severity")), len(_RANK)),
        0 if finding.get("source") == "dbci" else 1,
        _text(finding.get("file")),
        _number(finding.get("line")),
        _number(finding.get("column")),
        _text(finding.get("rule")),
    )


def ranked(findings: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Every finding, most important first (see `sort_key`)."""
    return sorted(findings, key=sort_key)


def rows(findings: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The rows of the comment's list, in order: each a finding's fields plus `count` (how
    many findings the row stands for; its fields are the first one's)."""
    out: list[dict[str, Any]] = []
    summarised: dict[tuple[str, str], dict[str, Any]] = {}
    for finding in ranked(findings):
        severity = _text(finding.get("severity"))
        if finding.get("source") == "sqlfluff" and severity != "error":
            key = (severity, _text(finding.get("rule")))
            row = summarised.get(key)
            if row is not None:
                row["count"] += 1
                continue
            row = summarised[key] = {**finding, "count": 1}
        else:
            row = {**finding, "count": 1}
        out.append(row)
    return out


def by_severity(
    findings: Iterable[Mapping[str, Any]],
) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """(severity, its findings in order) for each severity present, errors first."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for finding in ranked(findings):
        groups.setdefault(str(finding.get("severity")), []).append(finding)
    return list(groups.items())
