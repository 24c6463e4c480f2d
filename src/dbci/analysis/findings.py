"""What code analysis reports: findings, their severities, and the result of a run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Severities from the most to the least severe; "never" is only a `fail_on` value.
SEVERITIES = ("error", "warning", "info")
_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
FAIL_ON_VALUES = (*SEVERITIES, "never")
OFF = "off"  # as a severity override: the rule is not reported at all


def at_least(severity: str, threshold: str) -> bool:
    """Whether `severity` is as severe as `threshold` or more ("never" is never reached)."""
    return threshold != "never" and _RANK[severity] <= _RANK[threshold]


@dataclass(frozen=True)
class Finding:
    """One problem in one file (report.json's `code.findings` item)."""

    rule: str  # DB101, an SQLFluff code (LT01, PRS, …)
    severity: str  # error | warning | info
    file: str  # relative to the project directory, '/'-separated
    line: int
    column: int
    message: str
    source: str  # "sqlfluff" | "dbci"
    # An info finding that reports a suppression (`dbci:ignore`, `noqa`): severity
    # overrides leave it alone.
    suppression: bool = False
    # The table whose rows the risk depends on (a rule's `Hit.table`), or None.
    table: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "source": self.source,
        }
        if self.table is not None:
            data["table"] = self.table
        return data

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.column, self.rule)


@dataclass
class CodeResult:
    """Everything one analysis found (report.json's `code` section)."""

    files_checked: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    dialect: str = "ansi"
    scope: str = "all"  # all | pending | changed
    fail_on: str = "error"
    linted: int = 0  # files actually linted (the others came from the cache)

    @property
    def failed(self) -> list[Finding]:
        """The findings at or above the failing severity."""
        return [f for f in self.findings if at_least(f.severity, self.fail_on)]

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for f in self.findings if f.severity == s) for s in SEVERITIES}

    def to_dict(self) -> dict[str, Any]:
        return {
            "files_checked": len(self.files_checked),
            "files": self.files_checked,
            "dialect": self.dialect,
            "scope": self.scope,
            "fail_on": self.fail_on,
            "findings": [f.to_dict() for f in self.findings],
        }
