"""`dbci build`: apply every migration to a provisioned build database, verify each undo
script, run the SQL unit tests, snapshot the result and write the `build` section of
report.json (with what was done, even when a migration fails)."""

from __future__ import annotations

import dataclasses
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbci import cancel
from dbci.errors import DbciError, InputError
from dbci.log import Log, quiet
from dbci.migrate.discovery import discover
from dbci.migrate.version import Version
from dbci.schema.model import Snapshot
from dbci.settings.config import Overrides, Settings, load_settings
from dbci.stages.build.provisioners import provision
from dbci.stages.build.sql_tests import SqlTestResult, run_sql_tests
from dbci.stages.build.undo_check import UndoCheck, migrate_verifying_undo

BUILD_SNAPSHOT = "build-snapshot.json"
# The variables that name the target's database and login, not a build environment's.
_TARGET_VARIABLES = frozenset({"DBCI_URL", "DBCI_USER", "DBCI_PASSWORD", "DBCI_ENVIRONMENT"})
_DIALECT_NAMES = {"postgres": "postgresql", "postgresql": "postgresql", "sqlite": "sqlite"}


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


def build_environment(settings: Settings, explicit: str | None) -> str | None:
    """The build environment's name: `--build-environment`, else `[flywayDesktop]
    shadowEnvironment`, else an environment called `build`; None: embedded."""
    name = explicit or settings.shadow_environment
    if name is None and "build" in settings.environments:
        name = "build"
    if name is not None and name not in settings.environments:
        known = ", ".join(settings.environments) or "none"
        raise InputError(f"unknown build environment {name!r} (environments: {known})")
    return name


def project_dialect(settings: Settings, explicit: str | None) -> str:
    """The dialect of the embedded build database: `--dialect`, else `[dbci] dialect`, else
    the default environment's URL, else PostgreSQL.

    A dialect that has no embedded database (MySQL, SQL Server: a target's) is returned as
    it is, not refused here: a configured build environment does not need one, and the
    embedded provisioner refuses it, saying to configure one, when it comes to that."""
    name = explicit or settings.dbci.get("dialect")
    if name is None and settings.database is not None:
        name = settings.database.dialect
    name = str(name or "postgresql").lower()
    known = {**_DIALECT_NAMES, "mysql": "mysql", "mariadb": "mysql", "mssql": "mssql"}
    if name not in known:
        raise InputError(
            f"unknown dialect {name!r}: the embedded build database is PostgreSQL or SQLite "
            "(postgresql, sqlite); configure a build environment for another"
        )
    return known[name]


def build_dialect(builder: Settings, project: Settings, explicit: str | None) -> str:
    """The dialect to provision the build database in: a build environment's own, else
    the embedded database's (`project_dialect`; `explicit` is `--dialect`, or the dialect
    of the target the build is compared with)."""
    if builder.database is not None:
        return builder.database.dialect
    return project_dialect(project, explicit)


def build_settings(
    overrides: Overrides, build_env: str | None, target: Settings
) -> tuple[Settings, Settings]:
    """(the project's settings, the build environment's: no database means embedded).

    `target` is the environment the build is for (the command line's -e, `DBCI_ENVIRONMENT`
    or `[flyway] environment`, resolved once by the caller): the build database gets its
    schemas and its placeholders, as Flyway's `createSchemas` would make them there, unless
    a configured build environment names schemas of its own (`--schemas` and `DBCI_SCHEMAS`
    name the target's: they never replace those); the placeholders its own
    `[environments.NAME.flyway.placeholders]` sets go over the target's."""
    project = target
    build_url = os.environ.get("DBCI_BUILD_URL")
    if build_url and build_env is None:
        # A build server given by URL (the action's build-url): a new database on it per
        # build, dropped afterwards, so that nothing of the server's is ever cleaned.
        from dbci.settings.urls import parse_database_url

        url = parse_database_url(build_url, base_dir=project.project_dir, where="DBCI_BUILD_URL")
        return project, dataclasses.replace(
            project, database=url, provisioner="create-database", environment=None
        )
    name = build_environment(project, build_env)
    if name is not None:
        # The build environment is reached by its own url and login only: --url, --user,
        # --password and DBCI_URL/USER/PASSWORD name the target (the action passes its url
        # input as DBCI_URL), and a build environment's `clean` provisioner must never be
        # pointed at the target by them.
        own = dataclasses.replace(
            overrides, environment=name, url=None, user=None, password=None, schemas=None
        )
        environ = {
            k: v
            for k, v in os.environ.items()
            if k not in _TARGET_VARIABLES and k != "DBCI_SCHEMAS"
        }
        builder = load_settings(own, environ)
        if not builder.own_schemas:
            builder = dataclasses.replace(
                builder, schemas=list(target.schemas), default_schema=target.default_schema
            )
        builder = dataclasses.replace(
            builder, placeholders={**target.placeholders, **builder.own_placeholders}
        )
        return project, builder
    return project, dataclasses.replace(project, database=None, provisioner=None)


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
    versions = [s for s in found.versioned if limit is None or s.version <= limit]
    with_undo = [s for s in versions if found.undo_for(s.version) is not None]
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
                        snapshot=_snapshot,
                        clean=_clean,
                        migrate=lambda settings, target: _migrate(settings, target, quiet),
                        log=log,
                    )
                else:
                    _migrate(built.settings, build_version, log)
                clock.lap("migrate")
                result.migrations = _applied(built.settings)
                result.build_snapshot = _snapshot(built.settings)
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


def migrate_to(settings: Settings, target: str | None, log: Log = quiet) -> None:
    """Migrate the build database up to `target` (None: everything)."""
    _migrate(settings, target, log)


def snapshot_of(settings: Settings) -> Snapshot:
    """The build database's schema."""
    return _snapshot(settings)


def _migrate(settings: Settings, target: str | None, log: Log) -> None:
    from dbci.migrate.commands import migrate

    migrate(dataclasses.replace(settings, target=target), log=log)


def _clean(settings: Settings) -> None:
    """Empty the build database (it is this build's own, or one allowed to be cleaned)."""
    from dbci.migrate.lifecycle import clean

    clean(dataclasses.replace(settings, provisioner="clean", environment=None), log=quiet)


def _snapshot(settings: Settings) -> Snapshot:
    from dbci.schema.commands import take_snapshot

    return take_snapshot(settings)[1]


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
    return path
