"""The `dbci` command line's parser: the global options, then one subcommand with its own.

Each command's help and description are the first two paragraphs of its `dbci.api`
function's docstring; the options several commands share are added by one function each
(`_global_options`, `_check_options`, `_build_version_options`, ...).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from dbci import __version__, api
from dbci.errors import InputError


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

    p = _command(commands, "migrate")
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

    p = _command(commands, "info")
    p.add_argument("--target", help="show migrations above this version as Above Target")
    _out_of_order(p, "treat unapplied migrations below the current version as pending")
    _global_options(p, suppress=True)

    p = _command(commands, "validate")
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

    p = _command(commands, "baseline")
    p.add_argument("--baseline-version", metavar="VERSION", help="baseline version (default: 1)")
    p.add_argument(
        "--baseline-description",
        metavar="TEXT",
        help="baseline description (default: << Flyway Baseline >>)",
    )
    _global_options(p, suppress=True)

    p = _command(commands, "repair")
    _global_options(p, suppress=True)

    p = _command(commands, "clean")
    _global_options(p, suppress=True)

    p = _command(commands, "undo")
    p.add_argument("--target", metavar="VERSION", help="undo every applied version >= VERSION")
    _global_options(p, suppress=True)

    p = _command(commands, "snapshot")
    p.add_argument("--to", metavar="FILE", help="write to FILE (default: standard output)")
    p.add_argument("--include-grants", action="store_true", help="include privileges")
    p.add_argument("--include-owners", action="store_true", help="include owners")
    _global_options(p, suppress=True)

    p = _command(commands, "diff")
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
    p.add_argument("--include-owners", action="store_true", help="compare owners too")
    _diff_build_options(p)
    _artifact_options(p)
    _generate_options(p)
    _global_options(p, suppress=True)

    p = _command(commands, "model")
    p.add_argument("--include-grants", action="store_true", help="write privileges too")
    p.add_argument("--include-owners", action="store_true", help="write owners too")
    _artifact_options(p)
    _global_options(p, suppress=True)

    p = _command(commands, "generate")
    _artifact_options(p)
    _generate_options(p)
    _global_options(p, suppress=True)

    p = _command(commands, "build")
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

    p = _command(commands, "check")
    _check_options(p)
    _global_options(p, suppress=True)

    p = _command(commands, "deploy")
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

    p = _command(commands, "data")
    p.add_argument("action", choices=("refresh",), help="what to do: refresh")
    p.add_argument("--from", dest="source", required=True, metavar="ENV", help="read from ENV")
    p.add_argument("--to", dest="target", required=True, metavar="ENV", help="refresh ENV")
    _global_options(p, suppress=True)

    p = _command(commands, "report")
    p.add_argument("--comment", action="store_true", help="upsert the PR/MR comment")
    _global_options(p, suppress=True)

    p = _command(commands, "pipeline")
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
    p.add_argument(
        "--column-order",
        action="store_true",
        default=None,
        help="a table whose columns are in another order differs; PostgreSQL rebuilds it "
        "(rows copied) to fix the order",
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
    # Each part asked is collected in `parts` (the check orders them, and none means all).
    for name, what in (
        ("changes", "what the pending migrations change"),
        ("drift", "the target's drift from its migrations"),
        ("code", "code analysis of the pending scripts"),
        ("dryrun", "the SQL deploy would run"),
    ):
        p.add_argument(f"--{name}", action="append_const", dest="parts", const=name, help=what)
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


def _command(commands: Any, name: str) -> argparse.ArgumentParser:
    """The subparser of `name`: its help and description from `dbci.api.<name>`'s docstring."""
    help_text, description = _doc(getattr(api, name))
    parser: argparse.ArgumentParser = commands.add_parser(
        name, help=help_text, description=description
    )
    return parser


def _doc(function: Callable[..., Any]) -> tuple[str, str]:
    """A docstring's first two paragraphs, each as one line: (help, description)."""
    paragraphs = [" ".join(p.split()) for p in (function.__doc__ or "").split("\n\n")]
    return paragraphs[0], paragraphs[1] if len(paragraphs) > 1 else ""
