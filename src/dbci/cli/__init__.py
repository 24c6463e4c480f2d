"""The `dbci` command line: parsing and rendering only.

`run` is the program. Before it loads the command line (`dbci.cli.app`, which takes a
noticeable fraction of a second to import), it makes SIGINT and SIGTERM end the process at
once with one line and 128 + the signal's number: nothing has started that would need
stopping, and without it a Ctrl-C at that moment prints Python's traceback. Once a
command runs, `dbci.cancel` takes the signals over. Importing this package does neither:
a program that calls `main` keeps its own signal handling.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Sequence
from types import FrameType
from typing import NoReturn

__all__ = ["main", "run"]


def run() -> NoReturn:
    """The `dbci` program (see `dbci.cli.app.run`)."""
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, _stop_at_once)
    from dbci.cli.app import run as run_command_line

    run_command_line()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with `argv`; return the exit code (see `dbci.cli.app.main`)."""
    from dbci.cli.app import main as run_main

    return run_main(argv)


def _stop_at_once(signum: int, frame: FrameType | None) -> None:
    os.write(2, f"dbci: error: cancelled by {signal.Signals(signum).name}\n".encode())
    os._exit(128 + signum)
