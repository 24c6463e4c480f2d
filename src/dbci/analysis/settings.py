"""`[dbci.check.code]`: the failing severity, severity overrides, the dialect, limits.

```toml
[dbci.check.code]
fail_on = "error"          # error | warning | info | never
dialect = "postgres"       # when neither --dialect nor the environment's URL says
max_file_bytes = 1000000   # larger files are reported as not analysed
cache = true
style = true               # false: SQLFluff's style rules do not run, only dbci's rules

[dbci.check.code.severity] # per rule: error | warning | info | off
DB205 = "error"
LT05 = "off"
```

An environment's `[environments.NAME.dbci.check.code]` overrides these for that
environment (see `dbci.settings.config`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dbci.analysis.findings import FAIL_ON_VALUES, OFF, SEVERITIES
from dbci.errors import InputError

DEFAULT_MAX_FILE_BYTES = 1_000_000
_DBCI_RULE = re.compile(r"DB\d{3}")
_SQLFLUFF_RULE = re.compile(r"[A-Z]{2,3}\d{0,2}")
_WHERE = "[dbci.check.code]"


@dataclass(frozen=True)
class CodeSettings:
    """The code-analysis settings of one run."""

    fail_on: str = "error"
    dialect: str | None = None
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    cache: bool = True
    severity: dict[str, str] = field(default_factory=dict)  # rule id -> severity or "off"
    # SQLFluff's own (style) rules run beside dbci's; off, SQLFluff only parses for dbci's
    # rules (its parse errors are still reported), several times faster.
    style: bool = True

    @property
    def sqlfluff_overrides(self) -> dict[str, str]:
        """The overrides that name SQLFluff rules (checked once SQLFluff is loaded)."""
        return {k: v for k, v in self.severity.items() if not _DBCI_RULE.fullmatch(k)}

    def fingerprint(self) -> dict[str, Any]:
        """What of these settings changes a file's raw findings (for the cache key)."""
        return {"max_file_bytes": self.max_file_bytes, "style": self.style}


def code_settings(dbci: dict[str, Any], *, config_name: str = "dbci.toml") -> CodeSettings:
    """Read `[dbci.check.code]` from the `[dbci]` table; a bad value is one clear line."""
    from dbci.analysis.rules import RULES_BY_ID

    check = dbci.get("check", {})
    table = check.get("code", {}) if isinstance(check, dict) else None
    if not isinstance(table, dict):
        raise InputError(f"{config_name}: {_WHERE} must be a table")
    known = {"fail_on", "dialect", "max_file_bytes", "cache", "severity", "style"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise InputError(
            f"{config_name}: unknown key {unknown[0]!r} in {_WHERE} "
            f"(known: {', '.join(sorted(known))})"
        )
    fail_on = table.get("fail_on", "error")
    if fail_on not in FAIL_ON_VALUES:
        raise InputError(
            f"{config_name}: {_WHERE} fail_on = {fail_on!r} is not a severity "
            f"(one of {', '.join(FAIL_ON_VALUES)})"
        )
    dialect = table.get("dialect")
    if dialect is not None and not isinstance(dialect, str):
        raise InputError(f"{config_name}: {_WHERE} dialect must be a string")
    max_bytes = table.get("max_file_bytes", DEFAULT_MAX_FILE_BYTES)
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes < 1:
        raise InputError(f"{config_name}: {_WHERE} max_file_bytes must be a positive integer")
    cache = table.get("cache", True)
    if not isinstance(cache, bool):
        raise InputError(f"{config_name}: {_WHERE} cache must be true or false")
    style = table.get("style", True)
    if not isinstance(style, bool):
        raise InputError(f"{config_name}: {_WHERE} style must be true or false")
    overrides = table.get("severity", {})
    if not isinstance(overrides, dict):
        raise InputError(f"{config_name}: {_WHERE}.severity must be a table of rule = severity")
    severity: dict[str, str] = {}
    for rule, value in overrides.items():
        rule_id = str(rule).upper()
        if _DBCI_RULE.fullmatch(rule_id):
            if rule_id not in RULES_BY_ID:
                raise InputError(
                    f"{config_name}: unknown rule {rule!r} in {_WHERE}.severity "
                    f"(dbci's rules: {', '.join(sorted(RULES_BY_ID))})"
                )
        elif not _SQLFLUFF_RULE.fullmatch(rule_id):
            raise InputError(
                f"{config_name}: {rule!r} in {_WHERE}.severity is not a rule id "
                "(DB101, or an SQLFluff code such as LT01)"
            )
        if value not in (*SEVERITIES, OFF):
            raise InputError(
                f"{config_name}: {_WHERE}.severity {rule} = {value!r} is not a severity "
                f"(one of {', '.join((*SEVERITIES, OFF))})"
            )
        severity[rule_id] = value
    return CodeSettings(
        fail_on=fail_on,
        dialect=dialect,
        max_file_bytes=max_bytes,
        cache=cache,
        severity=severity,
        style=style,
    )
