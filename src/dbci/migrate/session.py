"""One command's view of one database: the connection, the history, the merged status.

Every command opens a `Session`: it connects, finds the history table, reads it, merges
it with the files (`state.build_status`) and prepares the callbacks. Commands that write
take the migration lock for the whole session. Nothing is created here: `ensure_history`
creates the schemas and the history table for the commands that need them.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from dbci.engines import open_database
from dbci.engines.base import Database
from dbci.errors import GateFailed, InputError
from dbci.log import Log, quiet
from dbci.migrate.callbacks import Callbacks
from dbci.migrate.discovery import Discovered
from dbci.migrate.history import BASELINE_MARKER, SCHEMA_MARKER, AppliedMigration, SchemaHistory
from dbci.migrate.locking import LockPolicy
from dbci.migrate.lockwatch import LockWatch
from dbci.migrate.prepare import script_checksum
from dbci.migrate.state import MigrationStatus, build_status
from dbci.migrate.validation import Problem, validate_status
from dbci.migrate.version import Version
from dbci.settings.config import Settings
from dbci.settings.placeholders import Placeholders


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
    """An open database with its history table, the run's placeholders and callbacks."""

    settings: Settings
    found: Discovered
    db: Database
    schema: str
    history: SchemaHistory
    history_exists: bool
    rows: list[AppliedMigration]
    placeholders: Placeholders
    callbacks: Callbacks
    target: Target
    status: MigrationStatus
    firing: bool = True  # False in a dry run: its callbacks are written out, never run

    @property
    def database_text(self) -> str:
        return f"{self.db.url_text} ({self.db.display_name} {self.db.server_version()})"

    @functools.cached_property
    def installed_by(self) -> str:
        """`installedBy`, else the login (asked of the database once per session)."""
        return self.settings.installed_by or self.db.current_user()

    def refresh(self) -> None:
        """Re-read the history table and rebuild the status (after it was written)."""
        self.history_exists = self.history.exists()
        self.rebuild(self.history.rows() if self.history_exists else [])

    def rebuild(self, rows: list[AppliedMigration]) -> None:
        """Rebuild the status from `rows` (a dry run passes the rows it would write)."""
        self.rows = rows
        self.status = _status(self.found, rows, self.placeholders, self.settings, self.target)

    def fire(self, event: str, log: Log, *, reread: bool = False) -> None:
        """Run an event's callbacks (never in a dry run); `reread`: then read the history
        again, since a callback may have changed it (Flyway's commands read the history
        only after their `before` callbacks have run)."""
        if not self.firing or not self.callbacks.get(event):
            return
        self.callbacks.fire(self.db, event, log)
        if reread:
            self.refresh()

    @contextlib.contextmanager
    def event(self, name: str, log: Log) -> Iterator[None]:
        """Fire `before<name>` and read the history again, run the body, then fire
        `after<name>`, or `after<name>Error` if the body fails (as Flyway's `Db<Command>`
        classes do: `DbInfo`, `DbRepair`, `DbBaseline`, `DbMigrate`, `DbUndo`, `DbClean`)."""
        self.fire(f"before{name}", log, reread=True)
        try:
            yield
        except BaseException:
            # The command's own error is the one to report, not a failing error callback's.
            with contextlib.suppress(Exception):
                self.fire(f"after{name}Error", log)
            raise
        self.fire(f"after{name}", log)

    def managed_schemas(self) -> list[str]:
        """The default schema first, then the other configured schemas."""
        return [self.schema] + [s for s in self.settings.schemas if s != self.schema]

    def created_schemas(self) -> list[str]:
        """The schemas the history's `<< Flyway Schema Creation >>` row says dbci created."""
        names: list[str] = []
        for row in self.rows:
            if row.type == "SCHEMA":
                names += [n.strip().strip('"').replace('""', '"') for n in row.script.split(",")]
        return [n for n in names if n]


@contextlib.contextmanager
def open_session(
    settings: Settings,
    found: Discovered,
    *,
    target: Target | None = None,
    lock: bool,
    log: Log = quiet,
    run_callbacks: bool = True,
) -> Iterator[Session]:
    """Connect, read the history and merge it with the files; `lock` for writing commands.

    `run_callbacks=False` (a dry run) keeps `afterConnect` from running: it is written out.
    """
    target = target or Target.parse(settings.target)
    db = open_database(settings)
    try:
        # A connection that drops anywhere in the session (the history, the lock, dbci's
        # own tables) is one line and exit 3, as it is during a migration's statements.
        with db.losing_connection():
            log(f"Database: {db.url_text} ({db.display_name} {db.server_version()})")
            # The state each migration, callback and history row starts from (the role, …),
            # as the connection was opened: before any script can change it.
            db.capture_state()
            schema = settings.default_schema or (settings.schemas[0] if settings.schemas else None)
            schema = schema or db.current_schema()
            history = SchemaHistory(db, schema, settings.table)
            policy = LockPolicy.of(settings)
            held = (
                db.lock(
                    schema,
                    settings.table,
                    on_wait=lambda: log("Waiting for another migration to finish (lock)…"),
                    retry_count=policy.lock_retry_count,
                )
                if lock
                else contextlib.nullcontext()
            )
            with held:
                if lock:  # a writing command: bounded lock waits, and who is in the way
                    db.apply_timeouts(policy)
                    db.notify = log
                    if policy.lock_timeout > 0 and db.watches_lock_waits:
                        db.lock_watch = LockWatch(db, after=min(1.0, policy.lock_timeout / 2))
                exists = history.exists()
                if exists:
                    db.use_schema(schema)
                rows = history.rows() if exists else []
                placeholders = _placeholders(settings, db, schema)
                callbacks = Callbacks.prepare(found, placeholders, db)
                for warning in callbacks.warnings:
                    log(f"WARNING: {warning}")
                status = _status(found, rows, placeholders, settings, target)
                session = Session(
                    settings,
                    found,
                    db,
                    schema,
                    history,
                    exists,
                    rows,
                    placeholders,
                    callbacks,
                    target,
                    status,
                    run_callbacks,
                )
                # FlywayExecutor.execute fires afterConnect before any command reads the
                # history; read it again in case the callback changed it.
                session.fire("afterConnect", log, reread=True)
                yield session
    finally:
        db.close()


def _status(
    found: Discovered,
    rows: list[AppliedMigration],
    placeholders: Placeholders,
    settings: Settings,
    target: Target,
) -> MigrationStatus:
    return build_status(
        found,
        rows,
        {s.script: script_checksum(s, placeholders) for s in found.repeatable},
        out_of_order=settings.out_of_order,
        target=target.version,
        checksums={
            s.script: script_checksum(s, placeholders) for s in found.versioned + found.baseline
        },
    )


def validate_session(session: Session, *, fail_on_pending: bool, log: Log) -> list[Problem]:
    """Validate as Flyway's `DbValidate.validate` does, callbacks included, for `validate`
    and for migrate's `validateOnMigrate`: `beforeValidate`, then the history read again
    (so a `beforeValidate.sql` that repairs checksums counts on this run), the check, then
    `afterValidate`, or `afterValidateError` when there are problems (fired before the
    command fails: `Flyway.migrate` throws only once `DbValidate` has returned).

    Where the default schema does not exist, `DbValidate` returns before any callback;
    so does this."""
    if session.db.schema_exists(session.schema):
        session.fire("beforeValidate", log, reread=True)
        fired = True
    else:
        fired = False
    problems = validate_status(
        session.status, session.settings.ignore_migration_patterns, fail_on_pending=fail_on_pending
    )
    if fired:
        session.fire("afterValidateError" if problems else "afterValidate", log)
    return problems


@dataclass(frozen=True)
class HistoryPlan:
    """What `ensure_history` will do: the SQL a dry run prints, in order."""

    create_schemas: list[str]
    create_table: bool
    baseline: Version | None  # baselineOnMigrate on a non-empty schema: its version


def plan_history(session: Session, *, baseline_on_migrate: bool) -> HistoryPlan:
    """Decide how migrate starts on a database without a history table.

    A schema that already holds objects but no history table is refused (as Flyway does)
    unless `baselineOnMigrate` is set: then the history starts with a baseline row.
    """
    if session.history_exists:
        return HistoryPlan([], False, None)
    from dbci.migrate.clean import list_objects

    settings, db = session.settings, session.db
    missing = schemas_to_create(session)
    existing = [s for s in session.managed_schemas() if s not in missing]
    # Extensions alone do not make a schema "in use": a DBA often installs them in a new
    # database (in public) before its first migration.
    objects = [o for o in list_objects(db, existing) if o.kind != "extension"] if existing else []
    baseline = None
    if objects:
        names = ", ".join(f'"{s}"' for s in dict.fromkeys(o.schema for o in objects))
        if not baseline_on_migrate:
            raise GateFailed(
                f"found non-empty schema(s) {names} in {settings.where()} but no schema history "
                f"table {session.history.qualified}: {_no_history_advice(settings)}"
            )
        baseline = baseline_version(settings)
    return HistoryPlan(missing, True, baseline)


def _no_history_advice(settings: Settings) -> str:
    """What to do about objects without a history. A build database (it has a
    provisioner) is rebuilt from the migrations, never baselined: a baseline would hide
    what its migrations make behind whatever it held."""
    if settings.provisioner is not None:
        return (
            f"it is a build database (provisioner {settings.provisioner!r}): clean it, or "
            "build or diff with --rebuild, to build it from the migrations"
        )
    return (
        "run `dbci baseline`, or set baselineOnMigrate = true, to start the history at the "
        "existing schema"
    )


def schemas_to_create(session: Session) -> list[str]:
    """The managed schemas that do not exist yet; an error if `createSchemas` is false."""
    missing = [s for s in session.managed_schemas() if not session.db.schema_exists(s)]
    if missing and not session.settings.create_schemas:
        raise InputError(
            f"{session.settings.where()}: schema {missing[0]!r} does not exist and "
            "createSchemas is false"
        )
    return missing


def ensure_history(session: Session, plan: HistoryPlan, log: Log) -> None:
    """Create the missing schemas, the history table and its first rows, per `plan`."""
    if not plan.create_table:
        return
    db, history = session.db, session.history
    if plan.create_schemas:
        session.callbacks.fire(db, "beforeCreateSchema", log)
        log(f"Creating schema(s) {', '.join(db.quote(s) for s in plan.create_schemas)}")
    for schema in plan.create_schemas:
        db.create_schema(schema)
    db.use_schema(session.schema)
    # baselineOnMigrate: `Flyway.migrate` runs `DbBaseline`, whose callbacks fire around the
    # history table's creation with its baseline row.
    baselining = (
        session.event("Baseline", log) if plan.baseline is not None else contextlib.nullcontext()
    )
    with baselining:
        log(f"Creating schema history table {history.qualified}")
        history.create()
        if plan.create_schemas:
            history.add(
                version=None,
                description=SCHEMA_MARKER,
                type="SCHEMA",
                script=",".join(db.quote(s) for s in plan.create_schemas),
                checksum=None,
                installed_by=session.installed_by,
                execution_time=0,
                success=True,
            )
        if plan.baseline is not None:
            add_baseline_row(session, plan.baseline, session.settings.baseline_description)
            log(f"Successfully baselined schema with version: {plan.baseline}")
    session.refresh()


def add_baseline_row(session: Session, version: Version, description: str) -> None:
    """The `BASELINE` row Flyway writes: the history starts at `version`."""
    session.history.add(
        version=version.text,
        description=description,
        type="BASELINE",
        script=BASELINE_MARKER,
        checksum=None,
        installed_by=session.installed_by,
        execution_time=0,
        success=True,
    )


def baseline_version(settings: Settings) -> Version:
    """`baselineVersion` (or `--baseline-version`), parsed; a bad one is bad input."""
    try:
        return Version.parse(settings.baseline_version)
    except ValueError as exc:
        raise InputError(f"baselineVersion: {exc}") from None


def _placeholders(settings: Settings, db: Database, schema: str) -> Placeholders:
    return flyway_placeholders(
        settings,
        schema=schema,
        user=settings.user or db.current_user(),
        database=db.database_name(),
    )


def flyway_placeholders(
    settings: Settings, *, schema: str, user: str, database: str
) -> Placeholders:
    """The settings' placeholders with Flyway's `flyway:` built-ins for this database."""
    builtins = {
        "defaultSchema": schema,
        "user": user,
        "database": database,
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
