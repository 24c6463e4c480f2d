"""The splitter's two ways with one script, side by side, for the tests of split_windows."""

from __future__ import annotations

from collections.abc import Callable

from dbci.errors import InputError
from dbci.sqlsplit import Statement, split_statements, split_windows


def _outcome(split: Callable[[], list[Statement]]) -> object:
    try:
        found = split()
    except InputError as exc:  # an error is an outcome too: its message and line
        return (exc.message, exc.line)
    return [(s.sql, s.line, s.repeat) for s in found]


def whole_and_windowed(script: str, dialect: str, window: int) -> tuple[object, object]:
    """(`script` split whole, its UTF-8 split `window` bytes at a time): each the
    statements as (sql, line, repeat), or the error as (message, line)."""
    whole = _outcome(lambda: split_statements(script, dialect))
    windowed = _outcome(lambda: split_windows(script.encode("utf-8"), dialect, window))
    return whole, windowed
