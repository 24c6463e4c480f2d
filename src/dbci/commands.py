"""The commands as plain functions: `dbci migrate` and the action both call these.

Each takes the run's `Settings` and a `log` callable for progress lines, and returns
a result object that the command line renders as text or JSON.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from dbci.config import Settings
from dbci.discovery import Discovered, MigrationScript, discover
from dbci.engines import open_database
from dbci.engines.base import Database
from dbci.errors import GateFailed, InputError
from dbci.history import SCHEMA_MARKER, AppliedMigration, SchemaHistory
from dbci.placeholders import Placeholders
from dbci.runner import PreparedScript, apply_all, prepare, script_checksum
from dbci.state import MigrationInfo, MigrationStatus, build_status
from dbci.validation import Problem, validate_status
from dbci.version import Version

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclass
class Target:
    """`--target`: a version, `latest` (default), `current` or `next`."""

    version: Version | None = None
    mode: str = "latest"

    @classmethod
    def parse(cls, raw: str | None) -> Target:
        if raw is None or raw.strip().lower() in ("", "latest"):
            return cls()
        lowered = raw.strip().lower()
        if lowered in ("current", "next"):
            return cls(mode=lowered)
        try:
            return cls(Version.parse(raw.strip()), "version")
        except ValueError as exc:
            raise InputError(f"--target: {exc}; or latest, current, next") from None


@dataclass
class Session:
    """An open database with its history table and the run's placeholders."""

    settings: Settings
    found: Discovered
    db: Database
    schema: str
    history: SchemaHistory
    rows: list[AppliedMigration]
    placeholders: Placeholders
    status: MigrationStatus

    @property
    def database_text(self) -> str:
        return f"{self.db.url_text} ({self.db.display_name} {self.db.server_version()})"


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


def info(settings: Settings, *, log: Log = _quiet) -> InfoResult:
    """Every migration and its state. Read-only: creates nothing in the database."""
    found = discover(settings)
    with _session(settings, found, Target.parse(settings.target), create=False, log=log) as session:
        return InfoResult(session.database_text, session.schema, session.status, found.warnings)


def validate(
    settings: Settings, *, fail_on_pending: bool = False, log: Log = _quiet
) -> ValidateResult:
    """Check the history against the files; the caller decides what the problems fail."""
    found = discover(settings)
    with _session(settings, found, Target.parse(settings.target), create=False, log=log) as session:
        problems = validate_status(
            session.status, settings.ignore_migration_patterns, fail_on_pending=fail_on_pending
        )
        validated = sum(1 for e in session.status.entries if e.resolved is not None)
        return ValidateResult(session.database_text, validated, problems, found.warnings)


def migrate(settings: Settings, *, log: Log = _quiet) -> MigrateResult:
    """Apply pending migrations up to the target, one transaction each, under the lock."""
    started = time.perf_counter()
    target = Target.parse(settings.target)
    found = discover(settings)
    for warning in found.warnings:
        log(f"WARNING: {warning}")
    with _session(settings, found, target, create=True, log=log) as session:
        status = session.status
        if settings.validate_on_migrate:
            problems = validate_status(
                status, settings.ignore_migration_patterns, fail_on_pending=False
            )
            if problems:
                for problem in problems:
                    log(f"ERROR: {problem}")
                first = problems[0]
                more = f" ({len(problems) - 1} more above)" if len(problems) > 1 else ""
                raise GateFailed(f"validate failed: {first.message}{more}", file=first.file)
        plan = _plan(session, target)
        # Prepare everything first: a bad script fails the run before any SQL is sent.
        prepared = [prepare(entry.resolved, session.placeholders, session.db) for entry in plan]
        initial = status.current_version.text if status.current_version else None
        log(f'Current version of schema "{session.schema}": {initial or "<< Empty Schema >>"}')
        installed_by = settings.installed_by or session.db.current_user()
        applied: list[AppliedStep] = []

        def done(step: PreparedScript, elapsed: int) -> None:
            applied.append(AppliedStep(step.script, elapsed))
            log(f'Migrated schema "{session.schema}" to {step.name} ({elapsed} ms)')

        apply_all(session.db, session.history, prepared, installed_by, done)
        versions = [a.script.version for a in applied if a.script.version is not None]
        final = max(versions).text if versions else initial
        total = int(round((time.perf_counter() - started) * 1000))
        if applied:
            log(
                f"Successfully applied {len(applied)} migration{'s' * (len(applied) != 1)} to "
                f'schema "{session.schema}", now at version v{final or "-"} ({total} ms)'
            )
        else:
            log(f'Schema "{session.schema}" is up to date. No migration necessary.')
        return MigrateResult(
            session.database_text, session.schema, initial, final, applied, total, found.warnings
        )


def _plan(session: Session, target: Target) -> list[MigrationInfo]:
    if target.mode == "current":
        return [e for e in session.status.pending() if e.version is None]
    pending = session.status.pending()
    if target.mode == "next":
        versioned = [e for e in pending if e.version is not None][:1]
        return versioned + [e for e in pending if e.version is None]
    return pending


@contextlib.contextmanager
def _session(
    settings: Settings, found: Discovered, target: Target, *, create: bool, log: Log
) -> Iterator[Session]:
    db = open_database(settings)
    try:
        log(f"Database: {db.url_text} ({db.display_name} {db.server_version()})")
        schema = settings.default_schema or (settings.schemas[0] if settings.schemas else None)
        schema = schema or db.current_schema()
        history = SchemaHistory(db, schema, settings.table)
        lock = (
            db.lock(
                schema,
                settings.table,
                on_wait=lambda: log("Waiting for another migration to finish (lock)…"),
            )
            if create
            else contextlib.nullcontext()
        )
        with lock:
            exists = history.exists()
            if create and not exists:
                created = _ensure_schemas(db, settings, schema)
                db.use_schema(schema)
                log(f"Creating schema history table {history.qualified}")
                history.create()
                if created:
                    history.add(
                        version=None,
                        description=SCHEMA_MARKER,
                        type="SCHEMA",
                        script=",".join(db.quote(s) for s in created),
                        checksum=None,
                        installed_by=settings.installed_by or db.current_user(),
                        execution_time=0,
                        success=True,
                    )
                exists = True
            elif create:
                db.use_schema(schema)
            rows = history.rows() if exists else []
            placeholders = _placeholders(settings, db, schema)
            status = build_status(
                found,
                rows,
                {s.script: script_checksum(s, placeholders) for s in found.repeatable},
                out_of_order=settings.out_of_order,
                target=target.version,
                checksums={
                    s.script: script_checksum(s, placeholders)
                    for s in found.versioned + found.baseline
                },
            )
            yield Session(settings, found, db, schema, history, rows, placeholders, status)
    finally:
        db.close()


def _ensure_schemas(db: Database, settings: Settings, default_schema: str) -> list[str]:
    """Create the configured schemas that are missing; return those created."""
    wanted = [default_schema] + [s for s in settings.schemas if s != default_schema]
    created = []
    for schema in wanted:
        if db.schema_exists(schema):
            continue
        if not settings.create_schemas:
            raise InputError(
                f"{settings.where()}: schema {schema!r} does not exist and createSchemas is false"
            )
        db.create_schema(schema)
        created.append(schema)
    return created


def _placeholders(settings: Settings, db: Database, schema: str) -> Placeholders:
    builtins = {
        "defaultSchema": schema,
        "user": settings.user or db.current_user(),
        "database": db.database_name(),
        "timestamp": datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
        "workingDirectory": os.getcwd(),
        "table": settings.table,
        "environment": settings.environment or "",
    }
    return Placeholders.build(
        settings.placeholders,
        builtins,
        prefix=settings.placeholder_prefix,
        suffix=settings.placeholder_suffix,
        enabled=settings.placeholder_replacement,
    )
