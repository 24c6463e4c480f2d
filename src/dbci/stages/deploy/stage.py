"""`dbci deploy -e TARGET[,TARGET…]`: apply the pending migrations to each target.

For each target, in this order: take the database lock; validate; check drift against the
snapshot the last deploy saved (or, for a target dbci has not deployed yet, against what
its applied migrations make on the build database; a target without history is expected
empty) and refuse when it drifted (the default for deploy); hold to the checked plan
(`--plan`); apply the pending migrations; save the schema as this deploy left it to
`dbci_snapshot_history`; release the lock. Several targets run in parallel, up to
`parallel` at once; one target's failure stops the others only with `fail_fast`.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbci import cancel
from dbci.console import remember_settings
from dbci.errors import DbciError, GateFailed, InputError
from dbci.log import Log, quiet
from dbci.schema.model import Snapshot
from dbci.schema.names import qualified_name
from dbci.settings.config import Overrides, Settings, load_settings, project_settings

if TYPE_CHECKING:
    from dbci.migrate.session import Session
    from dbci.schema.diff import Change


@dataclass
class TargetDeploy:
    """One target's deploy (an item of report.json's `deploy.targets`)."""

    environment: str
    status: str = "pending"  # success | failed | skipped | cancelled
    from_version: str | None = None
    to_version: str | None = None
    applied: list[dict[str, Any]] = field(default_factory=list)
    drift: list[dict[str, Any]] = field(default_factory=list)
    # The drift gate's outcome: passed (no drift), refused (drift: the target was left as it
    # was), ignored (drift, deployed anyway: --no-fail-on-drift); None when it did not run.
    drift_gate: str | None = None
    error: str | None = None
    # How many migrations the target has pending after this deploy (None: never read).
    still_pending: int | None = None
    exit_code: int = 0
    duration_ms: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data.pop("exit_code")
        return data


@dataclass
class DeployResult:
    """report.json's `deploy` section."""

    targets: list[TargetDeploy] = field(default_factory=list)
    # The environments the targets were resolved to (a `--url` target: the default one),
    # in order, for report.json's `environment`.
    environments: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if any(t.status == "cancelled" for t in self.targets):
            return "cancelled"
        return "success" if all(t.status == "success" for t in self.targets) else "failed"

    def to_dict(self) -> dict[str, Any]:
        first = self.targets[0] if len(self.targets) == 1 else None
        return {
            "status": self.status,
            "from_version": first.from_version if first else None,
            "to_version": first.to_version if first else None,
            "applied": first.applied if first else [],
            "targets": [t.to_dict() for t in self.targets],
        }


def target_names(overrides: Overrides, environ: Mapping[str, str] | None = None) -> list[str]:
    """The targets, by the same precedence as every command: `-e qa,uat`, else
    `DBCI_ENVIRONMENT`, else the one database `--url` or `DBCI_URL` names (with the default
    environment's settings, as `migrate --url` takes them; "--url"), else `[dbci.deploy]
    targets`, else `[flyway] environment`. A URL names one database: with several targets it
    is refused, never applied to each of them."""
    environ = os.environ if environ is None else environ
    named = overrides.environment or environ.get("DBCI_ENVIRONMENT")
    url = overrides.url or environ.get("DBCI_URL")
    if named:
        names = [n.strip() for n in named.split(",") if n.strip()]
        if len(names) > 1 and url:
            given = "--url" if overrides.url else "DBCI_URL"
            raise InputError(
                f"{given} names one database, and {len(names)} targets are given "
                f"({', '.join(names)}): deploy one target with it"
            )
        return names
    if url:
        return ["--url"]
    project = project_settings(overrides, environ)
    listed = project.dbci.get("deploy", {}).get("targets")
    if listed is not None:
        if not isinstance(listed, list) or not all(isinstance(n, str) for n in listed):
            raise InputError("[dbci.deploy] targets must be a list of environment names")
        return list(listed)
    if project.default_environment is None:
        raise InputError("deploy needs a target: -e ENVIRONMENT[,ENVIRONMENT…] or --url")
    return [project.default_environment]


def target_overrides(overrides: Overrides, name: str) -> Overrides:
    """What names one target: its environment (a `--url` given stays, and wins over the
    environment's url, as for every command), or, for "--url", the URL alone."""
    if name == "--url":
        return dataclasses.replace(overrides, environment=None)
    return dataclasses.replace(overrides, environment=name)


def deploy(
    overrides: Overrides,
    *,
    parallel: int = 4,
    fail_fast: bool = False,
    plan_path: Path | None = None,
    fail_on_drift: bool = True,
    undo_on_failure: bool = False,
    build_env: str | None = None,
    log: Log = quiet,
) -> DeployResult:
    """Deploy to every target; each result (and error) is in the returned result.

    `build_env` names the build environment on which the drift gate rebuilds what a
    target's history says, when no up-to-date snapshot of it was saved (the build stage's
    choice when None)."""
    names = target_names(overrides)
    if len(names) > 1 and plan_path is not None:
        raise InputError("--plan holds one target to its check: deploy one target with it")
    if plan_path is not None:
        from dbci.stages.deploy.plan import load_plan

        # A plan file that is not a checked plan is bad input: refused before any target
        # is locked or touched, and before report.json is written.
        load_plan(plan_path, None)
    result = DeployResult([TargetDeploy(name) for name in names])
    stop = threading.Event()
    lock = threading.Lock()

    def one(target: TargetDeploy) -> None:
        if cancel.requested():
            target.status, target.error = "cancelled", "not started: the deploy was cancelled"
            return
        if stop.is_set():
            target.status, target.error = "skipped", "not started: another target failed"
            return
        prefix = f"[{target.environment}] " if len(names) > 1 else ""

        def say(text: str) -> None:
            with lock:
                log(prefix + text)

        started = time.perf_counter()
        try:
            settings = load_settings(target_overrides(overrides, target.environment))
            remember_settings(settings)
            if settings.environment:
                with lock:
                    result.environments.append(settings.environment)
            _deploy_one(
                settings,
                target,
                plan_path,
                fail_on_drift,
                undo_on_failure,
                say,
                _Builder(overrides, build_env),
            )
            target.status = "success"
        except cancel.Cancelled as stopped:
            target.status, target.error = "cancelled", str(stopped)
            target.exit_code = stopped.exit_code
        except DbciError as exc:
            if cancel.requested():  # the statement the signal cancelled
                signalled = cancel.cancelled()
                target.status, target.error = "cancelled", f"{signalled}: {exc}"
                target.exit_code = signalled.exit_code
            else:
                target.status, target.error, target.exit_code = "failed", str(exc), exc.exit_code
                say(f"ERROR: {exc}")
                if fail_fast:
                    stop.set()
        target.duration_ms = int(round((time.perf_counter() - started) * 1000))

    workers = max(1, min(parallel, len(names)))
    if workers == 1:
        # One at a time in this (the main) thread: a signal reaches the work directly.
        for target in result.targets:
            one(target)
        return result
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(one, result.targets))
    except cancel.Cancelled as stopped:
        # The handler's, in this thread while it waited: the pool's exit waited for the
        # targets, whose statements the signal cancelled on their servers.
        for target in result.targets:
            if target.status == "pending":
                target.status, target.error = "cancelled", str(stopped)
    return result


def _deploy_one(
    settings: Settings,
    target: TargetDeploy,
    plan_path: Path | None,
    fail_on_drift: bool,
    undo_on_failure: bool,
    log: Log,
    builder: _Builder,
) -> None:
    from dbci.migrate.commands import AppliedStep, migrate_session, validate_before_migrate
    from dbci.migrate.discovery import discover
    from dbci.migrate.session import open_session
    from dbci.schema.commands import take_snapshot
    from dbci.schema.snapshot_history import save_snapshot
    from dbci.schema.sources import SnapshotHistory
    from dbci.stages.deploy.plan import check_plan, checked_snapshot, load_plan

    found = discover(settings)
    started = time.perf_counter()
    progress: list[AppliedStep] = []
    with open_session(settings, found, lock=True, log=log) as session:  # the lock, held
        # Validate first, callbacks included, as migrate does: a beforeValidate callback
        # may rewrite the history that the plan and the drift check read next.
        validate_before_migrate(session, log)
        current = session.status.current_version
        target.from_version = current.text if current else None
        pending_before = len(session.status.pending())
        target.still_pending = pending_before
        live = take_snapshot(settings)[1]
        if plan_path is not None:
            pending = [
                {"script": e.script, "checksum": e.checksum} for e in session.status.pending()
            ]
            check_plan(
                load_plan(plan_path, settings.environment),
                pending,
                live,
                checked_snapshot(plan_path),
            )
        # The drift sources of `schema/sources.py`: the snapshot the last deploy saved, while
        # the history is what it was then; else what the applied migrations make (rebuild).
        saved = SnapshotHistory.up_to_date(
            session.db, session.schema, session.rows, target.from_version
        )
        if saved is not None:
            expected = saved
        elif not session.history_exists:
            # Never migrated: expected empty, but for the schemas themselves.
            expected = Snapshot(
                live.dialect, {k: o for k, o in live.objects.items() if o.kind == "schema"}
            )
        else:
            # No snapshot, or one the history has moved on from (a deploy killed after a
            # migration and before its snapshot): what the applied migrations make.
            expected = builder.snapshot(settings, target.from_version)
        if settings.skip_executing_migrations:
            # The pending migrations' changes were made by hand (that is what recording
            # them without running is for): the live schema must be what they make.
            expected = builder.snapshot(settings, _skipped_to(session, target.from_version))
        drifted, resumed = _drift(expected, live, session, builder, log)
        target.drift = [
            {"change": c.change, "type": c.type, "schema": c.schema, "name": c.name}
            for c in drifted
        ]
        target.drift_gate = "passed" if not drifted else "refused" if fail_on_drift else "ignored"
        if drifted and fail_on_drift:
            names = ", ".join(
                f"{c.change} {c.type} {qualified_name(c.schema, c.name)}" for c in drifted[:5]
            )
            more = f" and {len(drifted) - 5} more" if len(drifted) > 5 else ""
            raise GateFailed(
                f"{settings.where()} has drifted from its migrations ({names}{more}): "
                "run dbci check, resolve it (drift-revert.sql), or deploy with --no-fail-on-drift"
            )
        if drifted:
            log(f"WARNING: {len(drifted)} objects drifted; deploying anyway (--no-fail-on-drift)")
        transactional = session.db.transactional_ddl
        failed: DbciError | None = None
        try:
            done = migrate_session(
                session, found, started, log=log, progress=progress, validated=True
            )
        except DbciError as failure:
            failed = failure
        else:
            target.to_version = done.target_version
            # Still under the lock: the schema exactly as this deploy left it, and the
            # history it goes with.
            session.refresh()
            target.still_pending = len(session.status.pending())
            after = take_snapshot(settings)[1]
            if resumed:
                _check_resumed(settings, builder, done.target_version, after)
            save_snapshot(session.db, session.schema, after, done.target_version, session.rows)
        finally:
            # What was applied, also when a later migration failed or the connection went.
            reached = [a.script.version for a in progress if a.script.version is not None]
            if target.to_version is None and reached:
                target.to_version = max(reached).text
            if failed is not None:
                target.still_pending = max(0, pending_before - len(progress))
            target.applied = [
                {
                    "version": a.script.version.text if a.script.version else None,
                    "description": a.script.description,
                    "script": a.script.script,
                    "duration_ms": a.execution_ms,
                    "notices": [
                        {"message": n.message, "sql_state": n.sql_state, "error_code": n.error_code}
                        for n in a.notices
                    ],
                }
                for a in progress
            ]
    if failed is not None:  # the lock is released: undo takes it again
        if undo_on_failure:
            _undo_this_deploy(settings, target.from_version, transactional, log)
        raise failed


def _skipped_to(session: Session, current: str | None) -> str | None:
    """The version skipExecutingMigrations records up to (`--target` honoured)."""
    from dbci.migrate.commands import planned

    versions = [e.version for e in planned(session.status, session.target) if e.version]
    return max(versions).text if versions else current


def _drift(
    expected: Snapshot, live: Snapshot, session: Session, builder: _Builder, log: Log
) -> tuple[list[Change], bool]:
    """The objects that drifted, and whether the drift is an interrupted migration's.

    A migration run outside a transaction (every DDL migration on MySQL, CONCURRENTLY on
    PostgreSQL) that was cut off midway leaves part of its changes; `repair` removes its
    failed row, and the re-run must not be refused for them. So when the first pending
    migration runs outside a transaction and every drifted object is one it creates,
    changes or drops (or belongs to such a table), the drift is left to that migration: it
    runs again, and the caller then checks the result against the migrations rebuilt
    (`_check_resumed`).
    """
    from dbci.migrate.prepare import prepare
    from dbci.schema.diff import diff

    drifted = diff(expected, live).changes
    pending = [e for e in session.status.pending() if e.version is not None]
    if not drifted or not pending or pending[0].resolved is None:
        return drifted, False
    # Only a migration that runs outside a transaction can have been cut off midway: on
    # PostgreSQL a transactional one leaves all or nothing, and any drift is someone's.
    if prepare(pending[0].resolved, session.placeholders, session.db).in_transaction:
        return drifted, False
    first = pending[0].version
    assert first is not None  # `pending` holds versioned entries only
    after = builder.snapshot(session.settings, first.text)
    touched = {_key(c) for c in diff(expected, after).changes}
    if not all(_key(c) in touched or touched & _depends(c) for c in drifted):
        return drifted, False
    names = ", ".join(f"{c.type} {qualified_name(c.schema, c.name)}" for c in drifted[:5])
    log(
        f"WARNING: {names}{' and more' if len(drifted) > 5 else ''}: changed as "
        f"{pending[0].script} changes them (an interrupted migration): running it again"
    )
    return [], True


def _key(change: Change) -> tuple[str, str, str]:
    obj = change.after or change.before
    assert obj is not None
    return obj.key


def _depends(change: Change) -> set[tuple[str, str, str]]:
    """The objects the drifted object depends on (an index's table), on either side."""
    return {k for o in (change.before, change.after) if o is not None for k in o.depends_on()}


def _check_resumed(
    settings: Settings, builder: _Builder, version: str | None, live: Snapshot
) -> None:
    """After re-running an interrupted migration: the target must now be exactly what its
    migrations make, else what was there before was not only that migration's doing."""
    from dbci.schema.diff import diff

    left = diff(builder.snapshot(settings, version), live).changes
    if left:
        names = ", ".join(
            f"{c.change} {c.type} {qualified_name(c.schema, c.name)}" for c in left[:5]
        )
        raise GateFailed(
            f"{settings.where()} differs from its migrations after the interrupted migration "
            f"ran again ({names}{' and more' if len(left) > 5 else ''}): run dbci check and "
            "resolve it (drift-revert.sql)"
        )


@dataclass(frozen=True)
class _Builder:
    """Rebuilds what a target's migrations make, on the build database (the `rebuild`
    source of `schema/sources.py`): the build environment's (`--build-environment`,
    `[flywayDesktop] shadowEnvironment`, an environment called `build`, the action's
    build-url), else an embedded one of the target's dialect. Its settings are read only
    when a rebuild is needed."""

    overrides: Overrides
    build_env: str | None

    def snapshot(self, target: Settings, version: str | None) -> Snapshot:
        """The schema the migrations up to `version` make (None: no migration)."""
        from dbci.schema.sources import BuildOptions, Context, Rebuild

        context = Context(
            self.overrides, build=BuildOptions(self.build_env), target=target, version=version
        )
        return Rebuild().read(context)


def _undo_this_deploy(
    settings: Settings, from_version: str | None, transactional: bool, log: Log
) -> None:
    """`--undo-on-failure`: on an engine without transactional DDL, run the undo scripts
    of the versions this deploy applied (newest first). Where DDL is transactional the
    failed migration left nothing behind, and what applied before it stays applied."""
    from dbci.migrate.discovery import discover
    from dbci.migrate.lifecycle import undo
    from dbci.migrate.session import open_session
    from dbci.migrate.version import Version

    if transactional:
        log("Undo on failure: not needed, the failed migration was rolled back whole")
        return
    found = discover(settings)
    with open_session(settings, found, lock=False, log=quiet) as session:
        floor = Version.parse(from_version) if from_version else None
        applied = [
            e.version
            for e in session.status.entries
            if e.version is not None
            and e.applied is not None
            and e.applied.success
            and (floor is None or e.version > floor)
        ]
    if not applied:
        log("Undo on failure: this deploy applied nothing to undo")
        return
    first = min(applied)
    log(f"Undo on failure: undoing versions {first} and above")
    undo(dataclasses.replace(settings, target=first.text), log=log)
