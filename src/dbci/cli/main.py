"""The `dbci` command line: argument parsing, output, and the one place errors become exit codes."""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, cast

from dbci import __version__
from dbci.console import error as _error
from dbci.console import remember as _remember
from dbci.console import remember_settings
from dbci.console import say as _say
from dbci.console import say_error as _error_stream
from dbci.console import shown as _shown
from dbci.errors import EXIT_GATE, EXIT_INPUT, DbciError, GateFailed, InputError


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise InputError(f"{message} (see '{self.prog} --help')")


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    # The same options are accepted before and after the command; after it, only the
    # ones given override (SUPPRESS keeps argparse from resetting them to None).
    default: Any = argparse.SUPPRESS if suppress else None
    g = parser.add_argument_group("global options")
    g.add_argument(
        "--project",
        type=Path,
        default=default,
        metavar="DIR",
        help="project directory (default: current directory)",
    )
    g.add_argument(
        "--config",
        type=Path,
        default=default,
        metavar="FILE",
        help="config file (default: dbci.toml, else flyway.toml, in the project)",
    )
    g.add_argument(
        "-e",
        "--environment",
        default=default,
        metavar="NAME",
        help="environment from the config file's [environments.NAME]",
    )
    g.add_argument("--url", default=default, help="database URL (JDBC or SQLAlchemy)")
    g.add_argument("--user", default=default, help="database user")
    g.add_argument("--password", default=default, help="database password")
    g.add_argument(
        "--schemas",
        default=default,
        metavar="A,B",
        help="schemas to manage; the first holds the history table",
    )
    g.add_argument(
        "--output", choices=["text", "json"], default=default, help="output format (default: text)"
    )
    g.add_argument(
        "--report-dir",
        type=Path,
        default=default,
        metavar="DIR",
        help="report directory (default: dbci-report)",
    )
    g.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="show the Python traceback of an internal error",
    )


def _out_of_order(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument(
        "--out-of-order", action=argparse.BooleanOptionalAction, default=None, help=help
    )


def build_parser() -> argparse.ArgumentParser:
    """The full parser: global options, then one subcommand."""
    parser = _Parser(prog="dbci", description="Database CI/CD for versioned SQL migrations.")
    parser.add_argument("--version", action="version", version=f"dbci {__version__}")
    _global_options(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    p = commands.add_parser(
        "migrate",
        help="apply pending migrations to the environment",
        description="Apply pending migrations, one transaction each.",
    )
    p.add_argument("--target", help="migrate up to this version (or latest, current, next)")
    _out_of_order(p, "apply pending migrations below the current version too")
    p.add_argument(
        "--group",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="apply all pending migrations in one transaction: all or none (default: false)",
    )
    p.add_argument(
        "--validate-on-migrate",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="validate before migrating (default: true)",
    )
    p.add_argument(
        "--baseline-on-migrate",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="on a non-empty schema without history, baseline first (default: false)",
    )
    p.add_argument(
        "--skip-executing-migrations",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="record pending migrations as applied without running them, for changes "
        "already made by hand (Flyway's skipExecutingMigrations; default: false)",
    )
    p.add_argument(
        "--dry-run",
        metavar="FILE",
        help="write the SQL migrate would execute to FILE (- for standard output); run "
        "nothing. Placeholders hold their real values, secret ones included: keep FILE out "
        "of reports and logs (check's dry run shows secret placeholders as ${name})",
    )
    _global_options(p, suppress=True)

    p = commands.add_parser(
        "info",
        help="every migration and its state",
        description="Show every migration and its state.",
    )
    p.add_argument("--target", help="show migrations above this version as Above Target")
    _out_of_order(p, "treat unapplied migrations below the current version as pending")
    _global_options(p, suppress=True)

    p = commands.add_parser(
        "validate",
        help="check files against the history; exit 1 on any problem",
        description="Validate applied migrations against files.",
    )
    p.add_argument(
        "--fail-on-pending", action="store_true", help="pending migrations are a problem too"
    )
    p.add_argument(
        "--ignore-migration-patterns",
        metavar="PATTERNS",
        help="comma-separated TYPE:STATE patterns to ignore (default: *:future)",
    )
    _out_of_order(p, "unapplied migrations below the current version are pending, not ignored")
    _global_options(p, suppress=True)

    p = commands.add_parser(
        "baseline",
        help="start the history of an existing database at a version",
        description="Baseline an existing database: record a baseline version in a new "
        "history table, so that only later migrations are applied.",
    )
    p.add_argument("--baseline-version", metavar="VERSION", help="baseline version (default: 1)")
    p.add_argument(
        "--baseline-description",
        metavar="TEXT",
        help="baseline description (default: << Flyway Baseline >>)",
    )
    _global_options(p, suppress=True)

    p = commands.add_parser(
        "repair",
        help="fix the history table: failed rows, checksums, missing files",
        description="Remove failed migration rows, realign checksums, descriptions and types "
        "with the files, and mark applied migrations whose files are gone as deleted.",
    )
    _global_options(p, suppress=True)

    p = commands.add_parser(
        "clean",
        help="drop every object in the environment's schemas (only where allowed)",
        description="Drop every object in the environment's schemas and the history table. "
        'Allowed only for an environment with provisioner = "clean" or cleanDisabled = false, '
        "never for one in [dbci] protected (default: prod, production).",
    )
    _global_options(p, suppress=True)

    p = commands.add_parser(
        "undo",
        help="undo the latest applied version (or down to --target) with U scripts",
        description="Run the undo script (U<version>__*.sql) of the latest applied version, "
        "or of every applied version at or above --target, newest first.",
    )
    p.add_argument("--target", metavar="VERSION", help="undo every applied version >= VERSION")
    _global_options(p, suppress=True)

    p = commands.add_parser(
        "snapshot",
        help="write the environment's schema as stable JSON",
        description="Read every object of the environment's schemas (the history table left "
        "out) and write it as sorted, pretty JSON: the same database, the same bytes.",
    )
    p.add_argument("--to", metavar="FILE", help="write to FILE (default: standard output)")
    p.add_argument("--include-grants", action="store_true", help="include privileges")
    _global_options(p, suppress=True)

    p = commands.add_parser(
        "diff",
        help="compare two schemas: the changes and the SQL from one to the other",
        description="Compare two sources, each env:NAME, url:URL, snapshot:FILE, migrations "
        "(built on the build database) or schemaModel (the schema model, applied to one); "
        "list the objects added, changed and dropped with their ids, write the SQL that "
        "turns the source into the target, and keep the diff artifact for model and "
        "generate, which may follow on the same line: dbci diff … model, dbci diff … generate.",
    )
    # No `choices`: argparse checks an empty `*` list against them (and refuses it).
    p.add_argument(
        "then",
        nargs="*",
        metavar="model|generate",
        help="apply the diff next: to the schema model, or as the next migration",
    )
    p.add_argument("--source", required=True, metavar="SOURCE", help="the schema you have")
    p.add_argument("--target", required=True, metavar="SOURCE", help="the schema you want")
    p.add_argument("--sql", metavar="FILE", help="write the SQL script to FILE (- for stdout)")
    p.add_argument("--exit-code", action="store_true", help="exit 1 when there are differences")
    p.add_argument("--include-grants", action="store_true", help="compare privileges too")
    _diff_build_options(p)
    _artifact_options(p)
    _generate_options(p)
    _global_options(p, suppress=True)

    p = commands.add_parser(
        "model",
        help="write the schema model: a database's objects, or a diff's changes",
        description="With -e/--url: write every object of that database as one SQL file "
        "under schema-model/ ([flywayDesktop] schemaModel), deleting the files of objects "
        "that are gone. Without: make the changes of the last diff (one side schemaModel) "
        "to the schema model, all or those --changes picks.",
    )
    p.add_argument("--include-grants", action="store_true", help="write privileges too")
    _artifact_options(p)
    _global_options(p, suppress=True)

    p = commands.add_parser(
        "generate",
        help="write the next migration and its undo script from the last diff",
        description="From the diff artifact (migrations against a database or the schema "
        "model): V<n>__<description>.sql that makes the migrations' schema into the other, "
        "and U<n>__<description>.sql that undoes it; statements that can lose data carry a "
        "warning. dbci build then proves the pair.",
    )
    _artifact_options(p)
    _generate_options(p)
    _global_options(p, suppress=True)

    p = commands.add_parser(
        "build",
        help="the build stage: every migration on a throwaway build database",
        description="Provision the build database (the build environment's provisioner: "
        "clean, create-database, docker; with none, an embedded PostgreSQL or SQLite), "
        "apply every migration with its time, verify each undo script, run the SQL tests "
        "under tests/sql, and snapshot the result into the report directory.",
    )
    p.add_argument(
        "--build-environment",
        metavar="NAME",
        help="the build environment (default: [flywayDesktop] shadowEnvironment, else "
        "'build', else embedded)",
    )
    _build_version_options(p)
    p.add_argument("--keep", action="store_true", help="keep a created build database")
    p.add_argument("--dialect", help="the embedded build database: postgresql or sqlite")
    _global_options(p, suppress=True)

    p = commands.add_parser(
        "check",
        help="the check stage: code analysis of the migrations (SQLFluff and dbci's rules)",
        description="Lint the migrations with SQLFluff and dbci's rules for dangerous "
        "changes: the target's pending migrations with -e/--url, else the files changed "
        "since --changed-from REF, else every script. Needs no database without a target. "
        "Writes the code section of report.json; exits 1 when a finding is at or above "
        "the failing severity.",
    )
    _check_options(p)
    _global_options(p, suppress=True)

    p = commands.add_parser(
        "deploy",
        help="the deploy stage: pending migrations to -e TARGET[,TARGET…]",
        description="For each target: take the lock, validate, refuse on drift, hold to "
        "the checked plan (--plan), apply the pending migrations, save the schema for the "
        "next drift check. Several targets run in parallel.",
    )
    p.add_argument("--plan", metavar="REPORT", help="deploy only what this check report saw")
    p.add_argument(
        "--fail-on-drift",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="refuse a drifted target (default: [dbci.deploy] fail_on_drift, else yes)",
    )
    p.add_argument("--parallel", type=int, default=4, metavar="N", help="targets at once (4)")
    p.add_argument("--fail-fast", action="store_true", help="stop the others when one fails")
    p.add_argument(
        "--undo-on-failure",
        action="store_true",
        help="on an engine without transactional DDL, undo what this deploy applied",
    )
    p.add_argument(
        "--build-environment",
        metavar="NAME",
        help="where the drift gate rebuilds a target's migrations when no up-to-date "
        "snapshot of it was saved (default: as build)",
    )
    _global_options(p, suppress=True)

    p = commands.add_parser(
        "report",
        help="render every report file from report.json; --comment posts the PR/MR comment",
        description="Render comment.md, summary.md, report.html, junit.xml and results.sarif "
        "into the report directory from its report.json alone. With --comment, create or "
        "edit this project's, environment's and stage's comment on the pull/merge request "
        "(GitHub, GitLab, Azure DevOps); API errors are warnings.",
    )
    p.add_argument("--comment", action="store_true", help="upsert the PR/MR comment")
    _global_options(p, suppress=True)

    p = commands.add_parser(
        "pipeline",
        help="build + check (+ report) in one call: the pull-request workflow",
        description="Build the migrations, then check them against -e TARGET; report.json "
        "holds both stages.",
    )
    _check_options(p)
    _build_version_options(p)
    _global_options(p, suppress=True)
    return parser


def _diff_build_options(p: argparse.ArgumentParser) -> None:
    """How `diff` builds its migrations and schemaModel sources."""
    p.add_argument(
        "--build-environment", metavar="NAME", help="the build database (default: as build)"
    )
    p.add_argument("--build-version", metavar="V", help="build the migrations up to V")
    p.add_argument(
        "--rebuild", action="store_true", help="clean the build database and build it again"
    )


def _artifact_options(p: argparse.ArgumentParser) -> None:
    """Where the diff artifact is, and which of its changes to take."""
    p.add_argument(
        "--artifact", metavar="FILE", help="the diff artifact (default: .dbci_cache/diff.json)"
    )
    p.add_argument("--changes", metavar="ID,ID", help="only these changes of the diff")


def _generate_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--description", default=None, help="the migration's description (generate)")
    p.add_argument(
        "--version",
        dest="migration_version",
        metavar="V",
        help="the migration's version (generate; default: the highest's first part + 1)",
    )


def _build_version_options(p: argparse.ArgumentParser) -> None:
    """What to build and whether to verify undo scripts (`build` and `pipeline`)."""
    p.add_argument("--build-version", metavar="V", help="build up to this version")
    p.add_argument(
        "--verify-undo",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="undo and re-apply each version that has an undo script (default: when any has)",
    )


def _check_options(p: argparse.ArgumentParser) -> None:
    """The options of `check` (and `pipeline`)."""
    p.add_argument("--changes", action="store_true", help="what the pending migrations change")
    p.add_argument("--drift", action="store_true", help="the target's drift from its migrations")
    p.add_argument("--code", action="store_true", help="code analysis of the pending scripts")
    p.add_argument("--dryrun", action="store_true", help="the SQL deploy would run")
    p.add_argument("--dialect", help="SQL dialect when no database URL says (postgres, …)")
    p.add_argument("--changed-from", metavar="REF", help="code: only the files changed since REF")
    p.add_argument(
        "--fail-on",
        choices=("error", "warning", "info", "never"),
        help="code analysis's failing severity (default: [dbci.check.code] fail_on, else error)",
    )
    p.add_argument(
        "--fail-on-drift",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="fail when the target has drifted (default: [dbci.check] fail_on_drift, else no)",
    )
    p.add_argument(
        "--drift-source",
        default="rebuild",
        metavar="SOURCE",
        help="what the target should hold: rebuild (default), snapshot-history, snapshot:FILE",
    )
    p.add_argument(
        "--build-environment",
        metavar="NAME",
        help="the build database for changes and drift (default: as for build)",
    )


# Command options that set a `[flyway]` key (the command line beats file and environment).
_FLYWAY_OPTIONS = {
    "target": "target",
    "group": "group",
    "out_of_order": "outOfOrder",
    "validate_on_migrate": "validateOnMigrate",
    "baseline_on_migrate": "baselineOnMigrate",
    "skip_executing_migrations": "skipExecutingMigrations",
    "baseline_version": "baselineVersion",
    "baseline_description": "baselineDescription",
}


# Commands whose process may end without Python's teardown (see `run`): they hold
# nothing that needs it (no temporary server, no lock), only a large schema in memory.
_QUICK_EXIT_COMMANDS = frozenset({"snapshot", "diff"})
_quick_exit = False
# What a quick-exit command made, kept until `os._exit` ends the process so that freeing
# it object by object (about 0.01 s for two 2,000-table schemas) is never paid.
_kept: list[object] = []


def run() -> NoReturn:
    """The `dbci` program: run the command line and end the process with its exit code.

    `snapshot` and `diff` run without the cyclic garbage collector, and once their output
    is flushed the process ends at once. Their objects all live until the end and hold no
    cycles, so a collection only walks them again: the first one after a pause walks every
    object made during it, about 0.03 s of a 2,000-table diff. And Python's teardown would
    free a large schema object by object (another 0.05 s), for nothing. Other commands get
    the collector back as soon as the command line is read.
    """
    gc.disable()
    code = main(_from_run=True)
    if _quick_exit:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BrokenPipeError:  # the reader went away (`dbci diff | head`): nothing lost
            pass
        os._exit(code)
    raise SystemExit(code)


def main(argv: Sequence[str] | None = None, *, _from_run: bool = False) -> int:
    """Run the command line; return the exit code. SIGINT and SIGTERM cancel the run
    (`dbci.cancel`): exit 130 and 143."""
    from dbci import cancel
    try:
        with cancel.handling_signals():
            return _main(argv, _from_run)
    except cancel.Cancelled as stop:  # a signal in the instant after the command ended
        return stop.exit_code


def _main(argv: Sequence[str] | None, _from_run: bool) -> int:
    from dbci import cancel
    global _quick_exit
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    args: argparse.Namespace | None = None
    try:
        args = build_parser().parse_args(argv)
        _quick_exit = _from_run and args.command in _QUICK_EXIT_COMMANDS
        if _from_run and not _quick_exit:
            gc.enable()
        return _run(args)
    except cancel.Cancelled as stop:
        _error(str(stop))
        return stop.exit_code
    except DbciError as exc:
        _config_secrets(args)
        if cancel.requested():  # the failure the cancel caused: a statement cancelled
            signalled = cancel.cancelled()
            _error(f"{signalled}: {exc}")
            return signalled.exit_code
        _error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        _config_secrets(args)
        if cancel.requested():
            signalled = cancel.cancelled()
            _error(f"{signalled}: {_first_line(exc)}")
            return signalled.exit_code
        refused = _database_error(exc)
        if refused is not None:  # the database said no (a permission, say): not a bug
            _error(refused)
            return EXIT_GATE
        if debug:  # a bug in dbci: still one line unless asked for more
            traceback.print_exc()
        _error(f"internal error: {type(exc).__name__}: {exc} (run with --debug for details)")
        return EXIT_GATE


def _database_error(exc: BaseException) -> str | None:
    """The one line for a database's refusal that no command turned into its own error."""
    from dbci.engines.base import driver_error

    found = driver_error(exc)
    return None if found is None else f"the database refused: {_first_line(found[1])}"


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _run(args: argparse.Namespace) -> int:
    from dbci.cli import output
    from dbci.settings.config import load_settings
    from dbci.settings.redact import url_passwords

    if args.password:
        _remember(args.password)
    if os.environ.get("DBCI_PASSWORD"):
        _remember(os.environ["DBCI_PASSWORD"])
    # A password inside a URL is as secret as one given on its own (and --url's is not
    # settings.password); diff's url: sources carry URLs as well.
    for url in (
        args.url,
        os.environ.get("DBCI_URL"),
        os.environ.get("DBCI_BUILD_URL"),
        getattr(args, "source", None),
        getattr(args, "target", None),
    ):
        if isinstance(url, str):
            _remember(*url_passwords(url.removeprefix("url:")))
    if args.command == "diff":
        return _diff(args)
    if args.command in ("model", "generate"):
        from dbci.cli import output
        data, text = _model_or_generate(args, args.command, None)
        _say(output.dumps(data) if args.output == "json" else text)
        return 0
    if args.command == "build":
        return _build(args)
    if args.command == "report":
        return _report(args)
    if args.command == "deploy":
        return _deploy(args)
    flyway_keys: dict[str, Any] = {
        key: getattr(args, option)
        for option, key in _FLYWAY_OPTIONS.items()
        if getattr(args, option, None) is not None
    }
    if getattr(args, "ignore_migration_patterns", None):
        flyway_keys["ignoreMigrationPatterns"] = [
            p.strip() for p in args.ignore_migration_patterns.split(",") if p.strip()
        ]
    settings = load_settings(_overrides(args, flyway_keys))
    remember_settings(settings)
    as_json = args.output == "json"
    log = _error_stream if as_json else _say

    if args.command in ("check", "pipeline"):
        return _check(args, settings, as_json)
    if args.command == "migrate" and args.dry_run is not None:
        if settings.skip_executing_migrations:  # it would show SQL that migrate never runs
            raise InputError(
                f"--dry-run: skipExecutingMigrations is set for {settings.where()}: migrate "
                "would run none of the pending migrations' SQL, only record them"
            )
        return _dry_run(settings, args.dry_run, as_json)
    if args.command == "migrate":
        from dbci.migrate import commands
        result = commands.migrate(settings, log=log)
        if as_json:
            _say(output.dumps(output.migrate_json(result)))
        return 0
    if args.command == "snapshot":
        from dbci.schema import commands as schema_commands
        from dbci.schema.snapshot_file import dumps

        to = Path(args.to) if args.to and args.to != "-" else None
        # Progress goes to standard error only while standard output carries the snapshot.
        taken = schema_commands.snapshot(
            settings,
            to=to,
            include_grants=args.include_grants,
            log=_error_stream if to is None else _say,
        )
        if to is None:
            sys.stdout.write(dumps(taken.snapshot))
        _keep(taken)
        return 0
    if args.command in ("baseline", "repair", "clean", "undo"):
        from dbci.migrate import lifecycle
        run = getattr(lifecycle, args.command)
        render = getattr(output, f"{args.command}_json")
        done = run(settings, log=log)
        if as_json:
            _say(output.dumps(render(done)))
        return 0
    if args.command == "info":
        from dbci.migrate import commands
        info = commands.info(settings)
        _say(output.dumps(output.info_json(info)) if as_json else output.info_text(info))
        return 0
    if args.command == "validate":
        from dbci.migrate import commands
        checked = commands.validate(settings, fail_on_pending=args.fail_on_pending)
        if as_json:
            _say(output.dumps(output.validate_json(checked)))
        else:
            for warning in checked.warnings:
                _say(f"WARNING: {warning}")
            for problem in checked.problems:
                _say(str(problem))
        if checked.problems:
            count = len(checked.problems)
            raise GateFailed(
                f"validate failed: {count} problem{'s' * (count != 1)} in {settings.where()}"
            )
        if not as_json:
            _say(f"Successfully validated {checked.validated} migrations")
        return 0
    raise InputError(f"unknown command {args.command!r}", exit_code=EXIT_INPUT)


def _overrides(args: argparse.Namespace, flyway_keys: dict[str, Any] | None = None) -> Any:
    from dbci.settings.config import Overrides

    return Overrides(
        project=args.project,
        config=args.config,
        environment=args.environment,
        url=args.url,
        user=args.user,
        password=args.password,
        schemas=[s.strip() for s in args.schemas.split(",") if s.strip()] if args.schemas else None,
        settings=flyway_keys or {},
    )


def _diff(args: argparse.Namespace) -> int:
    """`dbci diff`: the change list (text or JSON), with --sql the script, the artifact;
    then model or generate on it when asked."""
    from dbci.cli import output
    from dbci.schema.artifact import DiffArtifact
    from dbci.schema.commands import compare
    from dbci.schema.model_commands import artifact_path
    from dbci.schema.sources import BuildOptions
    from dbci.settings.config import project_settings

    unknown = [step for step in args.then if step not in ("model", "generate")]
    if unknown:
        raise InputError(f"diff: {unknown[0]!r} is not model or generate")
    if "generate" in args.then and not args.description:
        raise InputError("generate needs --description, the migration's few words")
    as_json = args.output == "json"
    script_to_stdout = args.sql == "-"
    if script_to_stdout and as_json:
        raise InputError("--sql - and --output json would both write to standard output")
    overrides = _overrides(args)
    build = BuildOptions(args.build_environment, args.build_version, args.rebuild)
    comparison = compare(
        overrides,
        args.source,
        args.target,
        include_grants=args.include_grants,
        build=build,
        log=_error_stream if as_json or script_to_stdout else _say,
    )
    _keep(comparison)
    artifact = DiffArtifact(args.source, args.target, comparison.source, comparison.target)
    # The artifact is for model and generate: kept when they may follow (a side is the
    # schema model or the migrations), when asked for, or when they come next here.
    if args.artifact or args.then or {args.source, args.target} & {"schemaModel", "migrations"}:
        project = project_settings(overrides)
        artifact.save(artifact_path(args.artifact, project), comparison.diff)
    result = comparison.diff
    show = _error_stream if script_to_stdout else _say
    # What model and generate do next: in JSON beside the changes, in text after them.
    following = {step: _model_or_generate(args, step, artifact) for step in args.then}
    if as_json:
        _say(output.dumps(output.diff_json(result) | {s: d for s, (d, _) in following.items()}))
    else:
        show(output.diff_text(result))
        for _, text in following.values():
            show(text)
    if args.sql is not None:
        if script_to_stdout:
            sys.stdout.write(result.sql())
            sys.stdout.flush()
        else:
            path = Path(args.sql)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(result.sql(), encoding="utf-8")
            except OSError as exc:
                raise InputError(f"--sql: cannot write {args.sql}: {exc.strerror}") from None
    return 1 if args.exit_code and result.changes else 0


def _model_or_generate(
    args: argparse.Namespace, command: str, artifact: Any
) -> tuple[dict[str, Any], str]:
    """`dbci model` / `dbci generate`, alone or after a diff (`artifact`: the diff's):
    what it did, as JSON data and as text."""
    from dbci.cli import output
    from dbci.schema.artifact import parse_ids
    from dbci.schema.model_commands import model_from_artifact, model_from_database, read_artifact
    from dbci.settings.config import load_settings

    overrides = _overrides(args)
    ids = parse_ids(args.changes)
    named = command == "model" and artifact is None and (args.environment or args.url)
    settings = load_settings(overrides if named else dataclasses.replace(overrides, url=None))
    remember_settings(settings)
    if named:
        if ids is not None:
            raise InputError("--changes picks changes of a diff: not with -e/--url")
        done = model_from_database(settings, include_grants=args.include_grants)
    else:
        artifact = artifact or read_artifact(args.artifact, settings)
        if command == "generate":
            from dbci.schema.generate import generate

            if not args.description:
                raise InputError("generate needs --description, the migration's few words")
            made = generate(
                settings,
                artifact,
                ids,
                description=args.description,
                version=args.migration_version,
            )
            return output.generate_json(made), output.generate_text(made)
        done = model_from_artifact(settings, artifact, ids)
    return output.model_json(done), output.model_text(done)


def _build(args: argparse.Namespace) -> int:
    """`dbci build`: the report is written whatever happened; a failure is exit 1."""
    from dbci.cli import output
    from dbci.report.document import Report
    from dbci.settings.config import load_settings
    from dbci.stages.build.stage import build, write_outputs

    overrides = _overrides(args)
    as_json = args.output == "json"
    log = _error_stream if as_json else _say
    project = load_settings(overrides)
    remember_settings(project)
    report_dir = _report_dir(args, project.project_dir)
    report = Report.start(project)
    result = build(
        overrides,
        build_env=args.build_environment,
        build_version=args.build_version,
        verify_undo=args.verify_undo,
        keep=args.keep,
        dialect=args.dialect,
        log=log,
    )
    path = _write_report(
        lambda: write_outputs(result, report, report_dir, project.project_dir),
        f"the build {result.status}",
    )
    if as_json:
        _say(output.dumps({"build": result.to_dict(), "report": str(path)}))
    else:
        _say(output.build_text(result))
    if result.status == "cancelled":
        raise _cancelled(
            f"{len(result.migrations)} migrations were applied to the build database before "
            f"it, which is removed; {path} says so"
        )
    if result.error:
        _error(result.error)
    return 0 if result.status == "passed" else 1


def _write_report(write: Callable[[], Path], what_ran: str) -> Path:
    """Write a stage's report after its work: a signal does not cut into it, and a full
    disk or an unwritable folder is a failed run (exit 1) that says what ran, not bad
    input: the stage's work is done and stays done."""
    from dbci import cancel
    try:
        with cancel.cleaning_up():
            return write()
    except (DbciError, OSError) as exc:
        reason = exc.message if isinstance(exc, DbciError) else f"{exc.strerror or exc}"
        raise GateFailed(f"{what_ran}, but its report could not be written: {reason}") from None


def _cancelled(detail: str) -> BaseException:
    """The run's `Cancelled`, with what it did before the signal."""
    from dbci import cancel
    return cancel.cancelled(detail)


def _deploy(args: argparse.Namespace) -> int:
    """`dbci deploy`: every target's result in report.json; exit with the first failure's code."""
    from dbci.cli import output
    from dbci.report.document import Report
    from dbci.settings.config import project_settings
    from dbci.stages.deploy.stage import deploy

    overrides = _overrides(args)
    project = project_settings(overrides)
    remember_settings(project)
    configured = project.dbci.get("deploy", {}).get("fail_on_drift", True)
    if not isinstance(configured, bool):
        raise InputError("[dbci.deploy] fail_on_drift must be true or false")
    if args.parallel < 1:
        raise InputError("--parallel must be at least 1")
    as_json = args.output == "json"
    report_dir = _report_dir(args, project.project_dir)
    report = Report.existing(report_dir, project.project_dir) or Report(
        project=project.project_dir.name, environment=overrides.environment
    )
    result = deploy(
        overrides,
        parallel=args.parallel,
        fail_fast=args.fail_fast,
        plan_path=Path(args.plan) if args.plan else None,
        fail_on_drift=configured if args.fail_on_drift is None else args.fail_on_drift,
        undo_on_failure=args.undo_on_failure,
        build_env=args.build_environment,
        log=_error_stream if as_json else (_TerminalProgress() if sys.stdout.isatty() else _say),
    )
    report.deploy = result.to_dict()
    report.status = {"success": "passed", "cancelled": "cancelled"}.get(result.status, "failed")
    if result.environments:  # however they were named: -e, DBCI_ENVIRONMENT, the default
        order = [t.environment for t in result.targets]
        named = sorted(set(result.environments), key=lambda e: order.index(e) if e in order else 0)
        report.environment = ",".join(named)
    lines = [
        f"Deploy {t.environment}: {t.status}, {t.from_version or '<< empty >>'} -> "
        f"{t.to_version or t.from_version or '-'} ({len(t.applied)} applied)"
        for t in result.targets
    ]
    if not as_json:  # before the report: what was applied is said even if it cannot be
        for line in lines:
            _say(line)
    path = _write_report(
        lambda: report.write(report_dir, project.project_dir),
        "the deploy ran (" + "; ".join(lines) + ")",
    )
    if as_json:
        _say(output.dumps({**report.to_dict(), "report": str(path)}))
    if result.status == "cancelled":
        stopped = "; ".join(
            f"{t.environment}: "
            + (
                t.error.split(": ", 1)[1]
                if t.error and ": " in t.error
                else f"{len(t.applied)} migration{'s' * (len(t.applied) != 1)} applied"
            )
            for t in result.targets
            if t.status == "cancelled"
        )
        raise _cancelled(f"deploy stopped ({stopped}); {path} says what was applied")
    failed = [t for t in result.targets if t.status != "success"]
    if failed:
        first = next((t for t in failed if t.error), failed[0])
        _error(f"deploy failed on {', '.join(t.environment for t in failed)}: {first.error}")
        return first.exit_code or 1
    return 0


class _TerminalProgress:
    """Deploy's progress on a terminal: the lines of each applied migration overwrite one
    another on a single line with a bar of the applied count; other lines print as usual.
    Redirected output (a CI log) gets every line instead."""

    def __init__(self) -> None:
        self.applied = 0
        self.open = False

    def __call__(self, text: str) -> None:
        # "[qa] Migrated …" with several targets, "Migrated …" with one
        body = text.split("] ", 1)[1] if text.startswith("[") and "] " in text else text
        if body.startswith("Migrated"):
            self.applied += 1
            bar = "#" * min(self.applied % 41, 40)
            line = f"[{bar:<40}] {self.applied} applied: {_shown(text)}"
            sys.stdout.write("\r" + line[:160].ljust(160))
            sys.stdout.flush()
            self.open = True
            return
        if self.open:
            sys.stdout.write("\n")
            self.open = False
        _say(text)


def _report(args: argparse.Namespace) -> int:
    """`dbci report`: the files, and the comment when asked; a failed comment only warns."""
    from dbci.cli import output
    from dbci.report.render import render_all
    from dbci.settings.config import project_settings

    project = project_settings(_overrides(args))
    report_dir = Path(args.report_dir or "dbci-report")
    directory = report_dir if report_dir.is_absolute() else project.project_dir / report_dir
    done = render_all(directory, project.project_dir, comment=args.comment)
    as_json = args.output == "json"
    comment = done.comment
    if as_json:
        _say(
            output.dumps(
                {
                    "files": [str(directory / name) for name in done.files],
                    "comment": None
                    if comment is None
                    else {
                        "platform": comment.platform,
                        "action": comment.action,
                        "url": comment.url,
                        "warning": comment.warning,
                    },
                }
            )
        )
    else:
        _say(f"Report ({done.status}): " + ", ".join(str(directory / n) for n in done.files))
        if comment is not None:
            if comment.warning:
                _error_stream(f"WARNING: comment not posted: {comment.warning}")
            else:
                _say(f"Comment {comment.action} on {comment.platform}: {comment.url or ''}")
    return 0


def _check(args: argparse.Namespace, settings: Any, as_json: bool) -> int:
    """`dbci check` (and `pipeline`): with a target, every part asked (default all); with
    none, the code analysis alone."""
    from dbci import cancel
    from dbci.analysis.analysis import analyze
    from dbci.cli import output
    from dbci.report.document import Report
    from dbci.stages.check.drift import check_source
    from dbci.stages.check.stage import PARTS, check

    asked = tuple(part for part in PARTS if getattr(args, part))
    drift_source = check_source(args.drift_source)
    report = Report.start(settings)
    log = _error_stream if as_json else _say
    report_dir = _report_dir(args, settings.project_dir)
    code = 0
    parts = asked or PARTS
    if args.command == "pipeline":
        code, built = _run_build(args, settings, report, log)
        if not built:
            # The migrations do not build: the check's rebuild (changes, drift) would fail
            # the same way and say it again; the rest of the check still runs.
            parts = tuple(
                p for p in parts if p != "changes" and (p != "drift" or drift_source != "rebuild")
            )
    if settings.database is None:
        needs_target = [p for p in asked if p != "code"]
        if needs_target or args.command == "pipeline":
            raise InputError(
                f"check --{(needs_target or ['changes'])[0]} needs a target: -e ENVIRONMENT "
                "or --url"
            )
        result = analyze(
            settings,
            dialect=args.dialect,
            changed_from=args.changed_from,
            fail_on=args.fail_on,
            log=log,
        )
        report.code = result.to_dict()
        report.status = "failed" if result.failed else "passed"
        path = _write_report(
            lambda: report.write(report_dir, settings.project_dir), "the code analysis ran"
        )
        if as_json:
            _say(output.dumps({"code": result.to_dict(), "report": str(path)}))
        else:
            _say(output.code_text(result))
        return 1 if result.failed else 0
    try:
        checked = check(
            _overrides(args),
            parts,
            build_env=args.build_environment,
            drift_source=drift_source,
            fail_on_drift=args.fail_on_drift,
            dialect=args.dialect,
            fail_on=args.fail_on,
            log=log,
        )
        cancel.check()  # a part that the signal cut short is no finding
    except cancel.Cancelled as stop:
        report.status = "cancelled"
        path = _write_report(lambda: report.write(report_dir, settings.project_dir), str(stop))
        stop.detail = f"the check did not finish; {path} says so"
        raise
    directory = report_dir if report_dir.is_absolute() else settings.project_dir / report_dir
    if code:
        report.status = "failed"
    path = _write_report(
        lambda: _write_check(checked, report, directory, report_dir, settings.project_dir),
        "the check ran",
    )
    if as_json:
        _say(output.dumps({**report.to_dict(), "report": str(path)}))
    else:
        _say(output.check_text(checked))
    if checked.gates_failed:
        _error("gates failed: " + "; ".join(checked.gates_failed))
        return 1
    return code


def _write_check(
    checked: Any, report: Any, directory: Path, report_dir: Path, project_dir: Path
) -> Path:
    from dbci.stages.check.stage import write_check_outputs

    write_check_outputs(checked, report, directory)
    return cast(Path, report.write(report_dir, project_dir))


def _run_build(
    args: argparse.Namespace, settings: Any, report: Any, log: Any
) -> tuple[int, bool]:
    """The build half of `pipeline`, into the same report: (its exit code, whether every
    migration built)."""
    from dbci.stages.build.stage import build
    from dbci.stages.build.stage import write_outputs as write_build

    result = build(
        _overrides(args),  # built for the target the check goes to
        build_env=args.build_environment,
        build_version=args.build_version,
        verify_undo=args.verify_undo,
        dialect=None,
        log=log,
    )
    path = _write_report(
        lambda: write_build(
            result, report, Path(args.report_dir or "dbci-report"), settings.project_dir
        ),
        f"the build {result.status}",
    )
    if result.status == "cancelled":
        raise _cancelled(f"the build was cancelled, the check did not run; {path} says so")
    if result.error:
        _error(result.error)
    return (0 if result.status == "passed" else 1), not result.error


def _dry_run(settings: Any, destination: str, as_json: bool) -> int:
    """`migrate --dry-run FILE|-`: the script goes to the file, or alone to standard output."""
    from dbci.cli import output
    from dbci.migrate.dryrun import dry_run

    to_stdout = destination == "-"
    if to_stdout and as_json:
        raise InputError("--dry-run - and --output json would both write to standard output")
    result = dry_run(settings, log=_error_stream if to_stdout or as_json else _say)
    if to_stdout:
        sys.stdout.write(result.sql)
        sys.stdout.flush()
        return 0
    path = Path(destination)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(result.sql, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--dry-run: cannot write {destination}: {exc.strerror}") from None
    if as_json:
        _say(output.dumps(output.dry_run_json(result, destination)))
    else:
        count = len(result.pending)
        _say(f"Dry run: wrote the SQL of {count} pending migration{'s' * (count != 1)} to {path}")
    return 0


def _report_dir(args: argparse.Namespace, project_dir: Path) -> Path:
    """`--report-dir` (default dbci-report), made now: a stage that writes its report at
    the end must not find a file in the way only after its work (a deploy's, say) is done."""
    report_dir = Path(args.report_dir or "dbci-report")
    directory = report_dir if report_dir.is_absolute() else project_dir / report_dir
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError(f"--report-dir: {directory} is not a directory") from None
    except OSError as exc:
        raise InputError(f"--report-dir: cannot create {directory}: {exc.strerror}") from None
    return report_dir


def _keep(made: object) -> None:
    """Keep what a quick-exit command made alive until the process ends (see `_kept`)."""
    if _quick_exit:
        _kept.append(made)


def _config_secrets(args: argparse.Namespace | None) -> None:
    """The passwords of the config file this run read, before an error is printed."""
    from dbci.console import remember_config_secrets

    remember_config_secrets(getattr(args, "config", None), getattr(args, "project", None))
