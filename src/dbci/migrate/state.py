"""Every migration's state: the files on disk merged with the history table.

This is what `info` shows, what `validate` judges and what `migrate` applies. States
follow Flyway: Pending, Success, Failed, Undone, Baseline, Outdated, Superseded,
Missing, Future, Ignored, Above Target, Below Baseline, Out of Order, Deleted. Applied
undo scripts are listed too, in the category "Undo".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from dbci.migrate.discovery import Discovered, MigrationScript
from dbci.migrate.history import BASELINE_MARKER, AppliedMigration, abbreviate_description
from dbci.migrate.version import Version


class State(enum.Enum):
    """A migration's state, with Flyway's display name."""

    PENDING = "Pending"
    SUCCESS = "Success"
    FAILED = "Failed"
    UNDONE = "Undone"
    BASELINE = "Baseline"
    OUTDATED = "Outdated"
    SUPERSEDED = "Superseded"
    MISSING = "Missing"
    FUTURE = "Future"
    IGNORED = "Ignored"
    ABOVE_TARGET = "Above Target"
    BELOW_BASELINE = "Below Baseline"
    OUT_OF_ORDER = "Out of Order"
    DELETED = "Deleted"


@dataclass
class MigrationInfo:
    """One line of `info`: a file, a history row, or both."""

    category: str  # "Versioned" | "Repeatable" | "" (schema marker, baseline row)
    version: Version | None
    description: str
    type: str
    script: str
    state: State
    resolved: MigrationScript | None = None
    applied: AppliedMigration | None = None
    checksum: int | None = None  # the file's checksum (repeatables: after placeholders)

    @classmethod
    def of_row(
        cls,
        row: AppliedMigration,
        state: State,
        *,
        category: str = "Versioned",
        resolved: MigrationScript | None = None,
        checksum: int | None = None,
    ) -> MigrationInfo:
        """An entry for a history row (and its file, when there is one)."""
        return cls(
            category,
            row.version,
            row.description,
            row.type,
            row.script,
            state,
            resolved=resolved,
            applied=row,
            checksum=checksum,
        )

    @classmethod
    def of_script(
        cls, script: MigrationScript, state: State, checksum: int | None
    ) -> MigrationInfo:
        """An entry for a file that has no history row (yet)."""
        category = "Versioned" if script.version is not None else "Repeatable"
        return cls(
            category,
            script.version,
            script.description,
            script.kind.history_type,
            script.script,
            state,
            resolved=script,
            checksum=checksum,
        )


@dataclass
class MigrationStatus:
    """The merged view of one database: every migration, the current version."""

    entries: list[MigrationInfo] = field(default_factory=list)
    current: AppliedMigration | None = None
    baseline: Version | None = None

    @property
    def current_version(self) -> Version | None:
        return self.current.version if self.current else None

    def pending(self) -> list[MigrationInfo]:
        """What migrate applies, in order: versioned by version, then repeatables."""
        versioned = sorted(
            (e for e in self.entries if e.state is State.PENDING and e.version is not None),
            key=_version_of,
        )
        repeatable = [e for e in self.entries if e.state is State.PENDING and e.version is None]
        return versioned + repeatable


def _version_of(entry: MigrationInfo) -> Version:
    """The sort key of an entry known to be versioned."""
    assert entry.version is not None, "only versioned entries are sorted by version"
    return entry.version


def build_status(
    found: Discovered,
    applied: list[AppliedMigration],
    repeatable_checksums: dict[str, int],
    *,
    out_of_order: bool,
    target: Version | None,
    checksums: dict[str, int],
) -> MigrationStatus:
    """Merge files and history rows into states.

    `checksums` maps a versioned (or baseline) script's path to its checksum;
    `repeatable_checksums` maps a repeatable's path to its checksum after placeholders.
    """
    status = MigrationStatus()
    # Versioned and baseline scripts always have a version (discovery parses it from the name).
    resolved = {m.version: m for m in found.versioned if m.version is not None}
    baselines = {m.version: m for m in found.baseline if m.version is not None}
    latest_resolved = max(resolved, default=None)

    def checksum_of(script: MigrationScript | None) -> int | None:
        return checksums.get(script.script) if script else None

    # Walk history in rank order, keeping the last row per version (undo rows undo it).
    by_version: dict[Version, AppliedMigration] = {}
    undone: set[Version] = set()
    deleted: set[Version] = set()
    deleted_repeatables: set[str] = set()
    repeat_rows: dict[str, list[AppliedMigration]] = {}
    entries: list[MigrationInfo] = []
    undo_entries: list[MigrationInfo] = []
    for row in applied:
        if row.type == "SCHEMA":
            entries.append(MigrationInfo.of_row(row, State.SUCCESS, category=""))
        elif row.type == "BASELINE" or row.description == BASELINE_MARKER:
            status.baseline = row.version
            status.current = row
            entries.append(MigrationInfo.of_row(row, State.BASELINE, category=""))
        elif row.type == "SQL_BASELINE" and row.version is not None:
            # A baseline migration stands for every version up to its own.
            script = baselines.get(row.version)
            if row.success:
                status.baseline = max(status.baseline or row.version, row.version)
                status.current = row
            state = State.SUCCESS if row.success else State.FAILED
            entries.append(
                MigrationInfo.of_row(row, state, resolved=script, checksum=checksum_of(script))
            )
        elif row.type == "UNDO_SQL" and row.version is not None:
            if row.success:
                undone.add(row.version)
            state = State.SUCCESS if row.success else State.FAILED
            undo_entries.append(MigrationInfo.of_row(row, state, category="Undo"))
        elif row.type == "DELETE" and row.version is not None:
            deleted.add(row.version)
        elif row.type == "DELETE":
            deleted_repeatables.add(row.description)
        elif row.version is None:
            repeat_rows.setdefault(row.description, []).append(row)
        else:
            by_version[row.version] = row
            undone.discard(row.version)

    highest_applied: Version | None = None
    for row in applied:
        if row.version is None or by_version.get(row.version) is not row:
            continue
        script = resolved.get(row.version)
        if row.version in deleted and script is None:
            state = State.DELETED
        elif not row.success:
            state = State.FAILED
        elif row.version in undone:
            state = State.UNDONE
        elif script is None:
            newer = latest_resolved is None or row.version > latest_resolved
            state = State.FUTURE if newer else State.MISSING
        elif highest_applied is not None and row.version < highest_applied:
            state = State.OUT_OF_ORDER
        else:
            state = State.SUCCESS
        if row.success and row.version not in undone and state is not State.DELETED:
            if highest_applied is None or row.version > highest_applied:
                highest_applied = row.version
            if status.current is None or row.version >= (status.current.version or row.version):
                status.current = row
        entries.append(
            MigrationInfo.of_row(row, state, resolved=script, checksum=checksum_of(script))
        )
    entries += undo_entries

    # On a database with no versioned history, Flyway starts from the latest baseline
    # migration at or below the target instead of the versioned migrations it covers.
    fresh = not any(r.version is not None and r.type != "UNDO_SQL" for r in applied)
    candidates = [v for v in baselines if target is None or v <= target]
    if fresh and candidates:
        script = baselines[max(candidates)]
        status.baseline = script.version
        entries.append(MigrationInfo.of_script(script, State.PENDING, checksum_of(script)))

    current = status.current_version
    for script in found.versioned:
        assert script.version is not None, "discovery gives every versioned script its version"
        version_row = by_version.get(script.version)
        if version_row is not None and version_row.version not in undone:
            continue
        if status.baseline is not None and script.version <= status.baseline:
            state = State.BELOW_BASELINE
        elif target is not None and script.version > target:
            state = State.ABOVE_TARGET
        elif current is not None and script.version < current and not out_of_order:
            state = State.IGNORED
        else:
            state = State.PENDING
        entries.append(MigrationInfo.of_script(script, state, checksum_of(script)))

    # A repeatable's rows are found by its description as the history holds it: a long one
    # abbreviated (AbbreviationUtils.abbreviateDescription), as Flyway writes it.
    repeatables = {abbreviate_description(m.description): m for m in found.repeatable}
    for description, rows in sorted(repeat_rows.items()):
        script = repeatables.get(description)
        latest = rows[-1]
        for row in rows[:-1]:
            entries.append(MigrationInfo.of_row(row, State.SUPERSEDED, category="Repeatable"))
        file_checksum = repeatable_checksums.get(script.script) if script else None
        if not latest.success:
            state = State.FAILED
        elif script is None and description in deleted_repeatables:
            state = State.DELETED
        elif script is None:
            state = State.MISSING
        elif file_checksum != latest.checksum:
            state = State.OUTDATED
        else:
            state = State.SUCCESS
        entries.append(
            MigrationInfo.of_row(
                latest, state, category="Repeatable", resolved=script, checksum=file_checksum
            )
        )
    for script in found.repeatable:
        script_rows = repeat_rows.get(abbreviate_description(script.description))
        checksum = repeatable_checksums.get(script.script)
        if script_rows and script_rows[-1].success and script_rows[-1].checksum == checksum:
            continue
        entries.append(MigrationInfo.of_script(script, State.PENDING, checksum))
    status.entries = entries
    return status
