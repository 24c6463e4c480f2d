"""`dbci check -e TARGET`: what the pending migrations change, drift on the target, code
analysis, the dry run, and the gates over them.

One build database (the build environment's, else embedded) serves both the changes and
the drift: the migrations the target has applied are built on it and snapshotted (A, what
the target should hold), then the rest (B, what deploy will make of it). Changes are A→B;
drift is A (or the deploy-time snapshot, or a file) against the target's live schema.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbci import cancel
from dbci.analysis.findings import CodeResult
from dbci.errors import DbciError, GateFailed, InputError
from dbci.log import Log, quiet
from dbci.migrate.discovery import discover
from dbci.schema.model import Snapshot
from dbci.settings.config import Overrides, Settings, load_settings
from dbci.stages.check.column_users import report_column_uses
from dbci.stages.check.data_risk import weigh_findings
from dbci.stages.check.drift import DriftResult, drift_between
from dbci.stages.check.target import TargetState, read_target

PARTS = ("changes", "drift", "code", "dryrun")


@dataclass
class CheckResult:
    """What the check found, section by section (None: the part did not run)."""

    target: TargetState | None = None
    changes: dict[str, Any] | None = None
    drift: DriftResult | None = None
    code: CodeResult | None = None
    dryrun: dict[str, Any] | None = None
    gates_failed: list[str] = field(default_factory=list)
    target_snapshot: Snapshot | None = field(default=None, repr=False)
    plan: dict[str, Any] | None = None
    build_snapshot: Snapshot | None = field(default=None, repr=False)

    @property
    def status(self) -> str:
        return "failed" if self.gates_failed else "passed"


def check(
    overrides: Overrides,
    parts: tuple[str, ...] = PARTS,
    *,
    build_env: str | None = None,
    drift_source: str = "rebuild",
    fail_on_drift: bool | None = None,
    dialect: str | None = None,
    fail_on: str | None = None,
    log: Log = quiet,
) -> CheckResult:
    """Run the asked parts of the check against the target the overrides name."""
    from dbci.analysis.run import analyze
    from dbci.builddb.environment import build_dialect, build_settings
    from dbci.builddb.operations import migrate_to, snapshot_of
    from dbci.builddb.provisioners import provision
    from dbci.schema.change_details import details, keeps_generated
    from dbci.schema.commands import take_snapshot
    from dbci.schema.diff import diff
    from dbci.schema.sources import Context
    from dbci.schema.sources import drift_source as source_of

    settings = load_settings(overrides)
    settings.require_database()
    found = discover(settings)
    result = CheckResult()
    result.target = target = read_target(settings, found, log=log)
    source = source_of(drift_source)
    context = Context(overrides, target=settings, log=log)
    needs_build = "changes" in parts or ("drift" in parts and source.built)
    # The target's schema now: for drift, and for the plan `deploy --plan` holds to.
    result.target_snapshot = take_snapshot(settings)[1]
    result.plan = plan_of(settings, target, result.target_snapshot)
    applied: Snapshot | None = None  # the build of the migrations the target has applied
    if needs_build:
        try:
            project, builder = build_settings(overrides, build_env, settings)
            # The embedded build database takes the target's dialect: a SQLite target is
            # compared with a SQLite build.
            kind = build_dialect(builder, project, dialect or settings.require_database().dialect)
            with provision(builder, kind, log=log) as built:
                if target.applied_version is not None:
                    migrate_to(built.settings, target.applied_version)
                applied = snapshot_of(built.settings)
                if not target.has_history:
                    # Never migrated: the schemas a DBA made for it are expected there (as
                    # deploy's drift gate expects them), not drift, and no migration adds them.
                    live = result.target_snapshot
                    schemas = {k: o for k, o in live.objects.items() if o.kind == "schema"}
                    applied = Snapshot(applied.dialect, {**applied.objects, **schemas})
                if "drift" in parts and source.built:
                    # A drift source read on the build database: `rebuild`, the applied
                    # migrations built above.
                    expected = source.read(dataclasses.replace(context, applied=applied))
                    result.drift = drift_between(expected, result.target_snapshot, drift_source)
                if "changes" in parts:
                    migrate_to(built.settings, settings.target)
                    result.build_snapshot = after = snapshot_of(built.settings)
                    changed = diff(applied, after)
                    keeps = keeps_generated(after.dialect)
                    result.changes = {
                        "from_version": target.applied_version,
                        "to_version": _latest(found, settings.target),
                        "pending": target.pending,
                        "objects": [
                            {
                                "change": c.change,
                                "type": c.type,
                                "schema": c.schema,
                                "name": c.name,
                                "before_sql": c.before_sql,
                                "after_sql": c.after_sql,
                                "destructive": c.destructive,  # the change may lose data
                                # What changes inside it: columns, values, lines.
                                "details": details(
                                    c.before,
                                    c.after,
                                    destructive=c.destructive,
                                    keeps_generated=keeps,
                                ),
                            }
                            for c in changed.changes
                        ],
                    }
        except GateFailed as exc:  # the migrations do not build: a failed gate, not a crash
            # (Bad input, a refused build database or one that cannot be reached is not
            # the migrations' failure: it ends the check with its own exit code.)
            cancel.check()  # a statement the cancel stopped is not the migrations' failure
            result.gates_failed.append(f"build of the migrations ({exc})")
            log(f"ERROR: the migrations do not build: {exc}")
    cancel.check()
    if "drift" in parts and result.drift is None and not source.built:
        expected = source.read(context)
        result.drift = drift_between(expected, result.target_snapshot, drift_source)
    if result.drift is not None:
        result.drift.repo = target.repo_drift
        if result.drift.detected:
            log(
                f"Drift on {settings.where()}: {len(result.drift.items)} object"
                f"{'s' * (len(result.drift.items) != 1)}, {len(result.drift.repo)} migration"
                f"{'s' * (len(result.drift.repo) != 1)}"
            )
    if "code" in parts:
        cancel.check()
        result.code = analyze(settings, dialect=None, fail_on=fail_on, log=log)
        weigh_findings(result.code, settings, log=log)
        if applied is not None and result.build_snapshot is not None:
            # What one file cannot show: code elsewhere still using a column that goes.
            report_column_uses(result.code, applied, result.build_snapshot, settings)
    if "dryrun" in parts:
        cancel.check()
        result.dryrun = _dry_run(settings)
    _gates(result, settings, fail_on_drift)
    return result


def plan_of(settings: Settings, target: TargetState, schema: Snapshot) -> dict[str, Any]:
    """What deploy must find unchanged: the pending migrations (versions and checksums)
    and a hash of the target's schema."""
    from dbci.stages.deploy.plan import schema_hash

    return {
        "environment": settings.environment,
        "database": target.database,
        "pending": [
            {"version": p["version"], "script": p["script"], "checksum": p["checksum"]}
            for p in target.pending
        ],
        "schema_sha256": schema_hash(schema),
    }


def _latest(found: Any, target: str | None) -> str | None:
    if target and target not in ("latest", "current", "next"):
        return target
    return found.versioned[-1].version.text if found.versioned else None


def _dry_run(settings: Settings) -> dict[str, Any]:
    """The dry run of the report (report.json's `dryrun`, dryrun.sql, the comment's folded
    script): secret placeholders are shown as written (`${api_token}`), never their values;
    its error line has none of the run's secrets (`DbciError.__str__`)."""
    from dbci.migrate.dryrun import dry_run
    from dbci.settings.placeholders import secret_names

    try:
        done = dry_run(settings, unreplaced=secret_names(settings))
    except DbciError as exc:  # e.g. a failed migration on the target: reported, not fatal
        return {"sql": None, "pending": [], "error": str(exc)}
    return {"sql": done.sql, "pending": done.pending, "error": None}


def _gates(result: CheckResult, settings: Settings, fail_on_drift: bool | None) -> None:
    configured = settings.dbci.get("check", {}).get("fail_on_drift", False)
    if not isinstance(configured, bool):
        raise InputError("[dbci.check] fail_on_drift must be true or false")
    drift_gate = configured if fail_on_drift is None else fail_on_drift
    if result.drift is not None:
        result.drift.fail_on_drift = drift_gate
    if drift_gate and result.drift is not None and result.drift.detected:
        result.gates_failed.append(
            f"drift ({len(result.drift.items)} objects, {len(result.drift.repo)} migrations)"
        )
    if result.code is not None and result.code.failed:
        result.gates_failed.append(
            f"code analysis ({len(result.code.failed)} findings at or above {result.code.fail_on})"
        )


def write_check_outputs(result: CheckResult, report: Any, directory: Path) -> None:
    """The report files of a check: report.json's sections, the drift scripts, the dry
    run, the target and build snapshots."""
    from dbci.schema.snapshot_file import save

    directory.mkdir(parents=True, exist_ok=True)
    if result.changes is not None:
        report.changes = result.changes
    if result.drift is not None:
        report.drift = result.drift.to_dict()
        for name, text in (
            ("drift-revert.sql", result.drift.revert_sql),
            ("drift-incorporate.sql", result.drift.incorporate_sql),
        ):
            path = directory / name
            if text:
                path.write_text(text, encoding="utf-8")
            elif path.exists():
                path.unlink()  # no drift now: an old script would mislead
    if result.code is not None:
        report.code = result.code.to_dict()
    if result.dryrun is not None:
        report.dryrun = result.dryrun
        if result.dryrun["sql"] is not None:
            (directory / "dryrun.sql").write_text(result.dryrun["sql"], encoding="utf-8")
    if result.target_snapshot is not None:
        save(result.target_snapshot, directory / "target-snapshot.json")
    report.plan = result.plan
    if result.build_snapshot is not None:
        save(result.build_snapshot, directory / "build-snapshot.json")
    report.status = result.status
    report.gates_failed = list(result.gates_failed)
