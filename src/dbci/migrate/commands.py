"""The commands as plain functions: `dbci migrate` and the action both call these.

Each takes the run's `Settings` and a `log` callable for progress lines, and returns
a result object that the command line renders as text or JSON. The lifecycle commands
(baseline, repair, clean, undo) are in `lifecycle`, the dry run in `dryrun`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial

from dbci import cancel
from dbci.engines.base import Database, Notice
from dbci.errors import GateFailed
from dbci.log import Log, quiet
from dbci.migrate.batches import apply_all
from dbci.migrate.discovery import Discovered, MigrationScript, discover
from dbci.migrate.history import SchemaHistory
from dbci.migrate.prepare import NO_HOOKS, Hooks, PreparedScript, prepare
from dbci.migrate.runner import (
    group_transaction,
    record_applied,
    refuse_group,
    run_callbacks,
)
from dbci.migrate.session import (
    Session,
    Target,
    ensure_history,
    open_session,
    plan_history,
    validate_session,
)
from dbci.migrate.state import MigrationInfo, MigrationStatus
from dbci.migrate.validation import Problem
from dbci.settings.config import Settings


@dataclass
class InfoResult:
    """What `info` shows."""

    database: str
    schema: str
    status: MigrationStatus
    warnings: list[str] = field(default_factory=list)


@dataclass
class ValidateResult:
    """What `validate` found; `problems` empty means it passed."""

    database: str
    validated: int
    problems: list[Problem]
    warnings: list[str] = field(default_factory=list)


@dataclass
class AppliedStep:
    """One migration that `migrate` applied."""

    script: MigrationScript
    execution_ms: int
    # What the server said about its statements (RAISE NOTICE, MySQL warnings), in order.
    notices: list[Notice] = field(default_factory=list)


@dataclass
class MigrateResult:
    """What `migrate` did."""

    database: str
    schema: str
    initial_version: str | None
    target_version: str | None
    applied: list[AppliedStep]
    execution_ms: int
    warnings: list[str] = field(default_factory=list)


def info(settings: Settings, *, log: Log = quiet) -> InfoResult:
    """Every migration and its state. Read-only: creates nothing in the database."""
    found = discover(settings)
    with open_session(settings, found, lock=False, log=log) as session:
        with session.event("Info", log):
            return InfoResult(session.database_text, session.schema, session.status, found.warnings)


def validate(
    settings: Settings, *, fail_on_pending: bool = False, log: Log = quiet
) -> ValidateResult:
    """Check the history against the files; the caller decides what the problems fail."""
    found = discover(settings)
    with open_session(settings, found, lock=False, log=log) as session:
        problems = validate_session(session, fail_on_pending=fail_on_pending, log=log)
        validated = sum(1 for e in session.status.entries if e.resolved is not None)
        return ValidateResult(session.database_text, validated, problems, found.warnings)


def migrate(settings: Settings, *, log: Log = quiet) -> MigrateResult:
    """Apply pending migrations up to the target, one transaction each, under the lock."""
    started = time.perf_counter()
    found = discover(settings)
    for warning in found.warnings:
        log(f"WARNING: {warning}")
    with open_session(settings, found, lock=True, log=log) as session:
        return migrate_session(session, found, started, log=log)


def migrate_session(
    session: Session,
    found: Discovered,
    started: float,
    *,
    log: Log = quiet,
    progress: list[AppliedStep] | None = None,
    validated: bool = False,
) -> MigrateResult:
    """`migrate` on a session that already holds the lock (deploy keeps it for longer).

    `progress` receives each migration as it is applied, so a caller still knows what was
    applied when a later one fails (deploy reports it). `validated`: the caller already
    ran `validate_before_migrate` on this session (deploy does, before its drift check)."""
    settings = session.settings
    # `Flyway.migrate` validates first (callbacks included), then creates the schemas and
    # the history table or refuses a non-empty schema, then runs `DbMigrate`.
    if not validated:
        validate_before_migrate(session, log)
    history_plan = plan_history(session, baseline_on_migrate=settings.baseline_on_migrate)
    # Prepare everything first: a bad script fails the run before any SQL is sent.
    ready = prepare_pending(session)
    grouped = settings.group and not settings.skip_executing_migrations
    if grouped:  # refused before the history table is touched (see runner.refuse_group)
        refuse_group(session.db, plan_migrations(session, ready))
    ensure_history(session, history_plan, log)
    initial_text: str | None = None
    applied: list[AppliedStep] = [] if progress is None else progress

    skip = settings.skip_executing_migrations

    heard: dict[str, list[Notice]] = {}

    def noticed(step: PreparedScript, notices: list[Notice]) -> None:
        # As Flyway prints each statement's warnings as it runs it (printWarnings).
        for notice in notices:
            log(notice.flyway_text())
        heard.setdefault(step.script.script, []).extend(notices)

    def done(step: PreparedScript, elapsed: int) -> None:
        applied.append(AppliedStep(step.script, elapsed, heard.pop(step.script.script, [])))
        if skip:
            log(f"Recorded {step.name} as applied without running it (skipExecutingMigrations)")
        else:
            log(f'Migrated schema "{session.schema}" to {step.name} ({elapsed} ms)')

    db, callbacks = session.db, session.callbacks
    hooks = callbacks.hooks("Migrate")
    run = record_all if skip else partial(apply_all, on_notices=noticed, grouped=grouped)
    try:
        with session.event("Migrate", log):
            # DbMigrate.migrateGroup reads the history after beforeMigrate (the event has
            # read it again): the current version and the plan come from that.
            current = session.status.current_version
            initial_text = current.text if current else None
            empty = "<< Empty Schema >>"
            log(f'Current version of schema "{session.schema}": {initial_text or empty}')
            prepared = plan_migrations(session, ready)
            before_group = len(applied)
            try:
                with group_transaction(db, prepared) if grouped else nullcontext():
                    versioned = [p for p in prepared if p.script.version is not None]
                    run(db, session.history, versioned, session.installed_by, done, hooks)
                    # DbMigrate fires afterVersioned exactly once, also when no versioned
                    # migration was pending: before the first repeatable (with
                    # beforeRepeatables), else at the end of migrateAll.
                    _fire(session, "afterVersioned", log, grouped=grouped)
                    repeatable = [p for p in prepared if p.script.version is None]
                    if repeatable:
                        _fire(session, "beforeRepeatables", log, grouped=grouped)
                    run(db, session.history, repeatable, session.installed_by, done, hooks)
            except BaseException:
                if grouped:  # rolled back whole: none of the group is applied
                    del applied[before_group:]
                raise
            if applied:
                callbacks.fire(db, "afterMigrateApplied", log)
    except cancel.Cancelled as stop:
        running = stop.detail or "the migration it was running, if any, was rolled back"
        stop.detail = f"{_applied_text(applied, initial_text)}; {running}"
        raise
    versions = [a.script.version for a in applied if a.script.version is not None]
    final = max(versions).text if versions else initial_text
    total = int(round((time.perf_counter() - started) * 1000))
    if applied:
        log(
            f"Successfully applied {len(applied)} migration{'s' * (len(applied) != 1)} to "
            f'schema "{session.schema}", now at version v{final or "-"} ({total} ms)'
            + (": recorded without running them (skipExecutingMigrations)" if skip else "")
        )
    else:
        log(f'Schema "{session.schema}" is up to date. No migration necessary.')
    # `Flyway.migrate`: onOperationFinishEvent(AFTER_MIGRATE_OPERATION_FINISH) once DbMigrate
    # has returned, so only on success.
    callbacks.fire(db, "afterMigrateOperationFinish", log)
    return MigrateResult(
        session.database_text,
        session.schema,
        initial_text,
        final,
        applied,
        total,
        found.warnings,
    )


def _fire(session: Session, event: str, log: Log, *, grouped: bool) -> None:
    """Run a migrate event's callbacks; within a group, in the group's transaction (Flyway's
    `doMigrateGroup` fires afterVersioned and beforeRepeatables inside it)."""
    if not grouped:
        session.callbacks.fire(session.db, event, log)
        return
    for script in session.callbacks.get(event):
        log(f"Executing SQL callback: {event} - {script.script.path.name}")
        run_callbacks(session.db, [script])


def _applied_text(applied: list[AppliedStep], initial: str | None) -> str:
    """What a cancelled migrate had done: the migrations it applied, and where it left off."""
    if not applied:
        return f"no migration applied (still at version {initial or '<< empty >>'})"
    versions = [a.script.version for a in applied if a.script.version is not None]
    now = max(versions).text if versions else initial
    names = ", ".join(a.script.script for a in applied[:5])
    more = f" and {len(applied) - 5} more" if len(applied) > 5 else ""
    return (
        f"applied {len(applied)} migration{'s' * (len(applied) != 1)} ({names}{more}), now at "
        f"version {now or '<< empty >>'}"
    )


def validate_before_migrate(session: Session, log: Log) -> None:
    """`validateOnMigrate` (default true): any validation problem stops migrate (exit 1).

    As in `Flyway.migrate`: validation with its callbacks (`validate_session`), pending
    migrations ignored; `afterValidateError` has fired when this raises, and neither
    `beforeMigrate` nor `afterMigrateError` fires. With validateOnMigrate off, Flyway
    skips `DbValidate` altogether, so no validate callback fires either."""
    if not session.settings.validate_on_migrate:
        return
    problems = validate_session(session, fail_on_pending=False, log=log)
    if problems:
        for problem in problems:
            log(f"ERROR: {problem}")
        first = problems[0]
        more = f" ({len(problems) - 1} more above)" if len(problems) > 1 else ""
        raise GateFailed(f"validate failed: {first.message}{more}", file=first.file)


def prepare_pending(session: Session) -> dict[str, PreparedScript]:
    """Every pending script, prepared (read, placeholders replaced, split), by script path."""
    return {
        entry.resolved.script: prepare(entry.resolved, session.placeholders, session.db)
        for entry in session.status.pending()
        if entry.resolved is not None
    }


def plan_migrations(session: Session, ready: dict[str, PreparedScript]) -> list[PreparedScript]:
    """What migrate applies now, in order, honouring `--target current|next|VERSION`."""
    plan = planned(session.status, session.target)
    return [
        ready.get(e.resolved.script) or prepare(e.resolved, session.placeholders, session.db)
        for e in plan
        if e.resolved is not None
    ]


def planned(status: MigrationStatus, target: Target) -> list[MigrationInfo]:
    """The pending migrations migrate applies now, in order (`--target current|next`;
    a version target is already in the status: migrations above it are not pending)."""
    pending = status.pending()
    if target.mode == "current":
        return [e for e in pending if e.version is None]
    if target.mode == "next":
        versioned = [e for e in pending if e.version is not None][:1]
        return versioned + [e for e in pending if e.version is None]
    return pending


def record_all(
    db: Database,
    history: SchemaHistory,
    prepared: list[PreparedScript],
    installed_by: str,
    on_applied: Callable[[PreparedScript, int], None],
    hooks: Hooks = NO_HOOKS,
) -> None:
    """`skipExecutingMigrations`: record each migration as applied without running it.

    As Flyway's `DbMigrate.doMigrateGroup` does when it skips: no statement and none of
    the per-migration callbacks (`hooks`: `beforeEachMigrate`, … belong to the execution
    it skips; the migrate-level ones still fire), then the row `addAppliedMigration` writes
    for a migration that ran: its type, its checksum, success true, and as execution time
    what its stopwatch measured around the skipped execution, i.e. nothing. Each row is
    its own transaction, as each migration is when it runs."""
    del hooks  # never run: they surround a migration's execution
    for step in prepared:
        cancel.check()
        elapsed = 0  # Flyway's stopwatch around an execution it skipped: 0 ms
        db.begin()
        try:
            record_applied(history, step, installed_by, elapsed, success=True)
            db.commit()
        except BaseException:
            db.rollback()
            raise
        on_applied(step, elapsed)
