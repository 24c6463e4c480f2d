"""Run the `dbci` command line in a real subprocess, the way a user or a CI job would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

TIMEOUT_SECONDS = 120


def run_dbci(
    *args: str | os.PathLike[str],
    cwd: str | Path | None = None,
    env: Mapping[str, str | None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m dbci *args` and return the finished process (stdout/stderr as text).

    The child gets a copy of `os.environ` updated with `env`; a value of None removes that
    variable. The exit code is not checked: tests assert on `returncode` themselves.
    """
    child_env = dict(os.environ)
    for key, value in (env or {}).items():
        if value is None:
            child_env.pop(key, None)
        else:
            child_env[key] = value
    return subprocess.run(
        [sys.executable, "-m", "dbci", *(os.fspath(a) for a in args)],
        cwd=cwd,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )


ENTRYPOINT = Path(__file__).resolve().parents[2] / "entrypoint.py"


def run_entrypoint(
    cwd: str | Path, env: Mapping[str, str], timeout: float = TIMEOUT_SECONDS
) -> subprocess.CompletedProcess[str]:
    """entrypoint.py in a subprocess with exactly `env`, as a CI runner starts the action's
    (or the image's) entrypoint. The exit code is not checked."""
    return subprocess.run(
        [sys.executable, str(ENTRYPOINT)],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
