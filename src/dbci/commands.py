"""The commands as plain functions: `dbci migrate` and the action both call these.

Each takes the run's `Settings` and a `log` callable for progress lines, and returns
a result object that the command line renders as text or JSON. The lifecycle commands
(baseline, repair, clean, undo) are in `lifecycle`, the dry run in `dryrun`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from dbci import cancel
from dbci.config import Settings
from dbci.discovery import Discovered, MigrationScript, discover
from dbci.errors import GateFailed
from dbci.runner import PreparedScript, apply_all, prepare
from dbci.session import (
    Log,
    Session,
    Target,
    ensure_history,
    open_session,
    plan_history,
    quiet,
)
from dbci.state import MigrationInfo, MigrationStatus
from dbci.validation import Problem, validate_status


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
        session.callbacks.fire(session.db, "beforeValidate", log)
        problems = validate_status(
            session.status, settings.ignore_migration_patterns, fail_on_pending=fail_on_pending
        )
        session.callbacks.fire(
            session.db, "afterValidateError" if problems else "afterValidate", log
        )
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
) -> MigrateResult:
    """`migrate` on a session that already holds the lock (deploy keeps it for longer).

    `progress` receives each migration as it is applied, so a caller still knows what was
    applied when a later one fails (deploy reports it)."""
    settings = session.settings
    history_plan = plan_history(session, baseline_on_migrate=settings.baseline_on_migrate)
    validate_before_migrate(session, log)
    # Prepare everything first: a bad script fails the run before any SQL is sent.
    ready = prepare_pending(session)
    ensure_history(session, history_plan, log)
    current = session.status.current_version
    initial_text = current.text if current else None
    log(f'Current version of schema "{session.schema}": {initial_text or "<< Empty Schema >>"}')
    prepared = plan_migrations(session, ready)
    applied: list[AppliedStep] = [] if progress is None else progress

    def done(step: PreparedScript, elapsed: int) -> None:
        applied.append(AppliedStep(step.script, elapsed))
        log(f'Migrated schema "{session.schema}" to {step.name} ({elapsed} ms)')

    db, callbacks = session.db, session.callbacks
    hooks = callbacks.hooks("Migrate")
    try:
        with session.event("Migrate", log):
            versioned = [p for p in prepared if p.script.version is not None]
            apply_all(db, session.history, versioned, session.installed_by, done, hooks)
            if versioned:
                callbacks.fire(db, "afterVersioned", log)
            repeatable = [p for p in prepared if p.script.version is None]
            apply_all(db, session.history, repeatable, session.installed_by, done, hooks)
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
        )
    else:
        log(f'Schema "{session.schema}" is up to date. No migration necessary.')
    return MigrateResult(
        session.database_text,
        session.schema,
        initial_text,
        final,
        applied,
        total,
        found.warnings,
    )


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
    """`validateOnMigrate` (default true): any validation problem stops migrate (exit 1)."""
    if not session.settings.validate_on_migrate:
        return
    problems = validate_status(
        session.status, session.settings.ignore_migration_patterns, fail_on_pending=False
    )
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
    plan = _plan(session.status, session.target)
    return [
        ready.get(e.resolved.script) or prepare(e.resolved, session.placeholders, session.db)
        for e in plan
        if e.resolved is not None
    ]


def _plan(status: MigrationStatus, target: Target) -> list[MigrationInfo]:
    pending = status.pending()
    if target.mode == "current":
        return [e for e in pending if e.version is None]
    if target.mode == "next":
        versioned = [e for e in pending if e.version is not None][:1]
        return versioned + [e for e in pending if e.version is None]
    return pending
