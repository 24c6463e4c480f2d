"""The `dbci` command line: parse (`dbci.cli.parser`), run the command's handler
(`dbci.cli.handlers`), and the one place errors become exit codes."""

from __future__ import annotations

import argparse
import gc
import os
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from dbci.cli.handlers import HANDLERS, PROCESS, QUICK_EXIT_COMMANDS
from dbci.cli.parser import build_parser
from dbci.console import error as _error
from dbci.console import remember as _remember
from dbci.errors import EXIT_GATE, EXIT_INPUT, DbciError, InputError

__all__ = ["build_parser", "main", "run"]


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
    if PROCESS.quick_exit:
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
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    args: argparse.Namespace | None = None
    try:
        args = build_parser().parse_args(argv)
        PROCESS.quick_exit = _from_run and args.command in QUICK_EXIT_COMMANDS
        if _from_run and not PROCESS.quick_exit:
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
    """The command's handler, once every secret the command line names is remembered."""
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
    handler = HANDLERS.get(args.command)
    if handler is None:
        raise InputError(f"unknown command {args.command!r}", exit_code=EXIT_INPUT)
    return handler(args)


def _config_secrets(args: argparse.Namespace | None) -> None:
    """The passwords of the config file this run read, before an error is printed."""
    from dbci.console import remember_config_secrets

    remember_config_secrets(getattr(args, "config", None), getattr(args, "project", None))
