"""The commands teams use around migrate: baseline, repair, clean and undo, as in Flyway.

Each one runs under the migration lock and changes the database in one transaction where
the engine allows it, so a refusal or a failure leaves it as it was. Refusals that come
from the command line or the config (a protected environment, clean not enabled, a
missing undo script) are bad input (exit 2); refusals that come from the database's state
(a history that already holds migrations, no history to repair or undo) fail a gate
(exit 1).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from dbci.errors import GateFailed, InputError
from dbci.log import Log, quiet
from dbci.migrate.batches import apply_all
from dbci.migrate.discovery import MigrationScript, discover
from dbci.migrate.history import AppliedMigration, abbreviate_description
from dbci.migrate.prepare import PreparedScript, prepare
from dbci.migrate.session import (
    HistoryPlan,
    Session,
    Target,
    add_baseline_row,
    baseline_version,
    ensure_history,
    open_session,
    schemas_to_create,
)
from dbci.migrate.state import MigrationInfo, State
from dbci.migrate.version import Version
from dbci.settings.config import Settings

# ---- baseline ----------------------------------------------------------------------------


@dataclass
class BaselineResult:
    """What `baseline` did."""

    database: str
    schema: str
    version: str
    description: str
    created: bool  # False when the same baseline was already there


def baseline(settings: Settings, *, log: Log = quiet) -> BaselineResult:
    """Start the history at `baselineVersion` on a database that has no migrations yet."""
    version = baseline_version(settings)
    description = settings.baseline_description
    found = discover(settings)
    with open_session(settings, found, lock=True, log=log) as session:
        # `Flyway.baseline` creates the missing schemas (DbSchemas) before DbBaseline fires
        # beforeBaseline; DbBaseline reads the history after it and refuses inside its
        # callbacks (afterBaselineError), or skips an identical baseline (afterBaseline).
        missing = [] if session.history_exists else schemas_to_create(session)
        if missing:
            ensure_history(session, HistoryPlan(missing, True, None), log)
        with session.event("Baseline", log):
            existing = [r for r in session.rows if r.type != "SCHEMA"]
            if existing:
                marker = next((r for r in existing if r.type == "BASELINE"), None)
                if marker is not None and len(existing) == 1 and marker.version == version:
                    log(f"{session.history.qualified} is already baselined at version {version}")
                    return BaselineResult(
                        session.database_text,
                        session.schema,
                        version.text,
                        marker.description,
                        False,
                    )
                what = (
                    f"a baseline at version {marker.version}"
                    if marker is not None and len(existing) == 1
                    else f"{len(existing)} migration row{'s' * (len(existing) != 1)}"
                )
                raise GateFailed(
                    f"cannot baseline {settings.where()}: schema history table "
                    f"{session.history.qualified} already contains {what}"
                )
            if not session.history_exists:
                ensure_history(session, HistoryPlan([], True, None), log)
            session.db.begin()
            try:
                add_baseline_row(session, version, description)
                session.db.commit()
            except BaseException:
                session.db.rollback()
                raise
        log(f"Successfully baselined schema with version: {version}")
        return BaselineResult(
            session.database_text, session.schema, version.text, description, True
        )


# ---- repair ------------------------------------------------------------------------------


@dataclass
class RepairResult:
    """What `repair` changed in the history table."""

    database: str
    removed_failed: list[str] = field(default_factory=list)
    realigned: list[str] = field(default_factory=list)
    marked_deleted: list[str] = field(default_factory=list)


def repair(settings: Settings, *, log: Log = quiet) -> RepairResult:
    """Remove failed rows, realign checksums/descriptions/types with the files, and mark
    applied migrations whose files are gone as deleted (a `DELETE` row), as Flyway does."""
    found = discover(settings)
    with open_session(settings, found, lock=True, log=log) as session:
        _require_history(session, "repair")
        result = RepairResult(session.database_text)
        db, history = session.db, session.history
        with session.event("Repair", log):  # DbRepair reads the history after beforeRepair
            db.begin()
            try:
                failed = [r for r in session.rows if not r.success]
                for failed_row in failed:
                    history.delete_rank(failed_row.installed_rank)
                    result.removed_failed.append(
                        _row_name(failed_row.version, failed_row.description)
                    )
                for entry in session.status.entries:
                    row, script = entry.applied, entry.resolved
                    if row is None or not row.success:
                        continue
                    if (
                        script is not None
                        and entry.version is not None
                        and row.type
                        in (
                            "SQL",
                            "SQL_BASELINE",
                        )
                    ):
                        changes = _realign(row, script, entry.checksum)
                        if changes:
                            history.update_rank(row.installed_rank, **changes)
                            result.realigned.append(_row_name(row.version, row.description))
                    elif entry.state is State.MISSING:
                        history.add(
                            version=row.version_text,
                            description=row.description,
                            type="DELETE",
                            script=row.script,
                            checksum=row.checksum,
                            installed_by=session.installed_by,
                            execution_time=0,
                            success=True,
                        )
                        result.marked_deleted.append(_row_name(row.version, row.description))
                db.commit()
            except BaseException:
                db.rollback()
                raise
        for name in result.removed_failed:
            log(f"Removed failed migration {name}")
        for name in result.realigned:
            log(f"Repaired checksum/description/type of {name}")
        for name in result.marked_deleted:
            log(f"Marked missing migration {name} as deleted")
        log(f"Successfully repaired schema history table {history.qualified}")
        return result


def _realign(
    row: AppliedMigration, script: MigrationScript, checksum: int | None
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if checksum is not None and row.checksum != checksum:
        changes["checksum"] = checksum
    # Compared and written abbreviated, as Flyway does (AbbreviationUtils.abbreviateDescription):
    # a description over 200 characters is never "realigned" into a row it cannot fit.
    description = abbreviate_description(script.description)
    if row.description != description:
        changes["description"] = description
    if row.type != script.kind.history_type:
        changes["type"] = script.kind.history_type
    return changes


def _row_name(version: Version | None, description: str) -> str:
    return f"version {version} ({description})" if version is not None else repr(description)


def _require_history(session: Session, command: str) -> None:
    if not session.history_exists:
        raise GateFailed(
            f"nothing to {command} in {session.settings.where()}: there is no schema history "
            f"table {session.history.qualified}"
        )


# ---- clean -------------------------------------------------------------------------------


@dataclass
class CleanResult:
    """What `clean` dropped."""

    database: str
    schemas: list[str]
    statements: list[str]
    dropped_schemas: list[str]


def check_clean_allowed(settings: Settings) -> None:
    """Refuse clean (exit 2, before connecting) unless the environment allows it.

    A protected environment (`[dbci] protected`, default prod and production), or its
    database reached under another name, is never cleaned (`dbci.settings.protection`). Any other
    needs `cleanDisabled = false`, or `provisioner = "clean"` and its own url.
    """
    from dbci.settings.protection import protection

    protected = protection(settings)
    refusal = protected.refusal(settings)
    if refusal is not None:
        raise InputError(f"clean refused: {refusal}; clean never runs on it")
    env = settings.environment
    if protected.provisioner_allows(settings) or not settings.clean_disabled:
        return
    if env is not None and settings.provisioner == "clean":
        raise InputError(
            f"clean refused on environment {env!r}: its provisioner allows clean on its own "
            f"url only, and {settings.database.masked() if settings.database else 'none'} "
            "was given in its place (--url or DBCI_URL); set cleanDisabled = false to allow it"
        )
    if env is not None:
        raise InputError(
            f'clean refused on environment {env!r}: set provisioner = "clean" in '
            f"[environments.{env}], or cleanDisabled = false, to allow it"
        )
    raise InputError(
        f"clean refused on {settings.where()}: set cleanDisabled = false (or DBCI_CLEAN_DISABLED"
        "=false) to allow it"
    )


def clean(settings: Settings, *, log: Log = quiet) -> CleanResult:
    """Drop every object in the environment's schemas, and the history table."""
    from dbci.migrate.clean import clean_statements

    check_clean_allowed(settings)
    found = discover(settings)
    with open_session(settings, found, lock=True, log=log) as session:
        db = session.db
        started = time.perf_counter()
        with session.event("Clean", log):
            # CleanExecutor reads the schemas Flyway created from the history after
            # beforeClean (the event read it again).
            schemas = [s for s in session.managed_schemas() if db.schema_exists(s)]
            # Schemas that dbci (or Flyway) created go whole, as in Flyway; others emptied.
            created = [s for s in session.created_schemas() if s in schemas]
            statements = clean_statements(db, schemas, drop_schemas=created)
            if db.transactional_ddl:
                db.begin()
            try:
                for statement in statements:
                    db.execute(statement)
                if db.transactional_ddl:
                    db.commit()
            except BaseException as exc:
                if db.transactional_ddl:
                    db.rollback()
                if isinstance(exc, Exception) and not isinstance(exc, GateFailed | InputError):
                    raise GateFailed(
                        f"clean of {settings.where()} failed: {db.describe_error(exc).message}"
                    ) from None
                raise
        elapsed = int((time.perf_counter() - started) * 1000)
        names = ", ".join(f'"{s}"' for s in schemas)
        log(f"Successfully cleaned schema(s) {names} ({len(statements)} statements, {elapsed} ms)")
        return CleanResult(session.database_text, schemas, statements, created)


# ---- undo --------------------------------------------------------------------------------


@dataclass
class UndoStep:
    """One version that `undo` undid."""

    version: str
    description: str
    script: str
    execution_ms: int


@dataclass
class UndoResult:
    """What `undo` did."""

    database: str
    schema: str
    initial_version: str | None
    final_version: str | None
    undone: list[UndoStep]


def undo(settings: Settings, *, log: Log = quiet) -> UndoResult:
    """Undo the latest applied version, or every applied version at or above `--target`.

    Each version's `U<version>__*.sql` runs in its own transaction with its `UNDO_SQL`
    history row; a version without an undo script stops the command before any undo runs.
    """
    target = Target.parse(settings.target)
    if target.mode not in ("latest", "version"):
        raise InputError("--target for undo must be a version")
    found = discover(settings)
    # The history is read with no target: undo's target says where to stop, not what exists.
    with open_session(settings, found, target=Target(), lock=True, log=log) as session:
        _require_history(session, "undo")
        undone: list[UndoStep] = []

        def done(step: PreparedScript, elapsed: int) -> None:
            s = step.script
            undone.append(UndoStep(str(s.version), s.description, s.script, elapsed))
            log(f'Undid version {s.version} of schema "{session.schema}" ({elapsed} ms)')

        # DbUndo fires beforeUndo, then reads the history and decides what to undo; a
        # missing undo script fails inside its callbacks (afterUndoError), before any undo.
        with session.event("Undo", log):
            current = session.status.current_version
            versions = _versions_to_undo(session, target.version)
            to_undo = [(entry, found.undo_for(version)) for version, entry in versions]
            missing = [e for e, script in to_undo if script is None]
            if missing:
                names = ", ".join(str(e.version) for e in missing)
                prefix = settings.undo_sql_migration_prefix  # may be "": Flyway allows it
                sep, suffix = settings.sql_migration_separator, settings.sql_migration_suffixes[0]
                where = missing[0].resolved.display_path if missing[0].resolved else None
                raise InputError(
                    f"no undo script for version{'s' * (len(missing) > 1)} {names}: add "
                    f"{prefix}{missing[0].version}{sep}<description>{suffix} beside "
                    f"{where or 'the migrations'}"
                )
            # Every version has its undo script here (missing ones raised above).
            prepared: list[PreparedScript] = [
                prepare(script, session.placeholders, session.db)
                for _, script in to_undo
                if script is not None
            ]
            if not prepared:
                log(f'Schema "{session.schema}" has no applied versioned migration to undo.')
            hooks = session.callbacks.hooks("Undo")
            apply_all(session.db, session.history, prepared, session.installed_by, done, hooks)
        session.refresh()
        final = session.status.current_version
        if undone:
            log(f"Successfully undid {len(undone)} migration{'s' * (len(undone) != 1)}")
        return UndoResult(
            session.database_text,
            session.schema,
            current.text if current else None,
            final.text if final else None,
            undone,
        )


def _versions_to_undo(
    session: Session, target: Version | None
) -> list[tuple[Version, MigrationInfo]]:
    """Applied versioned migrations to undo (with their version), newest applied first."""
    applied = [
        (e.applied.installed_rank, e.version, e)
        for e in session.status.entries
        if e.applied is not None
        and e.version is not None
        and e.applied.type == "SQL"
        and e.state in (State.SUCCESS, State.OUT_OF_ORDER, State.MISSING, State.FUTURE)
    ]
    applied.sort(key=lambda ranked: ranked[0], reverse=True)
    if target is None:
        return [(version, entry) for _, version, entry in applied[:1]]
    # Flyway: undo in reverse applied order until one below the target.
    chosen = []
    for _, version, entry in applied:
        if version < target:
            break
        chosen.append((version, entry))
    return chosen
