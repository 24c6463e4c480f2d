"""The embedded PostgreSQL build as a user ID with no passwd entry (issue 26), as under
`docker run --user 54321:54321` or OpenShift: initdb alone refuses such a user, and dbci
runs it with nss_wrapper.

Real processes: the suite runs as root, which starts `dbci build` (and initdb) in a
subprocess as the user, with HOME=/ (what docker gives such a user) or no HOME at all.
pytest's tmp_path is root's alone, so the project lives in a folder of its own the user owns.
"""

from __future__ import annotations

import functools
import grp
import json
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from support.cli import run_dbci
from support.projects import write_project

from dbci.engines.postgresql import nss_wrapper

pytestmark = pytest.mark.skipif(
    os.name != "posix" or os.geteuid() != 0,
    reason="needs root, to run dbci as a user ID that has no passwd entry",
)

PROJECT = {
    "V1__customers.sql": "CREATE TABLE customers (id int PRIMARY KEY, name text);\n",
    "V2__orders.sql": "CREATE TABLE orders (id int PRIMARY KEY, customer int "
    "REFERENCES customers);\n",
    "R__totals.sql": "CREATE OR REPLACE VIEW totals AS SELECT count(*) AS n FROM orders;\n",
}
SCRIPTS = ["V1__customers.sql", "V2__orders.sql", "R__totals.sql"]


def _unknown_id() -> int:
    """A user ID from 54321 on that no passwd (nor group) entry names."""
    for candidate in range(54321, 54421):
        try:
            pwd.getpwuid(candidate)
            continue
        except KeyError:
            pass
        try:
            grp.getgrgid(candidate)
        except KeyError:
            return candidate
    raise AssertionError("no free user ID in 54321..54420")


UID = _unknown_id() if os.name == "posix" else 0


@pytest.fixture
def project() -> Iterator[Path]:
    """A small PostgreSQL project in a folder the user owns (the report goes in it)."""
    base = Path(tempfile.mkdtemp(prefix="dbci-no-passwd-"))
    root = write_project(base / "p", PROJECT)
    for folder, _, files in os.walk(base):
        for path in [folder, *(os.path.join(folder, name) for name in files)]:
            os.chown(path, UID, UID)
    yield root
    shutil.rmtree(base, ignore_errors=True)


def _as_user(
    command: list[str], cwd: Path, home: str | None = "/", **extra: str
) -> subprocess.CompletedProcess[str]:
    """Run `command` as UID:UID with no supplementary groups, in a bare environment (no
    XDG_RUNTIME_DIR of root's): PATH, LANG, HOME when given, and `extra`."""
    env = {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8", **extra}
    if home is not None:
        env["HOME"] = home
    return subprocess.run(
        command,
        cwd=cwd,
        env=env,
        user=UID,
        group=UID,
        extra_groups=[],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _runs_as_user(command: list[str]) -> bool:
    """Whether the user can start `command` and it succeeds."""
    try:
        return _as_user(command, Path("/")).returncode == 0
    except OSError:
        return False


@functools.cache
def _dbci_as_user() -> list[str]:
    """The command that starts this venv's dbci as the user. The venv's python links to
    its base interpreter, which may sit where the user cannot go (pyenv's, under a /root of
    mode 0700): then a Python of the same version from the system's folders, without its
    own site-packages (-S) and with the venv's (where dbci is installed, editable)."""
    if _runs_as_user([sys.executable, "-c", "import dbci"]):
        return [sys.executable, "-m", "dbci"]
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    venv = sysconfig.get_path("purelib")
    start = "import runpy, site, sys; site.addsitedir(sys.argv.pop(1)); "
    start += "runpy.run_module('dbci', run_name='__main__', alter_sys=True)"
    for folder in ("/usr/local/bin", "/usr/bin", "/bin"):
        command = [os.path.join(folder, version), "-S", "-c", start, venv]
        if _runs_as_user([*command, "--version"]):
            return command
    pytest.skip(f"user ID {UID} can run neither {sys.executable} nor a system {version}")


def _build_as_user(
    root: Path, home: str | None = "/", **extra: str
) -> subprocess.CompletedProcess[str]:
    """`dbci build` of `root` on the embedded PostgreSQL, as the user."""
    command = [*_dbci_as_user(), "--project", str(root), "--output", "json"]
    command += ["build", "--dialect", "postgresql"]
    return _as_user(command, root, home, **extra)


def _assert_built(done: subprocess.CompletedProcess[str], root: Path) -> None:
    """The build passed on the embedded PostgreSQL and applied every migration."""
    assert done.returncode == 0, done.stderr
    build = json.loads(done.stdout)["build"]
    assert build["status"] == "passed" and build["provisioner"] == "embedded"
    assert "postgresql" in build["database"]
    assert [m["script"] for m in build["migrations"]] == SCRIPTS
    assert all(m["status"] == "success" for m in build["migrations"])
    report = json.loads((root / "dbci-report" / "report.json").read_text())
    assert report["status"] == "passed"
    assert [m["script"] for m in report["build"]["migrations"]] == SCRIPTS


def test_initdb_alone_refuses_the_user() -> None:
    """What the fix is for: pgserver's initdb, run as the user without nss_wrapper."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: no XDG_RUNTIME_DIR
        from pgserver._commands import POSTGRES_BIN_PATH

    with tempfile.TemporaryDirectory() as base:
        os.chown(base, UID, UID)
        initdb = [str(POSTGRES_BIN_PATH / "initdb"), "-D", f"{base}/pgdata", "-U", "postgres"]
        done = _as_user(initdb, Path(base))
    assert done.returncode != 0
    assert f"could not look up effective user ID {UID}" in done.stderr


@pytest.mark.parametrize("home", ["/", None], ids=["HOME=/", "no-HOME"])
def test_build_as_a_user_with_no_passwd_entry(project: Path, home: str | None) -> None:
    assert nss_wrapper.find_library() is not None, "install libnss-wrapper (the image has it)"
    done = _build_as_user(project, home)
    _assert_built(done, project)
    # No HOME and no passwd entry: nothing was written to a folder called "~".
    assert not (project / "~").exists()


def test_builds_as_root_and_as_the_user_at_once(project: Path, tmp_path: Path) -> None:
    """pgserver's lock and runtime folder are per user: neither build waits for or breaks
    the other's."""
    as_root = write_project(tmp_path / "root", PROJECT)
    with ThreadPoolExecutor(2) as pool:
        user_run = pool.submit(_build_as_user, project)
        root_run = pool.submit(
            run_dbci, "--project", as_root, "--output", "json", "build", "--dialect", "postgresql"
        )
        _assert_built(user_run.result(), project)
        _assert_built(root_run.result(), as_root)


def test_no_nss_wrapper_is_one_clear_error(project: Path) -> None:
    """Without the library (DBCI_NSS_WRAPPER names no file): one error line, exit 2."""
    missing = "/nonexistent/libnss_wrapper.so"
    done = _build_as_user(project, **{nss_wrapper.LIBRARY_VARIABLE: missing})
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("dbci: error:")]
    assert len(errors) == 1, done.stderr
    assert f"user ID {UID} has no passwd entry" in errors[0]
    assert f"DBCI_NSS_WRAPPER={missing} names no file" in errors[0]
    assert "install libnss-wrapper" in errors[0] and "build environment" in errors[0]


def test_find_library() -> None:
    """DBCI_NSS_WRAPPER wins when it names a file; else the installed library is found."""
    found = nss_wrapper.find_library({})
    assert found is not None
    assert nss_wrapper.find_library({nss_wrapper.LIBRARY_VARIABLE: found}) == found
    assert nss_wrapper.find_library({nss_wrapper.LIBRARY_VARIABLE: "/nonexistent.so"}) is None
