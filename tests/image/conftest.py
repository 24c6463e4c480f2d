"""The image test's session: a private Docker engine, the base made from Debian's packages,
the project's real Dockerfile built on it, and the figures line at the end.

`make image-test` runs this directory (`pytest -m image tests/image`); `make test` leaves it
out (`-m "not image"` in pyproject's addopts; each module here is marked `image`). Under
`CI=true` an engine that cannot start is a failure (the skip below, which the suite's CI gate
turns into one).
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.debian_base import make_base
from support.docker_engine import DockerEngine, EngineUnavailable, start_engine
from support.image_figures import FIGURES

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "dbci:image-test"
REQUIREMENTS = ("requirements/image.txt", "requirements/image-build.txt")


def pytest_terminal_summary(terminalreporter: object) -> None:
    """The one line of figures, when the image was built."""
    if FIGURES:
        line = "image test: " + "; ".join(f"{k} {v}" for k, v in FIGURES.items())
        terminalreporter.write_line(line)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def engine() -> Iterator[DockerEngine]:
    """A private Docker daemon for the session; stopped and its data removed after."""
    try:
        running = start_engine()
    except EngineUnavailable as exc:
        pytest.skip(f"no Docker engine: {exc}")
    try:
        yield running
    finally:
        running.stop()


def _context(into: Path) -> None:
    """The build context a `docker build .` of this checkout sends: its files as git sees
    them (committed or not, ignored ones left out), and a wheelhouse/ filled from this
    machine's pip with the image's pinned requirements (no index is asked in the build)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        target = into / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(source.readlink())
        else:
            shutil.copy2(source, target)
    wheels = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
         "-w", str(into / "wheelhouse"), *(arg for r in REQUIREMENTS for arg in ("-r", r))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert wheels.returncode == 0, f"pip wheel:\n{wheels.stdout}{wheels.stderr}"


def _compressed_size(engine: DockerEngine, image: str) -> int:
    """The image's size as a registry stores it, near enough: `docker save`, gzipped."""
    saved = engine.docker("save", image, timeout=600).stdout
    return len(gzip.compress(saved, compresslevel=6))


@pytest.fixture(scope="session")
def image(engine: DockerEngine) -> Iterator[str]:
    """The project's Dockerfile built (the base first, from Debian's packages)."""
    with tempfile.TemporaryDirectory(prefix="dbci-image-") as tmp:
        started = time.monotonic()
        make_base(engine, Path(tmp))
        base_seconds = time.monotonic() - started
        context = Path(tmp) / "context"
        _context(context)
        started = time.monotonic()
        engine.docker("build", "--network", "host", "--tag", IMAGE, str(context), timeout=1800)
        build_seconds = time.monotonic() - started
    size = int(engine.docker("image", "inspect", "--format", "{{.Size}}", IMAGE).stdout)
    FIGURES["size"] = (
        f"{size / 1e6:.0f} MB ({_compressed_size(engine, IMAGE) / 1e6:.0f} MB compressed)"
    )
    FIGURES["build"] = f"{build_seconds:.0f} s (base {base_seconds:.0f} s)"
    yield IMAGE
