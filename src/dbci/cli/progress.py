"""Progress on a terminal."""

from __future__ import annotations

import sys

from dbci.console import say as _say
from dbci.console import shown as _shown


class TerminalProgress:
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
