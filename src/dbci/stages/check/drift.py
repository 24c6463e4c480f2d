"""Drift: the target's live schema against what its applied migrations should have made.

The expected schema comes from one of three sources, as in Flyway: the applied migrations
rebuilt on the build database (`rebuild`, the default), the snapshot dbci saved on the
target after its last deploy (`snapshot-history`, the `dbci_snapshot_history` table beside
the history table), or a snapshot file (`snapshot:FILE`). Two scripts resolve it:
`drift-revert.sql` makes the target match its migrations again, and
`drift-incorporate.sql` is a migration that would adopt the drift instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbci.errors import GateFailed, InputError
from dbci.schema.diff import diff
from dbci.schema.model import Snapshot
from dbci.settings.config import Settings

SNAPSHOT_HISTORY_TABLE = "dbci_snapshot_history"
SOURCES = ("rebuild", "snapshot-history", "snapshot:FILE")


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
    if source in ("rebuild", "snapshot-history") or (
        source.startswith("snapshot:") and len(source) > len("snapshot:")
    ):
        return source
    raise InputError(f"--drift-source {source!r}: use one of {', '.join(SOURCES)}")


def drift_between(expected: Snapshot, live: Snapshot, source: str) -> DriftResult:
    """Each object that differs, with its expected and actual DDL, and the two scripts."""
    found = diff(expected, live)
    result = DriftResult(source)
    for change in found.changes:
        result.items.append(
            {
                "change": change.change,
                "type": change.type,
                "schema": change.schema,
                "name": change.name,
                "expected_sql": change.before_sql,
                "actual_sql": change.after_sql,
            }
        )
    if found.changes:
        result.revert_sql = diff(live, expected).sql()
        result.incorporate_sql = found.sql()
    return result


def expected_from_history(settings: Settings) -> Snapshot:
    """The newest snapshot dbci saved on the target after a deploy."""
    from dbci.engines import open_database
    from dbci.migrate.history import SchemaHistory
    from dbci.stages.deploy.snapshot_history import latest_saved

    db = open_database(settings)
    try:
        schema = settings.default_schema or (settings.schemas[0] if settings.schemas else None)
        schema = schema or db.current_schema()
        if not db.table_exists(schema, SNAPSHOT_HISTORY_TABLE):
            raise InputError(
                f"{settings.where()} has no {SNAPSHOT_HISTORY_TABLE} table: deploy with dbci "
                "first, or use --drift-source rebuild"
            )
        saved = latest_saved(db, schema)
        history = SchemaHistory(db, schema, settings.table)
        rows = history.rows() if history.exists() else []
    finally:
        db.close()
    if saved is None:
        raise InputError(f"{settings.where()}: {SNAPSHOT_HISTORY_TABLE} is empty")
    newest = max((r.version for r in rows if r.success and r.version is not None), default=None)
    if not saved.matches(rows, newest.text if newest else None):
        # Comparing with it would report the migrations applied since as drift.
        raise GateFailed(
            f"{settings.where()}: the newest snapshot in {SNAPSHOT_HISTORY_TABLE} was saved "
            "before the history table last changed (a deploy that did not finish, or rows "
            "changed by hand): use --drift-source rebuild"
        )
    return saved.snapshot


def expected_from_file(spec: str, project_dir: Path) -> Snapshot:
    from dbci.schema.snapshot_file import load

    path = Path(spec.partition(":")[2])
    return load(path if path.is_absolute() else project_dir / path)
