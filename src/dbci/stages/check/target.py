"""What a check reads from its target: the applied version, the pending migrations, and
repo drift (failed migrations, checksums that differ, applied migrations whose files are
gone)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dbci.errors import InputError
from dbci.log import Log, quiet
from dbci.migrate.discovery import Discovered
from dbci.migrate.state import State
from dbci.migrate.validation import validate_status
from dbci.settings.config import Settings

_REPO_DRIFT = ("failed", "checksum", "description", "type", "missing")


@dataclass
class TargetState:
    """The target's history, merged with the files."""

    database: str
    has_history: bool
    applied_version: str | None
    pending: list[dict[str, Any]] = field(default_factory=list)
    repo_drift: list[dict[str, Any]] = field(default_factory=list)


def read_target(settings: Settings, found: Discovered, *, log: Log = quiet) -> TargetState:
    """Read the target's history; a target ahead of the files is one clear line (exit 2)."""
    from dbci.migrate.session import open_session

    with open_session(settings, found, lock=False, run_callbacks=False, log=log) as session:
        status = session.status
        future = [e for e in status.entries if e.state is State.FUTURE]
        if future:
            latest = found.versioned[-1].known_version.text if found.versioned else "none"
            raise InputError(
                f"{settings.where()} is at version {future[-1].version}, ahead of the "
                f"migrations on disk (latest {latest}): check out the branch it was deployed "
                "from"
            )
        if not session.history_exists:
            log(
                f"{settings.where()} has no schema history table: every migration is pending, "
                "and drift is measured against an empty schema"
            )
        current = status.current_version
        state = TargetState(
            session.database_text, session.history_exists, current.text if current else None
        )
        for entry in status.pending():
            state.pending.append(
                {
                    "version": entry.version.text if entry.version else None,
                    "description": entry.description,
                    "type": entry.type,
                    "script": entry.script,
                    "checksum": entry.checksum,
                }
            )
        problems = validate_status(status, [], fail_on_pending=False)
        state.repo_drift = [
            {"kind": p.kind, "message": p.message, "file": p.file}
            for p in problems
            if p.kind in _REPO_DRIFT
        ]
        return state
