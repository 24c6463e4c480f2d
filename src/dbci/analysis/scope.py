"""Which scripts an analysis reads: the target's pending migrations, the files a pull
request changes (`--changed-from REF`, through git), or every script."""

from __future__ import annotations

import subprocess
from pathlib import Path

from dbci.errors import InputError
from dbci.migrate.discovery import Discovered, MigrationScript


def every_script(found: Discovered) -> list[MigrationScript]:
    """Every script dbci would run: versioned, undo, baseline, repeatable, callbacks."""
    scripts = [*found.versioned, *found.undo, *found.baseline, *found.repeatable]
    scripts += [s for group in found.callbacks.values() for s in group]
    return sorted(scripts, key=lambda s: s.display_path)


def changed_scripts(found: Discovered, project_dir: Path, ref: str) -> list[MigrationScript]:
    """The scripts that differ from `ref`: changed on this branch since it left `ref`
    (`git diff REF...HEAD`), changed in the working tree, or not yet tracked."""
    root = Path(_git(project_dir, ["rev-parse", "--show-toplevel"], ref).strip())
    names: set[str] = set()
    for args in (
        ["diff", "--name-only", "-z", "--diff-filter=d", f"{ref}...HEAD", "--"],
        ["diff", "--name-only", "-z", "--diff-filter=d", "HEAD", "--"],
        ["ls-files", "-z", "--others", "--exclude-standard"],
    ):
        names.update(n for n in _git(project_dir, args, ref).split("\0") if n)
    changed = {(root / name).resolve() for name in names}
    if not (project_dir / ".git").exists():  # ls-files lists from the current directory
        changed |= {(project_dir / name).resolve() for name in names}
    return [s for s in every_script(found) if s.path.resolve() in changed]


def _git(cwd: Path, args: list[str], ref: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
        )
    except FileNotFoundError:
        raise InputError("--changed-from needs git, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise InputError(f"--changed-from {ref}: git did not answer in 60 s") from None
    if done.returncode != 0:
        reason = " ".join(done.stderr.split()) or f"git {args[0]} failed"
        raise InputError(f"--changed-from {ref}: {reason}")
    return done.stdout
