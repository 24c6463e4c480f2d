"""The image test's figures, by name, in the order they are printed at the end of its run
(tests/image/conftest.py prints them as one line)."""

from __future__ import annotations

FIGURES: dict[str, str] = {}
