"""`dbci build`: apply every migration to a provisioned build database, verify each undo
script, run the SQL unit tests, snapshot the result and write the `build` section of
report.json (with what was done, even when a migration fails)."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbci import cancel
from dbci.builddb.environment import build_settings, project_dialect
from dbci.builddb.operations import clean_database, migrate_to, snapshot_of
from dbci.builddb.provisioners import provision
from dbci.errors import DbciError, InputError
from dbci.log import Log, quiet
from dbci.migrate.discovery import discover
from dbci.migrate.version import Version
from dbci.schema.model import Snapshot
from dbci.settings.config import Overrides, Settings, load_settings
from dbci.stages.build.sql_tests import SqlTestResult, run_sql_tests
from dbci.stages.build.undo_check import UndoCheck, migrate_verifying_undo

BUILD_SNAPSHOT = "build-snapshot.json"


@dataclass
class BuiltMigration:
    """One migration as the build applied it (report.json's `build.migrations` item)."""

    version: str | None
    description: str
    type: str
    script: str
    checksum: int | None
    duration_ms: int
    status: str  # success | failed

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class BuildResult:
    """What `dbci build` did (report.json's `build` section)."""

    status: str = "passed"  # passed | failed
    provisioner: str = ""
    database: str = ""
    migrations: list[BuiltMigration] = field(default_factory=list)
    undo: list[UndoCheck] = field(default_factory=list)
    undo_verified: bool | None = None  # None: not asked, or no undo script
    tests: list[SqlTestResult] = field(default_factory=list)
    snapshot: str | None = None
    duration_ms: int = 0
    # Where the time went: provision, migrate (with undo verification), snapshot, tests,
    # teardown (stopping or dropping the build database), in ms.
    timings: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    build_snapshot: Snapshot | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "provisioner": self.provisioner,
            "database": self.database,
            "migrations": [m.to_dict() for m in self.migrations],
            "undo_verified": self.undo_verified,
            "undo": [u.to_dict() for u in self.undo],
            "tests": [t.to_dict() for t in self.tests],
            "snapshot": self.snapshot,
            "duration_ms": self.duration_ms,
            "timings": self.timings,
            "error": self.error,
        }


class _Clock:
    """Milliseconds between laps, added into `timings` under each lap's name."""

    def __init__(self, timings: dict[str, int]) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0) + int(round((now - self.last) * 1000))
        self.last = now


def build(
    overrides: Overrides,
    *,
    build_env: str | None = None,
    build_version: str | None = None,
    verify_undo: bool | None = None,
    keep: bool = False,
    dialect: str | None = None,
    log: Log = quiet,
) -> BuildResult:
    """Provision the build database, apply the migrations (verifying undo scripts), run
    the SQL tests and snapshot the result. A failure is recorded in the result, which is
    returned with what was done; the caller writes the report and turns it into an exit
    code (`BuildFailed` carries the result)."""
    started = time.perf_counter()
    project, settings = build_settings(overrides, build_env, load_settings(overrides))
    limit = None
    if build_version is not None:  # a bad --build-version is bad input, before anything
        try:
            limit = Version.parse(build_version)
        except ValueError as exc:
            raise InputError(f"--build-version: {exc}") from None
    found = discover(settings)
    versions = [s for s in found.versioned if limit is None or s.known_version <= limit]
    with_undo = [s for s in versions if found.undo_for(s.known_version) is not None]
    check_undo = bool(with_undo) if verify_undo is None else verify_undo and bool(with_undo)
    result = BuildResult()
    clock = _Clock(result.timings)
    try:
        with provision(settings, project_dialect(project, dialect), keep=keep, log=log) as built:
            clock.lap("provision")
            result.provisioner, result.database = built.provisioner, built.description
            try:
                if check_undo:
                    migrate_verifying_undo(
                        built.settings,
                        found,
                        build_version,
                        result.undo,
                        snapshot=snapshot_of,
                        clean=clean_database,
                        migrate=lambda settings, target: migrate_to(settings, target, quiet),
                        log=log,
                    )
                else:
                    migrate_to(built.settings, build_version, log)
                clock.lap("migrate")
                result.migrations = _applied(built.settings)
                result.build_snapshot = snapshot_of(built.settings)
                clock.lap("snapshot")
                result.tests = run_sql_tests(built.settings, log=log)
                clock.lap("tests")
            except DbciError as exc:
                result.status = "failed"
                result.error = str(exc)
                with cancel.cleaning_up():
                    result.migrations = _applied(built.settings, failed=exc)
            except cancel.Cancelled:
                with cancel.cleaning_up():  # what was applied, before the database goes
                    result.migrations = _applied(built.settings)
                raise
            cancel.check()  # a failure that the cancel caused is the cancel
            if check_undo:
                result.undo_verified = all(u.status == "verified" for u in result.undo)
            clock.lap("other")
        clock.lap("teardown")
    except cancel.Cancelled as stop:
        # The build database is gone already (the provisioner's clean-up ran on the way
        # out); the report says what was applied before the signal.
        result.status, result.error = "cancelled", str(stop)
    if result.undo_verified is False or any(t.status == "failed" for t in result.tests):
        result.status = "failed" if result.status != "cancelled" else result.status
    result.duration_ms = int(round((time.perf_counter() - started) * 1000))
    return result


def _applied(settings: Settings, failed: DbciError | None = None) -> list[BuiltMigration]:
    """The migrations the history table says were applied (the last application of each),
    and the one that failed, when a migration's SQL failed."""
    from dbci.engines import open_database
    from dbci.migrate.history import SchemaHistory

    rows: list[Any] = []
    try:
        db = open_database(settings)
    except DbciError:
        return []
    try:
        schema = settings.default_schema or (settings.schemas[0] if settings.schemas else None)
        history = SchemaHistory(db, schema or db.current_schema(), settings.table)
        rows = history.rows() if history.exists() else []
    finally:
        db.close()
    latest: dict[str, Any] = {}
    for row in rows:
        if row.type in ("UNDO_SQL", "SCHEMA", "BASELINE") or row.type.startswith("UNDO"):
            continue
        latest[row.script] = row  # the last application wins: a verified undo re-applies
    migrations = [
        BuiltMigration(
            row.version_text,
            row.description,
            row.type,
            row.script,
            row.checksum,
            int(row.execution_time),
            "success" if row.success else "failed",
        )
        for row in sorted(latest.values(), key=lambda r: r.installed_rank)
    ]
    if failed is not None and failed.file and not any(m.status == "failed" for m in migrations):
        name = Path(failed.file).name
        migrations.append(BuiltMigration(None, name, "SQL", failed.file, None, 0, "failed"))
    return migrations


def write_outputs(result: BuildResult, report: Any, report_dir: Path, project_dir: Path) -> Path:
    """Write the build snapshot and report.json's `build` section; return report.json's path."""
    from dbci.schema.snapshot_file import save

    directory = report_dir if report_dir.is_absolute() else project_dir / report_dir
    if result.build_snapshot is not None:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / BUILD_SNAPSHOT
        save(result.build_snapshot, path)
        result.snapshot = (
            str(path.relative_to(project_dir)) if path.is_relative_to(project_dir) else str(path)
        )
    report.build = result.to_dict()
    report.status = result.status
    path = report.write(report_dir, project_dir)
    from dbci.stages.build.junit import write_build_junit

    write_build_junit(report.build, path.parent)
    return Path(path)
