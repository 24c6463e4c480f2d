"""How many cores this process may run on: what the parallel parts (the code analysis's
workers, the data refresh's copies) size themselves by."""

from __future__ import annotations

import os


def available_cores() -> int:
    """The cores this process may run on (its affinity where the platform says)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
