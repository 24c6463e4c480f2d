"""`deploy --plan report.json`: deploy exactly what `check` checked.

The check records the pending migrations (versions and checksums) and a hash of the
target's schema; deploy refuses, naming the difference, when either has changed since.
A plan file that is not a dbci report, or whose plan has the wrong shape, is bad input
(exit 2, one line naming the file and the JSON path), refused before any target is touched.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from dbci.errors import GateFailed, InputError
from dbci.schema.model import Snapshot


def schema_hash(snapshot: Snapshot) -> str:
    """A hash of a schema's stable JSON."""
    from dbci.schema.snapshot_file import dumps

    return hashlib.sha256(dumps(snapshot).encode("utf-8")).hexdigest()


def load_plan(path: Path, environment: str | None) -> dict[str, Any]:
    """The plan a check recorded for `environment` (any environment when None), or one
    clear line (`InputError`).

    The whole file is validated against report.json's schema (`load_report`), so the plan's
    `pending` is a list of objects with a `script` and a `checksum`, and `schema_sha256` a
    hex digest, before anything compares them.
    """
    from dbci.report.load import load_report

    report = load_report(path)
    plan = report.get("plan")
    if not isinstance(plan, dict):
        raise InputError("no plan in this report: run dbci check -e TARGET first", file=path)
    if environment is not None and plan.get("environment") not in (None, environment):
        raise InputError(
            f"the plan was checked against {plan.get('environment')!r}, not {environment!r}",
            file=path,
        )
    return plan


def check_plan(plan: dict[str, Any], pending: list[dict[str, Any]], schema: Snapshot) -> None:
    """Refuse (exit 1) when the pending migrations or the target's schema changed.

    `plan` is one `load_plan` returned: its shapes are already checked.
    """

    def key(entry: dict[str, Any]) -> tuple[Any, Any]:
        return entry.get("script"), entry.get("checksum")

    planned = {key(p) for p in plan["pending"]}
    now = {key(p) for p in pending}
    if planned != now:
        added = sorted(str(s) for s, _ in now - planned)
        gone = sorted(str(s) for s, _ in planned - now)
        parts = []
        if added:
            parts.append(f"now pending or changed: {', '.join(added)}")
        if gone:
            parts.append(f"checked but no longer pending as checked: {', '.join(gone)}")
        raise GateFailed("the migrations changed since the check (" + "; ".join(parts) + ")")
    if plan["schema_sha256"] != schema_hash(schema):
        raise GateFailed(
            "the target's schema changed since the check: run dbci check again and review it"
        )
