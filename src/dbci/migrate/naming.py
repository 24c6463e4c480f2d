"""Flyway's naming rules: what a file's name says it is.

`V<version>__<description>.sql` (versioned), `U<version>__…` (undo), `B<version>__…`
(baseline migration), `R__<description>.sql` (repeatable), `<event>.sql` and
`<event>__<description>.sql` (a callback), with the prefixes, separator and suffixes
configured (`sqlMigrationPrefix`, …; an empty prefix too). A name is split as Flyway's
`ResourceNameParser` splits it (`parse_name`, trying `naming_prefixes` in Flyway's order);
`discovery` files each script by it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from dbci.migrate.version import Version
from dbci.settings.config import Settings

# Flyway's callback events; `<event>.sql` and `<event>__<description>.sql` are callbacks.
CALLBACK_EVENTS = frozenset(
    f"{when}{what}"
    for when, whats in {
        "before": (
            "Migrate",
            "EachMigrate",
            "EachMigrateStatement",
            "Undo",
            "EachUndo",
            "EachUndoStatement",
            "Clean",
            "Info",
            "Validate",
            "Baseline",
            "Repair",
            "Connect",
            "CreateSchema",
            "Repeatables",
        ),
        "after": (
            "Migrate",
            "EachMigrate",
            "EachMigrateStatement",
            "EachMigrateError",
            "EachMigrateStatementError",
            "MigrateError",
            "MigrateApplied",
            "Undo",
            "EachUndo",
            "EachUndoStatement",
            "EachUndoError",
            "EachUndoStatementError",
            "UndoError",
            "Clean",
            "CleanError",
            "Info",
            "InfoError",
            "Validate",
            "ValidateError",
            "Baseline",
            "BaselineError",
            "Repair",
            "RepairError",
            "Connect",
            "Versioned",
            # Flyway's `Event` names one per operation; they are callbacks whatever dbci
            # fires, so that a name like `afterInfoOperationFinish.sql` is never taken for
            # a migration (with an empty `sqlMigrationPrefix` it would be).
            "MigrateOperationFinish",
            "InfoOperationFinish",
            "CleanOperationFinish",
            "ValidateOperationFinish",
            "UndoOperationFinish",
            "RepairOperationFinish",
            "BaselineOperationFinish",
        ),
    }.items()
    for what in whats
)


class MigrationKind(enum.Enum):
    """The four kinds of SQL migration file, with the `type` Flyway records for each."""

    VERSIONED = "versioned"
    UNDO = "undo"
    BASELINE = "baseline"
    REPEATABLE = "repeatable"
    CALLBACK = "callback"  # never recorded in the history table

    @property
    def history_type(self) -> str:
        """The `type` column value Flyway writes for this kind."""
        return _HISTORY_TYPES[self]


_HISTORY_TYPES = {
    MigrationKind.VERSIONED: "SQL",
    MigrationKind.UNDO: "UNDO_SQL",
    MigrationKind.BASELINE: "SQL_BASELINE",
    MigrationKind.REPEATABLE: "SQL",
    MigrationKind.CALLBACK: "CALLBACK",
}


@dataclass(frozen=True)
class ResourceName:
    """A file name split as Flyway's `ResourceNameParser` splits it.

    `kind` is None when no prefix matched; `problem` is Flyway's validity message when
    the name is not valid (`validateMigrationNaming` reports it; otherwise the file is
    skipped, with a warning here where Flyway logs it at debug level).
    """

    kind: MigrationKind | None
    prefix: str
    version: str
    description: str  # `_` already replaced by a space
    raw_description: str  # as written in the name (a callback's event suffix)
    suffix: str
    problem: str | None = None


def naming_prefixes(settings: Settings) -> list[tuple[str, MigrationKind]]:
    """Every prefix a file name can start with, in the order Flyway tries them.

    Flyway's `ResourceNameParser.populatePrefixes` lists the migration prefixes and each
    callback event's name, then sorts them (a stable sort) by length, longest first: "the
    most hard to match first". An empty prefix comes last and matches any name, so with
    `sqlMigrationPrefix = ""` every file that no other prefix or event claims is
    versioned, while `R__x.sql`, `U1__x.sql`, `B1__x.sql` and `beforeMigrate.sql` still are
    repeatable, undo, baseline and callback.
    """
    pairs = [
        (settings.sql_migration_prefix, MigrationKind.VERSIONED),
        (settings.undo_sql_migration_prefix, MigrationKind.UNDO),
        (settings.repeatable_sql_migration_prefix, MigrationKind.REPEATABLE),
        (settings.baseline_migration_prefix, MigrationKind.BASELINE),
    ] + [(event, MigrationKind.CALLBACK) for event in sorted(CALLBACK_EVENTS)]
    return sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)


def parse_name(
    name: str, settings: Settings, prefixes: list[tuple[str, MigrationKind]] | None = None
) -> ResourceName | None:
    """Split a file name as Flyway's `ResourceNameParser.parse` does; None when it has
    none of the `sqlMigrationSuffixes` (not a SQL file: a README, a `.sql.conf`).

    The first configured suffix the name ends with is cut off (regardless of case, as
    Flyway's scanner matches it), then the first prefix of `naming_prefixes` it starts
    with; the rest is cut at the first separator into version and description (no
    separator: all of it is the version, the description is empty, as in Flyway).
    Versioned, undo and baseline names need a version Flyway can read; repeatable and
    callback names must have none.
    """
    suffix = next(
        (s for s in settings.sql_migration_suffixes if name.lower().endswith(s.lower())), None
    )
    if suffix is None or len(name) == len(suffix):
        return None  # Flyway's scanner: the name must be longer than prefix and suffix
    suffix = name[len(name) - len(suffix) :]  # as written, for messages
    stem = name[: -len(suffix)]
    sep = settings.sql_migration_separator
    ordered = prefixes if prefixes is not None else naming_prefixes(settings)
    match = next(((p, k) for p, k in ordered if stem.startswith(p)), None)
    if match is None:
        return ResourceName(
            None, "", "", "", "", suffix, f"Unrecognised migration name format: {name}"
        )
    prefix, kind = match
    version, _, raw_description = stem[len(prefix) :].partition(sep)
    example = raw_description or "description"
    problem = None
    if kind in (MigrationKind.REPEATABLE, MigrationKind.CALLBACK):
        if version:
            problem = (
                f"Invalid repeatable migration / callback name format: {name} (It cannot "
                f"contain a version and should look like this: {prefix}{sep}{example}{suffix})"
            )
    elif not version:
        problem = (
            f"Invalid versioned migration name format: {name} (It must contain a version "
            f"and should look like this: {prefix}1.2{sep}{example}{suffix})"
        )
    else:
        try:
            Version.parse(version)
        except ValueError:
            problem = (
                f"Invalid versioned migration name format: {name} (could not recognise "
                f"version number {version})"
            )
    return ResourceName(
        kind, prefix, version, raw_description.replace("_", " "), raw_description, suffix, problem
    )
