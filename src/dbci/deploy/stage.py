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
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbci.config import Overrides, Settings, load_settings
from dbci.errors import DbciError, GateFailed, InputError
from dbci.log import Log, quiet
from dbci.output import qualified_name


@dataclass
class TargetDeploy:
    """One target's deploy (an item of report.json's `deploy.targets`)."""

    environment: str
    status: str = "pending"  # success | failed | skipped
    from_version: str | None = None
    to_version: str | None = None
    applied: list[dict[str, Any]] = field(default_factory=list)
    drift: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
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

    @property
    def status(self) -> str:
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


def target_names(overrides: Overrides, settings: Settings) -> list[str]:
    """`-e qa,uat`, else `[dbci.deploy] targets`, else the one environment or URL given."""
    if overrides.environment:
        return [n.strip() for n in overrides.environment.split(",") if n.strip()]
    listed = settings.dbci.get("deploy", {}).get("targets")
    if listed is not None:
        if not isinstance(listed, list) or not all(isinstance(n, str) for n in listed):
            raise InputError("[dbci.deploy] targets must be a list of environment names")
        return list(listed)
    if settings.database is None:
        raise InputError("deploy needs a target: -e ENVIRONMENT[,ENVIRONMENT…] or --url")
    return [settings.environment or "--url"]


def deploy(
    overrides: Overrides,
    *,
    parallel: int = 4,
    fail_fast: bool = False,
    plan_path: Path | None = None,
    fail_on_drift: bool = True,
    undo_on_failure: bool = False,
    log: Log = quiet,
) -> DeployResult:
    """Deploy to every target; each result (and error) is in the returned result."""
    base = load_settings(dataclasses.replace(overrides, environment=None))
    names = target_names(overrides, base)
    if len(names) > 1 and plan_path is not None:
        raise InputError("--plan holds one target to its check: deploy one target with it")
    result = DeployResult([TargetDeploy(name) for name in names])
    stop = threading.Event()
    lock = threading.Lock()

    def one(target: TargetDeploy) -> None:
        if stop.is_set():
            target.status, target.error = "skipped", "not started: another target failed"
            return
        prefix = f"[{target.environment}] " if len(names) > 1 else ""

        def say(text: str) -> None:
            with lock:
                log(prefix + text)

        chosen = (
            dataclasses.replace(overrides, environment=None)
            if target.environment == "--url"
            else dataclasses.replace(overrides, environment=target.environment, url=None)
        )
        started = time.perf_counter()
        try:
            _deploy_one(
                load_settings(chosen), target, plan_path, fail_on_drift, undo_on_failure, say
            )
            target.status = "success"
        except DbciError as exc:
            target.status, target.error, target.exit_code = "failed", str(exc), exc.exit_code
            say(f"ERROR: {exc}")
            if fail_fast:
                stop.set()
        target.duration_ms = int(round((time.perf_counter() - started) * 1000))

    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(names)))) as pool:
        list(pool.map(one, result.targets))
    return result


def _deploy_one(
    settings: Settings,
    target: TargetDeploy,
    plan_path: Path | None,
    fail_on_drift: bool,
    undo_on_failure: bool,
    log: Log,
) -> None:
    from dbci.commands import migrate_session
    from dbci.deploy.plan import check_plan, load_plan
    from dbci.deploy.snapshot_history import latest_snapshot, save_snapshot
    from dbci.discovery import discover
    from dbci.schema.diff import diff
    from dbci.schema.model import Snapshot
    from dbci.schema_commands import take_snapshot
    from dbci.session import open_session

    found = discover(settings)
    started = time.perf_counter()
    with open_session(settings, found, lock=True, log=log) as session:  # the lock, held
        current = session.status.current_version
        target.from_version = current.text if current else None
        live = take_snapshot(settings)[1]
        if plan_path is not None:
            pending = [
                {"script": e.script, "checksum": e.checksum} for e in session.status.pending()
            ]
            check_plan(load_plan(plan_path, settings.environment), pending, live)
        expected = latest_snapshot(session.db, session.schema)
        if expected is None and not session.history_exists:
            # Never migrated: expected empty, but for the schemas themselves.
            expected = Snapshot(
                live.dialect, {k: o for k, o in live.objects.items() if o.kind == "schema"}
            )
        if expected is None:
            expected = _rebuilt(settings, target.from_version)
        drifted = diff(expected, live).changes
        target.drift = [
            {"change": c.change, "type": c.type, "schema": c.schema, "name": c.name}
            for c in drifted
        ]
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
            done = migrate_session(session, found, started, log=log)
        except DbciError as failure:
            failed = failure
        else:
            target.to_version = done.target_version
            target.applied = [
                {
                    "version": a.script.version.text if a.script.version else None,
                    "description": a.script.description,
                    "script": a.script.script,
                    "duration_ms": a.execution_ms,
                }
                for a in done.applied
            ]
            # Still under the lock: the schema exactly as this deploy left it.
            save_snapshot(
                session.db, session.schema, take_snapshot(settings)[1], done.target_version
            )
    if failed is not None:  # the lock is released: undo takes it again
        if undo_on_failure:
            _undo_this_deploy(settings, target.from_version, transactional, log)
        raise failed


def _rebuilt(settings: Settings, version: str | None) -> Any:
    """What the target's applied migrations make on the build database (embedded)."""
    from dbci.build.provisioners import provision
    from dbci.build.stage import migrate_to, project_dialect, snapshot_of

    builder = dataclasses.replace(settings, database=None, provisioner=None, environment=None)
    with provision(builder, project_dialect(settings, None)) as built:
        if version is not None:
            migrate_to(built.settings, version)
        return snapshot_of(built.settings)


def _undo_this_deploy(
    settings: Settings, from_version: str | None, transactional: bool, log: Log
) -> None:
    """`--undo-on-failure`: on an engine without transactional DDL, run the undo scripts
    of the versions this deploy applied (newest first). Where DDL is transactional the
    failed migration left nothing behind, and what applied before it stays applied."""
    from dbci.discovery import discover
    from dbci.lifecycle import undo
    from dbci.session import open_session
    from dbci.version import Version

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
