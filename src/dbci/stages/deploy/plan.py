"""`deploy --plan report.json`: deploy exactly what `check` checked.

The check records the pending migrations (versions and checksums) and a hash of the
target's schema; deploy refuses, naming the difference, when either has changed since.
A plan file that is not a dbci report, or whose plan has the wrong shape, is bad input
(exit 2, one line naming the file and the JSON path), refused before any target is touched.

A changed target is named object by object: the check saved the schema it hashed as
`target-snapshot.json` beside report.json, and the refusal lists what differs between that
and the live schema (the objects themselves; without that file, or with one that is not the
checked schema, it says only that the schema changed).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from dbci.errors import DbciError, GateFailed, InputError
from dbci.schema.model import Snapshot
from dbci.schema.names import qualified_name

# The file beside report.json where the check saved the target's schema it hashed.
CHECKED_SNAPSHOT = "target-snapshot.json"
# How many changed objects a refusal names before "and N more": it stays one line.
NAMED = 5
_VERBS = {"Add": "added", "Change": "changed", "Drop": "dropped"}


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


def check_plan(
    plan: dict[str, Any],
    pending: list[dict[str, Any]],
    schema: Snapshot,
    checked: Path | None = None,
) -> None:
    """Refuse (exit 1) when the pending migrations or the target's schema changed.

    `plan` is one `load_plan` returned: its shapes are already checked. `checked`: the
    snapshot file the check saved beside the plan (`checked_snapshot`), from which a
    changed schema's objects are named.
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
        named = _changed_objects(checked, plan["schema_sha256"], schema)
        raise GateFailed(
            "the target's schema changed since the check"
            + (f": {named}; " if named else ": ")
            + "run dbci check again and review it"
        )


def checked_snapshot(plan_path: Path) -> Path:
    """Where the check that wrote `plan_path` saved the target's schema."""
    return plan_path.parent / CHECKED_SNAPSHOT


def _changed_objects(checked: Path | None, digest: str, live: Snapshot) -> str | None:
    """`changed table shop.customers, added index shop.ix (2 objects)`: what differs
    between the schema the check saw and the live one, or None when that cannot be told.

    The saved file counts only when it is the very schema the plan hashed (a later check
    against another target may have replaced it, or the plan was copied without it); a
    file that is missing, unreadable, of an older snapshot format (`OlderSnapshot`) or of
    another engine leaves the refusal as it was, unnamed.
    """
    if checked is None:
        return None
    from dbci.schema.diff import diff
    from dbci.schema.snapshot_file import loads

    try:
        text = checked.read_text(encoding="utf-8")
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != digest:
            return None
        saved = loads(text, str(checked))
        changes = diff(saved, live).changes
    except (OSError, UnicodeError, DbciError):
        return None
    if not changes:
        return None  # differences the diff does not count as a change: nothing to name
    names = ", ".join(
        f"{_VERBS.get(c.change, c.change.lower())} {c.type} {qualified_name(c.schema, c.name)}"
        for c in changes[:NAMED]
    )
    more = f" and {len(changes) - NAMED} more" if len(changes) > NAMED else ""
    count = f"{len(changes)} object{'' if len(changes) == 1 else 's'}"
    return f"{names}{more} ({count})"
