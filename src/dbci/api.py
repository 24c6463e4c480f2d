"""dbci as a Python library: one typed function per command.

Each function does what its `dbci` command does and returns what it did; it prints
nothing (progress goes to the `log` callback, a `dbci.log.Log`), and a problem is raised as
a `dbci.errors.DbciError` whose `exit_code` is the command's (a cancelled run raises
`dbci.cancel.Cancelled`). The command line (`dbci.cli`) is built on these functions (the
GitHub Action, `dbci.ci.action`, runs that command line in-process): the first paragraph of
each docstring is the command's help, the second its description in `dbci COMMAND --help`.

Commands on one database (`info`, `migrate`, `validate`, ...) take its `Settings`
(`load_settings`); the stages and the schema commands, which may read several
environments (a build database, every deploy target), take the command line's
`Overrides`.

    from dbci import api
    from dbci.settings.config import Overrides

    settings = api.load_settings(Overrides(project=Path("db"), url="sqlite:///app.db"))
    api.migrate(settings, log=print)
    print(api.info(settings).status.current_version)

The imports are inside the functions: `import dbci.api` stays cheap, and a command loads
only what it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dbci.log import Log, quiet

if TYPE_CHECKING:
    from dbci.migrate.commands import InfoResult, MigrateResult, ValidateResult
    from dbci.migrate.dryrun import DryRunResult
    from dbci.migrate.lifecycle import BaselineResult, CleanResult, RepairResult, UndoResult
    from dbci.report.render import Rendered
    from dbci.schema.artifact import DiffArtifact
    from dbci.schema.commands import Comparison, SnapshotResult
    from dbci.schema.generate import Generated
    from dbci.schema.model_commands import ModelResult
    from dbci.settings.config import Overrides, Settings
    from dbci.stages.pipeline import PipelineRun
    from dbci.stages.runs import BuildRun, CheckRun, DataRun, DeployRun

__all__ = [
    "DiffRun",
    "baseline",
    "build",
    "check",
    "clean",
    "data",
    "deploy",
    "diff",
    "dry_run",
    "generate",
    "info",
    "load_settings",
    "migrate",
    "model",
    "pipeline",
    "repair",
    "report",
    "snapshot",
    "undo",
    "validate",
]


def load_settings(overrides: Overrides | None = None) -> Settings:
    """The settings a command runs with: command line (`overrides`) > `DBCI_*` environment
    variables > config file > defaults. Their secrets (passwords, secret placeholders) are
    remembered, so that nothing dbci prints shows them."""
    from dbci.console import remember_settings
    from dbci.settings.config import Overrides
    from dbci.settings.config import load_settings as load

    settings = load(overrides or Overrides())
    remember_settings(settings)
    return settings


def _project_settings(overrides: Overrides) -> Settings:
    """The project's settings without a target (`dbci.settings.config.project_settings`)."""
    from dbci.settings.config import project_settings

    return project_settings(overrides)


# ---- one database: the Flyway commands ----------------------------------------------------


def migrate(settings: Settings, *, log: Log = quiet) -> MigrateResult:
    """apply pending migrations to the environment

    Apply pending migrations, one transaction each.

    `migrate --dry-run` is `dry_run`.
    """
    from dbci.migrate import commands

    return commands.migrate(settings, log=log)


def dry_run(settings: Settings, *, log: Log = quiet) -> DryRunResult:
    """The SQL `migrate` would execute (`migrate --dry-run`), running none of it.

    Placeholders hold their real values, secret ones included. Refused (exit 2) when
    skipExecutingMigrations is set: migrate would run none of that SQL.
    """
    from dbci.errors import InputError
    from dbci.migrate.dryrun import dry_run as run

    if settings.skip_executing_migrations:  # it would show SQL that migrate never runs
        raise InputError(
            f"--dry-run: skipExecutingMigrations is set for {settings.where()}: migrate "
            "would run none of the pending migrations' SQL, only record them"
        )
    return run(settings, log=log)


def info(settings: Settings, *, log: Log = quiet) -> InfoResult:
    """every migration and its state

    Show every migration and its state.
    """
    from dbci.migrate import commands

    return commands.info(settings, log=log)


def validate(
    settings: Settings, *, fail_on_pending: bool = False, log: Log = quiet
) -> ValidateResult:
    """check files against the history; exit 1 on any problem

    Validate applied migrations against files.

    Returns the problems found (`problems`; the command exits 1 when there is any) and the
    number of migrations validated.
    """
    from dbci.migrate import commands

    return commands.validate(settings, fail_on_pending=fail_on_pending, log=log)


def baseline(settings: Settings, *, log: Log = quiet) -> BaselineResult:
    """start the history of an existing database at a version

    Baseline an existing database: record a baseline version in a new history table, so
    that only later migrations are applied.
    """
    from dbci.migrate import lifecycle

    return lifecycle.baseline(settings, log=log)


def repair(settings: Settings, *, log: Log = quiet) -> RepairResult:
    """fix the history table: failed rows, checksums, missing files

    Remove failed migration rows, realign checksums, descriptions and types with the files,
    and mark applied migrations whose files are gone as deleted.
    """
    from dbci.migrate import lifecycle

    return lifecycle.repair(settings, log=log)


def clean(settings: Settings, *, log: Log = quiet) -> CleanResult:
    """drop every object in the environment's schemas (only where allowed)

    Drop every object in the environment's schemas and the history table. Allowed only for
    an environment with provisioner = "clean" or cleanDisabled = false, never for one in
    [dbci] protected (default: prod, production).
    """
    from dbci.migrate import lifecycle

    return lifecycle.clean(settings, log=log)


def undo(settings: Settings, *, log: Log = quiet) -> UndoResult:
    """undo the latest applied version (or down to --target) with U scripts

    Run the undo script (U<version>__*.sql) of the latest applied version, or of every
    applied version at or above --target, newest first.

    `--target` is the settings' `target`.
    """
    from dbci.migrate import lifecycle

    return lifecycle.undo(settings, log=log)


# ---- schemas -------------------------------------------------------------------------------


def snapshot(
    settings: Settings,
    *,
    to: Path | None = None,
    include_grants: bool = False,
    include_owners: bool = False,
    log: Log = quiet,
) -> SnapshotResult:
    """write the environment's schema as stable JSON

    Read every object of the environment's schemas (the history table left out) and write
    it as sorted, pretty JSON: the same database, the same bytes.

    Written to `to` when given; the result holds the snapshot either way.
    """
    from dbci.schema import commands

    return commands.snapshot(
        settings, to=to, include_grants=include_grants, include_owners=include_owners, log=log
    )


@dataclass
class DiffRun:
    """What `diff` did: the two schemas and the diff (`comparison`), the artifact that
    `model` and `generate` take, and where it was saved (None: not saved)."""

    comparison: Comparison
    artifact: DiffArtifact
    saved: Path | None


def diff(
    overrides: Overrides,
    source: str,
    target: str,
    *,
    include_grants: bool = False,
    include_owners: bool = False,
    build_environment: str | None = None,
    build_version: str | None = None,
    rebuild: bool = False,
    artifact: str | None = None,
    keep_artifact: bool = False,
    column_order: bool | None = None,
    log: Log = quiet,
) -> DiffRun:
    """compare two schemas: the changes and the SQL from one to the other

    Compare two sources, each env:NAME, url:URL, snapshot:FILE, migrations (built on the
    build database) or schemaModel (the schema model, applied to one); list the objects
    added, changed and dropped with their ids, write the SQL that turns the source into the
    target, and keep the diff artifact for model and generate, which may follow on the same
    line: dbci diff … model, dbci diff … generate.

    The artifact is saved (to `artifact`, else .dbci_cache/diff.json in the project) when
    one side is schemaModel or migrations, when `artifact` names a file, or with
    `keep_artifact`. `comparison.diff.sql()` is the SQL script.

    `column_order`: whether a table whose columns are in another order differs (None: where
    the engine moves columns in place, MySQL and SQLite); PostgreSQL rebuilds the table
    for it, its rows copied.
    """
    from dbci.schema.artifact import DiffArtifact
    from dbci.schema.commands import compare
    from dbci.schema.model_commands import artifact_path
    from dbci.schema.sources import BuildOptions

    comparison = compare(
        overrides,
        source,
        target,
        include_grants=include_grants,
        include_owners=include_owners,
        build=BuildOptions(build_environment, build_version, rebuild),
        log=log,
        column_order=column_order,
    )
    made = DiffArtifact(source, target, comparison.source, comparison.target)
    saved = None
    # Kept when model and generate may follow (a side is the schema model or the
    # migrations), when asked for, or when they come next.
    if artifact or keep_artifact or {source, target} & {"schemaModel", "migrations"}:
        saved = artifact_path(artifact, _project_settings(overrides))
        made.save(saved, comparison.diff)
    return DiffRun(comparison, made, saved)


def _ids(changes: str | Sequence[int] | None) -> list[int] | None:
    """`--changes 1,3,4` (or the ids) as ids; None: every change."""
    from dbci.schema.artifact import parse_ids

    return parse_ids(changes) if changes is None or isinstance(changes, str) else list(changes)


def model(
    overrides: Overrides,
    *,
    changes: str | Sequence[int] | None = None,
    include_grants: bool = False,
    include_owners: bool = False,
    artifact: str | None = None,
    compared: DiffArtifact | None = None,
) -> ModelResult:
    """write the schema model: a database's objects, or a diff's changes

    With -e/--url: write every object of that database as one SQL file under schema-model/
    ([flywayDesktop] schemaModel), deleting the files of objects that are gone. Without:
    make the changes of the last diff (one side schemaModel) to the schema model, all or
    those --changes picks.

    The diff is `compared` (a `DiffRun.artifact`), else the artifact file `artifact`, else
    the project's last.
    """
    import dataclasses

    from dbci.errors import InputError
    from dbci.schema.model_commands import model_from_artifact, model_from_database, read_artifact

    ids = _ids(changes)
    named = compared is None and bool(overrides.environment or overrides.url)
    settings = load_settings(overrides if named else dataclasses.replace(overrides, url=None))
    if named:
        if ids is not None:
            raise InputError("--changes picks changes of a diff: not with -e/--url")
        return model_from_database(
            settings, include_grants=include_grants, include_owners=include_owners
        )
    compared = compared or read_artifact(artifact, settings)
    return model_from_artifact(settings, compared, ids)


def generate(
    overrides: Overrides,
    *,
    description: str | None,
    version: str | None = None,
    changes: str | Sequence[int] | None = None,
    artifact: str | None = None,
    compared: DiffArtifact | None = None,
    column_order: bool | None = None,
) -> Generated:
    """write the next migration and its undo script from the last diff

    From the diff artifact (migrations against a database or the schema model):
    V<n>__<description>.sql that makes the migrations' schema into the other, and
    U<n>__<description>.sql that undoes it; statements that can lose data carry a warning.
    dbci build then proves the pair.

    The diff is `compared`, else the artifact file `artifact`, else the project's last;
    `version` defaults to the highest version's first part + 1. `column_order` as for
    `diff`.
    """
    import dataclasses

    from dbci.errors import InputError
    from dbci.schema.generate import generate as write
    from dbci.schema.model_commands import read_artifact

    ids = _ids(changes)
    settings = load_settings(dataclasses.replace(overrides, url=None))
    compared = compared or read_artifact(artifact, settings)
    if not description:
        raise InputError("generate needs --description, the migration's few words")
    return write(
        settings,
        compared,
        ids,
        description=description,
        version=version,
        column_order=column_order,
    )


# ---- the stages ------------------------------------------------------------------------------


def build(
    overrides: Overrides,
    *,
    build_environment: str | None = None,
    build_version: str | None = None,
    verify_undo: bool | None = None,
    keep: bool = False,
    dialect: str | None = None,
    report_dir: Path | None = None,
    log: Log = quiet,
) -> BuildRun:
    """the build stage: every migration on a throwaway build database

    Provision the build database (the build environment's provisioner: clean,
    create-database, docker; with none, an embedded PostgreSQL or SQLite), apply every
    migration with its time, verify each undo script, run the SQL tests under tests/sql,
    and snapshot the result into the report directory.

    A failed build is in the result (`result.status`, `result.error`), as is a cancelled
    one ("cancelled"); report.json is written either way.
    """
    from dbci.stages.runs import run_build

    settings = load_settings(overrides)
    return run_build(
        overrides,
        settings,
        build_env=build_environment,
        build_version=build_version,
        verify_undo=verify_undo,
        keep=keep,
        dialect=dialect,
        report_dir=report_dir,
        log=log,
    )


def check(
    overrides: Overrides,
    parts: Sequence[str] = (),
    *,
    dialect: str | None = None,
    changed_from: str | None = None,
    fail_on: str | None = None,
    fail_on_drift: bool | None = None,
    drift_source: str = "rebuild",
    build_environment: str | None = None,
    report_dir: Path | None = None,
    log: Log = quiet,
) -> CheckRun:
    """the check stage: code analysis of the migrations (SQLFluff and dbci's rules)

    Lint the migrations with SQLFluff and dbci's rules for dangerous changes: the target's
    pending migrations with -e/--url, else the files changed since --changed-from REF, else
    every script. Needs no database without a target. Writes the code section of
    report.json; exits 1 when a finding is at or above the failing severity.

    With a target, the `parts` asked of changes, drift, code, dryrun (none: all);
    `run.failed` says whether a gate failed.
    """
    from dbci.stages.runs import check_stage

    return check_stage(
        overrides,
        load_settings(overrides),
        parts,
        dialect=dialect,
        changed_from=changed_from,
        fail_on=fail_on,
        fail_on_drift=fail_on_drift,
        drift_source=drift_source,
        build_env=build_environment,
        report_dir=report_dir,
        log=log,
    )


def pipeline(
    overrides: Overrides,
    parts: Sequence[str] = (),
    *,
    build_version: str | None = None,
    verify_undo: bool | None = None,
    dialect: str | None = None,
    fail_on: str | None = None,
    fail_on_drift: bool | None = None,
    drift_source: str = "rebuild",
    build_environment: str | None = None,
    report_dir: Path | None = None,
    log: Log = quiet,
    error: Log = quiet,
) -> PipelineRun:
    """build + check (+ report) in one call: the pull-request workflow

    Build the migrations, then check them against -e TARGET; report.json holds both
    stages.

    `error` hears the build's error line as soon as the build ends (the check runs on);
    `run.failed` says whether the build or a gate of the check failed.
    """
    from dbci.stages.pipeline import pipeline as run

    settings = load_settings(overrides)
    return run(
        overrides,
        settings,
        parts,
        build_env=build_environment,
        build_version=build_version,
        verify_undo=verify_undo,
        drift_source=drift_source,
        fail_on_drift=fail_on_drift,
        dialect=dialect,
        fail_on=fail_on,
        report_dir=report_dir,
        log=log,
        error=error,
    )


def deploy(
    overrides: Overrides,
    *,
    plan: Path | None = None,
    fail_on_drift: bool | None = None,
    parallel: int = 4,
    fail_fast: bool = False,
    undo_on_failure: bool = False,
    build_environment: str | None = None,
    report_dir: Path | None = None,
    log: Log = quiet,
    announce: Log = quiet,
) -> DeployRun:
    """the deploy stage: pending migrations to -e TARGET[,TARGET…]

    For each target: take the lock, validate, refuse on drift, hold to the checked plan
    (--plan), apply the pending migrations, save the schema for the next drift check.
    Several targets run in parallel.

    Each target's outcome (and error, and exit code) is in `run.result.targets`;
    `announce` hears each one's line before report.json is written.
    `fail_on_drift` defaults to [dbci.deploy] fail_on_drift, else true.
    """
    from dbci.console import remember_settings
    from dbci.errors import InputError
    from dbci.settings.config import dbci_flag
    from dbci.stages.runs import run_deploy

    project = _project_settings(overrides)
    remember_settings(project)
    configured = dbci_flag(project, "deploy", "fail_on_drift", True)
    if parallel < 1:
        raise InputError("--parallel must be at least 1")
    return run_deploy(
        overrides,
        project,
        parallel=parallel,
        fail_fast=fail_fast,
        plan=plan,
        fail_on_drift=configured if fail_on_drift is None else fail_on_drift,
        undo_on_failure=undo_on_failure,
        build_env=build_environment,
        report_dir=report_dir,
        log=log,
        announce=announce,
    )


def data(
    overrides: Overrides,
    *,
    source: str,
    target: str,
    report_dir: Path | None = None,
    log: Log = quiet,
) -> DataRun:
    """refresh: fill an environment with a masked, referentially intact subset of another's rows

    `data refresh --from SOURCE --to TARGET`: build TARGET's schema from the migrations in
    a new database, copy [dbci.data]'s subset of SOURCE's rows into it (start tables, then
    every row they reference), masked as [dbci.data.mask] says, then swap it in. SOURCE is
    read in one read-only snapshot; TARGET must not be protected and must allow it.

    The report directory's report.json gets the refresh's `data` section (`run.path`),
    also when it fails or is cancelled.
    """
    import dataclasses

    from dbci.errors import InputError
    from dbci.stages.runs import run_data_refresh

    if overrides.url is not None:
        raise InputError("data refresh takes its databases from --from and --to, not --url")
    source_settings = load_settings(dataclasses.replace(overrides, environment=source))
    target_settings = load_settings(dataclasses.replace(overrides, environment=target))
    return run_data_refresh(source_settings, target_settings, report_dir=report_dir, log=log)


def report(
    overrides: Overrides, *, report_dir: Path | None = None, comment: bool = False
) -> Rendered:
    """render every report file from report.json; --comment posts the PR/MR comment

    Render comment.md, summary.md, report.html, junit.xml and results.sarif into the
    report directory from its report.json alone. With --comment, create or edit this
    project's, environment's and stage's comment on the pull/merge request (GitHub, GitLab,
    Azure DevOps); API errors are warnings.

    The files written are `directory / name` for each of `files`; a comment's outcome is in
    `comment` (its `warning` says why it was not posted).
    """
    from dbci.report.document import report_directory_in
    from dbci.report.render import render_all
    from dbci.stages.runs import DEFAULT_REPORT_DIR

    project = _project_settings(overrides)
    directory = report_directory_in(Path(report_dir or DEFAULT_REPORT_DIR), project.project_dir)
    if not comment:
        return render_all(directory, project.project_dir)
    from dbci.ci.comments import upsert_comment

    return render_all(directory, project.project_dir, post_comment=upsert_comment)
