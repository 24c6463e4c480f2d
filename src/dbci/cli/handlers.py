"""The `dbci` commands: `HANDLERS`, one handler per command, each turning the parsed
arguments into a `dbci.api` call and rendering what it returns (`dbci.cli.output`).

A handler returns the exit code; a problem is raised (`DbciError`, `Cancelled`) and becomes
one line and an exit code in one place, `dbci.cli.main`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbci import api
from dbci.console import error as _error
from dbci.console import say as _say
from dbci.console import say_error as _error_stream
from dbci.errors import GateFailed, InputError
from dbci.log import Log, quiet

if TYPE_CHECKING:
    from dbci.settings.config import Overrides, Settings

Handler = Callable[[argparse.Namespace], int]

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

# Commands whose process may end without Python's teardown (`dbci.cli.app.run`): they
# hold nothing that needs it (no temporary server, no lock), only a large schema in memory.
QUICK_EXIT_COMMANDS = frozenset({"snapshot", "diff"})


class _Process:
    """Whether this process ends without Python's teardown (`dbci.cli.app.run`), and
    what a quick-exit command made, kept until `os._exit` ends the process so that freeing
    it object by object (about 0.01 s for two 2,000-table schemas) is never paid."""

    def __init__(self) -> None:
        self.quick_exit = False
        self.kept: list[object] = []


PROCESS = _Process()


def _keep(made: object) -> None:
    """Keep what a quick-exit command made alive until the process ends."""
    if PROCESS.quick_exit:
        PROCESS.kept.append(made)


def overrides(args: argparse.Namespace, flyway_keys: dict[str, Any] | None = None) -> Overrides:
    """What the command line says, for `dbci.api`."""
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


def _settings(args: argparse.Namespace) -> Settings:
    """The settings of a command on one database, its `[flyway]` options included."""
    flyway_keys: dict[str, Any] = {
        key: getattr(args, option)
        for option, key in _FLYWAY_OPTIONS.items()
        if getattr(args, option, None) is not None
    }
    if getattr(args, "ignore_migration_patterns", None):
        flyway_keys["ignoreMigrationPatterns"] = [
            p.strip() for p in args.ignore_migration_patterns.split(",") if p.strip()
        ]
    return api.load_settings(overrides(args, flyway_keys))


def _json(args: argparse.Namespace) -> bool:
    return bool(args.output == "json")


def _log(args: argparse.Namespace) -> Log:
    """Progress: to standard output, or to standard error while it carries JSON."""
    return _error_stream if _json(args) else _say


def _report_dir(args: argparse.Namespace) -> Path | None:
    return Path(args.report_dir) if args.report_dir else None


def _cancelled(detail: str) -> BaseException:
    """The run's `Cancelled`, with what it did before the signal."""
    from dbci import cancel

    return cancel.cancelled(detail)


# ---- one database -------------------------------------------------------------------------


def _migrate(args: argparse.Namespace) -> int:
    from dbci.cli import output

    settings = _settings(args)
    if args.dry_run is not None:
        return _dry_run(args, settings)
    result = api.migrate(settings, log=_log(args))
    if _json(args):
        _say(output.dumps(output.migrate_json(result)))
    return 0


def _dry_run(args: argparse.Namespace, settings: Settings) -> int:
    """`migrate --dry-run FILE|-`: the script goes to the file, or alone to standard output."""
    from dbci.cli import output

    destination: str = args.dry_run
    to_stdout = destination == "-"
    # With skipExecutingMigrations set, api.dry_run's refusal comes first (as it always has).
    if to_stdout and _json(args) and not settings.skip_executing_migrations:
        raise InputError("--dry-run - and --output json would both write to standard output")
    result = api.dry_run(settings, log=_error_stream if to_stdout or _json(args) else _say)
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
    if _json(args):
        _say(output.dumps(output.dry_run_json(result, destination)))
    else:
        count = len(result.pending)
        _say(f"Dry run: wrote the SQL of {count} pending migration{'s' * (count != 1)} to {path}")
    return 0


def _info(args: argparse.Namespace) -> int:
    from dbci.cli import output

    info = api.info(_settings(args))
    _say(output.dumps(output.info_json(info)) if _json(args) else output.info_text(info))
    return 0


def _validate(args: argparse.Namespace) -> int:
    from dbci.cli import output

    settings = _settings(args)
    checked = api.validate(settings, fail_on_pending=args.fail_on_pending)
    if _json(args):
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
    if not _json(args):
        _say(f"Successfully validated {checked.validated} migrations")
    return 0


def _lifecycle(args: argparse.Namespace) -> int:
    """`baseline`, `repair`, `clean`, `undo`: progress lines, and JSON when asked."""
    from dbci.cli import output

    settings = _settings(args)
    done = getattr(api, args.command)(settings, log=_log(args))
    if _json(args):
        _say(output.dumps(getattr(output, f"{args.command}_json")(done)))
    return 0


# ---- schemas ------------------------------------------------------------------------------


def _snapshot(args: argparse.Namespace) -> int:
    from dbci.cli import output

    settings = _settings(args)
    to = Path(args.to) if args.to and args.to != "-" else None
    # Progress goes to standard error only while standard output carries the snapshot.
    taken = api.snapshot(
        settings,
        to=to,
        include_grants=args.include_grants,
        include_owners=args.include_owners,
        log=_error_stream if to is None else _say,
    )
    if to is None:
        sys.stdout.write(output.snapshot_text(taken))
    _keep(taken)
    return 0


def _diff(args: argparse.Namespace) -> int:
    """`dbci diff`: the change list (text or JSON), with --sql the script, the artifact;
    then model or generate on it when asked."""
    from dbci.cli import output

    unknown = [step for step in args.then if step not in ("model", "generate")]
    if unknown:
        raise InputError(f"diff: {unknown[0]!r} is not model or generate")
    if "generate" in args.then and not args.description:
        raise InputError("generate needs --description, the migration's few words")
    as_json = _json(args)
    script_to_stdout = args.sql == "-"
    if script_to_stdout and as_json:
        raise InputError("--sql - and --output json would both write to standard output")
    done = api.diff(
        overrides(args),
        args.source,
        args.target,
        include_grants=args.include_grants,
        include_owners=args.include_owners,
        build_environment=args.build_environment,
        build_version=args.build_version,
        rebuild=args.rebuild,
        artifact=args.artifact,
        keep_artifact=bool(args.then),
        column_order=args.column_order,
        log=_error_stream if as_json or script_to_stdout else _say,
    )
    _keep(done.comparison)
    result = done.comparison.diff
    show = _error_stream if script_to_stdout else _say
    # What model and generate do next: in JSON beside the changes, in text after them.
    following = {step: _model_or_generate(args, step, done.artifact) for step in args.then}
    if as_json:
        data = output.diff_json(result, done.comparison)
        _say(output.dumps(data | {s: d for s, (d, _) in following.items()}))
    else:
        show(output.diff_text(result, done.comparison))
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
    args: argparse.Namespace, command: str, compared: Any = None
) -> tuple[dict[str, Any], str]:
    """`dbci model` / `dbci generate`, alone or after a diff (`compared`: the diff's
    artifact): what it did, as JSON data and as text."""
    from dbci.cli import output

    if command == "generate":
        made = api.generate(
            overrides(args),
            description=args.description,
            version=args.migration_version,
            changes=args.changes,
            artifact=args.artifact,
            compared=compared,
            column_order=args.column_order,
        )
        return output.generate_json(made), output.generate_text(made)
    done = api.model(
        overrides(args),
        changes=args.changes,
        include_grants=args.include_grants,
        include_owners=args.include_owners,
        artifact=args.artifact,
        compared=compared,
    )
    return output.model_json(done), output.model_text(done)


def _model(args: argparse.Namespace) -> int:
    from dbci.cli import output

    data, text = _model_or_generate(args, args.command)
    _say(output.dumps(data) if _json(args) else text)
    return 0


# ---- the stages ---------------------------------------------------------------------------


def _build(args: argparse.Namespace) -> int:
    """`dbci build`: the report is written whatever happened; a failure is exit 1."""
    from dbci.cli import output

    run = api.build(
        overrides(args),
        build_environment=args.build_environment,
        build_version=args.build_version,
        verify_undo=args.verify_undo,
        keep=args.keep,
        dialect=args.dialect,
        report_dir=_report_dir(args),
        log=_log(args),
    )
    result = run.result
    if _json(args):
        _say(output.dumps({"build": result.to_dict(), "report": str(run.path)}))
    else:
        _say(output.build_text(result))
    if result.status == "cancelled":
        raise _cancelled(
            f"{len(result.migrations)} migrations were applied to the build database before "
            f"it, which is removed; {run.path} says so"
        )
    if result.error:
        _error(result.error)
    return 0 if result.status == "passed" else 1


def _parts(args: argparse.Namespace) -> tuple[str, ...]:
    return tuple(args.parts or ())


def _check(args: argparse.Namespace) -> int:
    """`dbci check`: with a target, every part asked (default all); with none, the code
    analysis alone."""
    from dbci.cli import output

    run = api.check(
        overrides(args),
        _parts(args),
        dialect=args.dialect,
        changed_from=args.changed_from,
        fail_on=args.fail_on,
        fail_on_drift=args.fail_on_drift,
        drift_source=args.drift_source,
        build_environment=args.build_environment,
        report_dir=_report_dir(args),
        log=_log(args),
    )
    if run.checked is None:  # no target: the code analysis alone
        code = run.code
        assert code is not None
        if _json(args):
            _say(output.dumps({"code": code.to_dict(), "report": str(run.path)}))
        else:
            _say(output.code_text(code))
        return 1 if code.failed else 0
    return _checked(args, run, 0)


def _checked(args: argparse.Namespace, run: Any, code: int) -> int:
    """A check against a target (`check`, `pipeline`): its report or text, its gates."""
    from dbci.cli import output

    if _json(args):
        _say(output.dumps({**run.report.to_dict(), "report": str(run.path)}))
    else:
        _say(output.check_text(run.checked))
    if run.checked.gates_failed:
        _error("gates failed: " + "; ".join(run.checked.gates_failed))
        return 1
    return code


def _pipeline(args: argparse.Namespace) -> int:
    """`dbci pipeline`: the build, then the check into the same report."""
    run = api.pipeline(
        overrides(args),
        _parts(args),
        build_version=args.build_version,
        verify_undo=args.verify_undo,
        dialect=args.dialect,
        fail_on=args.fail_on,
        fail_on_drift=args.fail_on_drift,
        drift_source=args.drift_source,
        build_environment=args.build_environment,
        report_dir=_report_dir(args),
        log=_log(args),
        error=_error,
    )
    return _checked(args, run.check, 0 if run.build.status == "passed" else 1)


def _deploy(args: argparse.Namespace) -> int:
    """`dbci deploy`: every target's result in report.json; exit with the first failure's code."""
    from dbci.cli import output
    from dbci.cli.progress import TerminalProgress

    as_json = _json(args)
    run = api.deploy(
        overrides(args),
        plan=Path(args.plan) if args.plan else None,
        fail_on_drift=args.fail_on_drift,
        parallel=args.parallel,
        fail_fast=args.fail_fast,
        undo_on_failure=args.undo_on_failure,
        build_environment=args.build_environment,
        report_dir=_report_dir(args),
        log=_error_stream if as_json else (TerminalProgress() if sys.stdout.isatty() else _say),
        # Before the report: what was applied is said even if the report cannot be written.
        announce=quiet if as_json else _say,
    )
    result = run.result
    if as_json:
        _say(output.dumps({**run.report.to_dict(), "report": str(run.path)}))
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
        raise _cancelled(f"deploy stopped ({stopped}); {run.path} says what was applied")
    failed = [t for t in result.targets if t.status != "success"]
    if failed:
        first = next((t for t in failed if t.error), failed[0])
        _error(f"deploy failed on {', '.join(t.environment for t in failed)}: {first.error}")
        return first.exit_code or 1
    return 0


def _report(args: argparse.Namespace) -> int:
    """`dbci report`: the files, and the comment when asked; a failed comment only warns."""
    from dbci.cli import output

    done = api.report(overrides(args), report_dir=_report_dir(args), comment=args.comment)
    directory, comment = done.directory, done.comment
    if _json(args):
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


def _data(args: argparse.Namespace) -> int:
    """`data refresh --from SOURCE --to TARGET`: progress lines, and JSON when asked."""
    from dbci.cli import output

    run = api.data(
        overrides(args),
        source=args.source,
        target=args.target,
        report_dir=_report_dir(args),
        log=_log(args),
    )
    if _json(args):
        _say(output.dumps(run.result.to_dict()))
    return 0


HANDLERS: dict[str, Handler] = {
    "migrate": _migrate,
    "info": _info,
    "validate": _validate,
    "baseline": _lifecycle,
    "repair": _lifecycle,
    "clean": _lifecycle,
    "undo": _lifecycle,
    "snapshot": _snapshot,
    "diff": _diff,
    "model": _model,
    "generate": _model,
    "build": _build,
    "check": _check,
    "deploy": _deploy,
    "report": _report,
    "pipeline": _pipeline,
    "data": _data,
}
