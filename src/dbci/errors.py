"""The one user-facing error type and its exit codes.

Every failure a user can cause or fix is raised as a `DbciError` (or a subclass that
fixes the exit code); `dbci.cli.main` is the one place that turns it into one line on
stderr and an exit code. Anything else escaping is a bug in dbci.
"""

from __future__ import annotations

from pathlib import Path

# Exit codes (DESIGN.md, "Command line").
EXIT_OK = 0
EXIT_GATE = 1  # a gate failed: validation, drift, findings, a migration's SQL failed
EXIT_INPUT = 2  # bad input: arguments, config, migration names or contents
EXIT_DATABASE = 3  # a database cannot be reached or refuses the login


class DbciError(Exception):
    """An error for the user: one line of text, the place that caused it, an exit code."""

    exit_code: int = EXIT_GATE

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
        exit_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.column = column
        if exit_code is not None:
            self.exit_code = exit_code

    def located(self, file: str | Path, line_offset: int = 0) -> DbciError:
        """Attach a file (and shift the line by `line_offset`) when the raiser did not know it."""
        if self.file is None:
            self.file = str(file)
        if self.line is not None:
            self.line += line_offset
        return self

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        # One line, whatever the database or a library put in the message.
        text = " ".join(self.message.split())
        # Without the run's secrets: a database's message may quote a secret placeholder's
        # value, and this text goes into report.json (a stage's error) as well as to the
        # console.
        from dbci.console import scrub

        return scrub(f"{where}{text}")


class InputError(DbciError):
    """Bad input: arguments, config, migration file names or contents (exit 2)."""

    exit_code = EXIT_INPUT


class DatabaseUnavailable(DbciError):
    """A database cannot be reached or refuses the login (exit 3)."""

    exit_code = EXIT_DATABASE


class GateFailed(DbciError):
    """A gate failed: validation, or a migration's SQL failed (exit 1)."""

    exit_code = EXIT_GATE


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (a driver's error with its DETAIL and
    HINT lines), or its type's name when it says nothing."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
