"""`validate`: the history table and the files must agree, as Flyway judges them.

Problems: a failed migration; a checksum, description or type that differs between a
file and its history row; an applied migration whose file is gone (missing); a file
below the current version that was never applied (ignored); pending migrations when
asked; applied versions newer than any file (future). `ignoreMigrationPatterns`
(`type:status`, default `*:future`) silences kinds of problem, as in Flyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from dbci.errors import InputError
from dbci.migrate.history import abbreviate_description
from dbci.migrate.state import MigrationInfo, MigrationStatus, State

_PATTERN_TYPES = {"*", "versioned", "repeatable"}
_PATTERN_STATES = {"*", "missing", "pending", "ignored", "future"}


@dataclass(frozen=True)
class Problem:
    """One reason validation fails, naming the migration and, when there is one, its file."""

    kind: str  # failed | checksum | description | type | missing | ignored | pending | future
    message: str
    file: str | None = None

    def __str__(self) -> str:
        return f"{self.file}: {self.message}" if self.file else self.message


def parse_ignore_patterns(patterns: list[str]) -> set[tuple[str, str]]:
    """Check and normalise `ignoreMigrationPatterns` entries (`*:future`, `versioned:missing`)."""
    parsed: set[tuple[str, str]] = set()
    for pattern in patterns:
        kind, sep, state = pattern.strip().lower().partition(":")
        if not sep or kind not in _PATTERN_TYPES or state not in _PATTERN_STATES:
            raise InputError(
                f"invalid ignoreMigrationPatterns entry {pattern!r}: expected TYPE:STATE with "
                "TYPE one of *, versioned, repeatable and STATE one of *, missing, pending, "
                "ignored, future"
            )
        parsed.add((kind, state))
    return parsed


def _ignored(entry: MigrationInfo, state: str, patterns: set[tuple[str, str]]) -> bool:
    kind = "versioned" if entry.version is not None else "repeatable"
    return any(k in ("*", kind) and s in ("*", state) for k, s in patterns)


def validate_status(
    status: MigrationStatus, ignore_patterns: list[str], *, fail_on_pending: bool
) -> list[Problem]:
    """Every problem in the merged view, in the order `info` lists the migrations."""
    patterns = parse_ignore_patterns(ignore_patterns)
    problems: list[Problem] = []
    for entry in status.entries:
        name = _name(entry)
        file = entry.resolved.display_path if entry.resolved else None
        row = entry.applied
        if entry.state is State.FAILED:
            problems.append(
                Problem(
                    "failed",
                    f"detected failed migration {name}: remove its half-applied changes, then "
                    "run repair",
                    file,
                )
            )
        elif entry.state in (State.MISSING, State.FUTURE):
            state = "missing" if entry.state is State.MISSING else "future"
            if not _ignored(entry, state, patterns):
                problems.append(
                    Problem(
                        state,
                        f"applied migration {name} is not resolved locally"
                        + (" (newer than every file: future)" if state == "future" else ""),
                    )
                )
        elif entry.state is State.IGNORED:
            if not _ignored(entry, "ignored", patterns):
                problems.append(
                    Problem(
                        "ignored",
                        f"resolved migration {name} is not applied and is below the current "
                        "version: set outOfOrder = true to apply it, or add '*:ignored' to "
                        "ignoreMigrationPatterns",
                        file,
                    )
                )
        elif entry.state in (State.PENDING, State.OUTDATED) and entry.applied is None:
            if fail_on_pending and not _ignored(entry, "pending", patterns):
                problems.append(Problem("pending", f"migration {name} is pending", file))
        if row is not None and entry.resolved is not None and entry.version is not None:
            if row.success and entry.checksum != row.checksum and entry.state is not State.UNDONE:
                problems.append(
                    Problem(
                        "checksum",
                        f"checksum mismatch for migration {name}: applied to database "
                        f"{row.checksum}, resolved locally {entry.checksum}",
                        file,
                    )
                )
            # Flyway stores a long description abbreviated and compares it so
            # (MigrationInfoImpl.descriptionMismatch, AbbreviationUtils.abbreviateDescription).
            if row.description != abbreviate_description(entry.resolved.description):
                problems.append(
                    Problem(
                        "description",
                        f"description mismatch for migration {name}: applied to database "
                        f"{row.description!r}, resolved locally {entry.resolved.description!r}",
                        file,
                    )
                )
            if row.type != entry.resolved.kind.history_type:
                problems.append(
                    Problem(
                        "type",
                        f"type mismatch for migration {name}: applied to database {row.type}, "
                        f"resolved locally {entry.resolved.kind.history_type}",
                        file,
                    )
                )
    return problems


def _name(entry: MigrationInfo) -> str:
    if entry.version is not None:
        return f"version {entry.version} ({entry.description})"
    return f"repeatable {entry.description!r}"
