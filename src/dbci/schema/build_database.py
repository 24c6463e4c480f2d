"""The build database behind the sources that need one (`schema/sources.py`): `migrations`
(the migrations applied to it) and `schemaModel` (the schema model's files applied to it),
as Flyway's diff reads them through its build environment, and `rebuild` (what a target's
applied migrations make, for the drift of check and deploy).

The build database is the build stage's (`dbci.builddb`: `--build-environment`,
`[flywayDesktop] shadowEnvironment`, an environment called `build`, else an embedded one).
For `migrations`, a build environment whose provisioner is `clean` is reused as it is when
its history holds the migrations so far (only what is pending up to `--build-version` is
applied); when it cannot be (the schema model was applied to it last, a migration
changed, it is past `--build-version`), it is cleaned and built again, saying why, as
Flyway Desktop resets its shadow database and Atlas cleans its dev database: it is
disposable by definition, and reuse only saves time. `--rebuild` cleans it every time.
A provisioner that makes a new database (`create-database`, `docker`, embedded) builds
afresh every time. `schemaModel` is always applied to a clean database.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from dbci.errors import GateFailed, InputError
from dbci.log import Log, quiet
from dbci.schema.model import Snapshot
from dbci.settings.config import Overrides, Settings, load_settings


@dataclass(frozen=True)
class BuildOptions:
    """How `dbci diff` builds its `migrations` and `schemaModel` sources."""

    build_env: str | None = None
    build_version: str | None = None
    rebuild: bool = False


def model_directory(settings: Settings) -> Path:
    """The schema model's folder: `[flywayDesktop] schemaModel`, else `schema-model`."""
    from dbci.schema.model_files import MODEL_DIR

    raw = settings.schema_model or MODEL_DIR
    path = Path(raw).expanduser()
    return path if path.is_absolute() else settings.project_dir / path


def read_built(
    kind: str,
    overrides: Overrides,
    options: BuildOptions,
    dialect: str | None,
    *,
    include_grants: bool = False,
    include_owners: bool = False,
    log: Log = quiet,
) -> Snapshot:
    """The `migrations` or `schemaModel` source's schema. `dialect` is the other side's,
    for an embedded build database (None: the project's)."""
    from dbci.builddb.environment import build_dialect, build_settings
    from dbci.builddb.operations import migrate_to
    from dbci.builddb.provisioners import provision
    from dbci.schema.commands import take_snapshot

    def snapshot_of(settings: Settings) -> Snapshot:
        return take_snapshot(
            settings, include_grants=include_grants, include_owners=include_owners
        )[1]

    # Built for the environment the command line names (-e, DBCI_ENVIRONMENT, the default
    # environment): its schemas and placeholders; its URL is not needed.
    target = load_settings(dataclasses.replace(overrides, url=None))
    project, builder = build_settings(overrides, options.build_env, target)
    kind_of_database = build_dialect(builder, project, dialect)
    if kind == "migrations" and _reusable(builder, options):
        if _migrate_reused(builder, options.build_version, log):
            return snapshot_of(builder)
    with provision(builder, kind_of_database, log=log) as built:
        if kind == "migrations":
            migrate_to(built.settings, options.build_version)
        else:
            _apply_model(built.settings, model_directory(project), log)
        return snapshot_of(built.settings)


def rebuild(
    overrides: Overrides,
    build_env: str | None,
    target: Settings,
    version: str | None,
    *,
    dialect: str | None = None,
    log: Log = quiet,
) -> Snapshot:
    """The schema the migrations up to `version` make (None: no migration), built afresh on
    the build database of `target` (an embedded one takes `dialect`, else the target's)."""
    from dbci.builddb.environment import build_dialect, build_settings
    from dbci.builddb.operations import migrate_to, snapshot_of
    from dbci.builddb.provisioners import provision

    project, builder = build_settings(overrides, build_env, target)
    kind = build_dialect(builder, project, dialect or target.require_database().dialect)
    with provision(builder, kind, log=log) as built:
        if version is not None:
            migrate_to(built.settings, version)
        return snapshot_of(built.settings)


def _reusable(builder: Settings, options: BuildOptions) -> bool:
    """A build environment that keeps its database between runs, and no --rebuild."""
    provisioner = builder.provisioner or ("clean" if builder.database is not None else None)
    return not options.rebuild and builder.database is not None and provisioner == "clean"


def _migrate_reused(builder: Settings, version: str | None, log: Log) -> bool:
    """Bring a reused build database to `version`; False (and a line saying why) when it
    cannot be, for the caller to clean it and build it again."""
    from dbci.builddb.operations import migrate_to
    from dbci.migrate.commands import info
    from dbci.migrate.version import Version

    where = builder.require_database().masked()
    try:
        status = info(builder).status
        if not any(e.applied for e in status.entries):
            # New, or holding the schema model the last diff applied: nothing to reuse.
            log(f"Build database: {where} holds no migration history: building it afresh")
            return False
        current = status.current_version
        if version is not None and current is not None and current > Version.parse(version):
            raise InputError(f"it is at version {current.text}, past --build-version {version}")
        # Marked as a build database: an error here speaks of rebuilding, never of
        # baselining it (`session.plan_history`).
        migrate_to(dataclasses.replace(builder, provisioner="clean"), version)
    except (InputError, GateFailed) as exc:
        log(f"Build database: {where} cannot be reused ({exc}): rebuilding it")
        return False
    log(f"Build database: {where} (reused)")
    return True


def _apply_model(settings: Settings, directory: Path, log: Log) -> None:
    from dbci.engines import open_database
    from dbci.schema.model_apply import apply_model

    db = open_database(settings)
    try:
        with db.losing_connection():
            count = apply_model(db, directory)
    finally:
        db.close()
    log(f"Schema model: {count} statements applied from {directory}")
