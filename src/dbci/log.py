"""The progress-line callback every command takes."""

from __future__ import annotations

from collections.abc import Callable

Log = Callable[[str], None]


def quiet(_: str) -> None:
    """A `log` that says nothing."""
