"""Drift: the target's live schema against what its applied migrations should have made.

The expected schema comes from one of the drift sources of `schema/sources.py`, as in
Flyway: the applied migrations rebuilt on the build database (`rebuild`, the default), the
snapshot dbci saved on the target after its last deploy (`snapshot-history`, the
`dbci_snapshot_history` table beside the history table), or a snapshot file
(`snapshot:FILE`). Two scripts resolve it:
`drift-revert.sql` makes the target match its migrations again, and
`drift-incorporate.sql` is a migration that would adopt the drift instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dbci.schema.change_details import drift_details, keeps_generated
from dbci.schema.diff import diff
from dbci.schema.model import Snapshot
from dbci.schema.sources import drift_source


@dataclass
class DriftResult:
    """report.json's `drift` section, and the two resolution scripts."""

    source: str
    items: list[dict[str, Any]] = field(default_factory=list)
    repo: list[dict[str, Any]] = field(default_factory=list)
    revert_sql: str = ""
    incorporate_sql: str = ""
    fail_on_drift: bool = False  # whether drift fails the check (its gate)

    @property
    def detected(self) -> bool:
        return bool(self.items or self.repo)

    def to_dict(self) -> dict[str, Any]:
        return {
            "detected": self.detected,
            "source": self.source,
            "items": self.items,
            "repo": self.repo,
            "fail_on_drift": self.fail_on_drift,
        }


def check_source(source: str) -> str:
    """A `--drift-source` value, or one clear line."""
    return drift_source(source).spec


def drift_between(expected: Snapshot, live: Snapshot, source: str) -> DriftResult:
    """Each object that differs, with its expected and actual DDL, and the two scripts."""
    found = diff(expected, live)
    result = DriftResult(source)
    if not found.changes:
        return result
    revert = diff(live, expected)
    # What reverting an item loses: the object (or column) the target has and its
    # migrations do not, dropped by drift-revert.sql.
    reverting = {(c.type, c.schema, c.name): c.destructive for c in revert.changes}
    keeps = keeps_generated(expected.dialect)
    for change in found.changes:
        lossy = reverting.get((change.type, change.schema, change.name), False)
        result.items.append(
            {
                "change": change.change,
                "type": change.type,
                "schema": change.schema,
                "name": change.name,
                "expected_sql": change.before_sql,
                "actual_sql": change.after_sql,
                "revert_destructive": lossy,
                # What differs inside it (which column, which line), expected vs actual.
                "details": drift_details(
                    change.before, change.after, revert_destructive=lossy, keeps_generated=keeps
                ),
            }
        )
    result.revert_sql = revert.sql()
    result.incorporate_sql = found.sql()
    return result
