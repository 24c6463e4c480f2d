"""Containment (issue 21): a file of the project that resolves outside it is never read.

A migration, callback, per-script `.conf` or SQL test that is a symbolic link (itself, or
through a folder on its path, the location folder included) to a file outside the project,
or into a version-control folder (the checkout's `.git/config` holds the token
`actions/checkout` writes), is refused before a byte of it is read. Each refused layout
below is run through `dbci info`, `dbci migrate --dry-run -`, `dbci check --code` (no
target) and `dbci build`, as a user or CI job runs them: each must end with exit 2 and one
`dbci: error:` line naming the file as the project shows it, and the token written in the
file outside must be in no output: not stdout, not stderr, not any file under the test's
folder (the report directory `dbci-report/`, the SQLite database) but the secret itself.

The secrets are written so that, with containment broken, each command would succeed and
the dry run would print them: a test of a broken dbci fails on its exit code, and on the
token where the file's text is shown.

The allowed layouts keep working: a location configured outside the project (`../shared`,
an absolute path, `[dbci] tests = "../shared-tests"`), links that stay inside the project
(Flyway's `script` and checksum as without the link), a link loop under a location.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.cli import run_dbci
from support.projects import write_project

FAMILY = "containment: files outside the project"
pytestmark = pytest.mark.scenario(FAMILY)

TOKEN = "ghs_C0nta1nm3ntT0kenQ7zX"
# /etc/passwd-like: no quote, no dollar: with containment broken it splits as SQL and the
# dry run prints it whole.
PASSWD = f"root:x:0:0:root:/root:/bin/bash\nrunner:x:1001:1001:{TOKEN}:/home/runner:/bin/bash\n"
V1 = {"V1__first.sql": "CREATE TABLE first_table (id INTEGER);\n"}
OUTSIDE_HINT = "refused; configure a location outside the project explicitly to use one"
VCS = "resolves into a version-control folder"


def _clean_environ() -> dict[str, str | None]:
    """Remove dbci's, the action's and the CI platforms' variables from the child's
    environment: the project and the command line alone decide."""
    skip = ("DBCI_", "INPUT_", "GITHUB_", "GITLAB_", "CI_", "SYSTEM_", "BUILD_", "TF_BUILD")
    return {key: None for key in os.environ if key.startswith(skip)}


def _link(link: Path, target: str | Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)


def _secret(base: Path, name: str = "secret.txt", text: str = PASSWD) -> Path:
    """A secret-bearing file in `base/outside/` (outside the project `base/project/`)."""
    path = base / "outside" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# Each layout writes the project under `base/project` (and whatever it points at under
# `base`) and returns the file the error line must name, as the project shows it.


def _outside_file(base: Path) -> str:
    project = write_project(base / "project", V1)
    _secret(base)
    _link(project / "migrations/V2__leak.sql", "../../outside/secret.txt")
    return "migrations/V2__leak.sql"


def _absolute_link(base: Path) -> str:
    project = write_project(base / "project", V1)
    _link(project / "migrations/sub/R__leak.sql", _secret(base))
    return "migrations/sub/R__leak.sql"


def _git_config(base: Path) -> str:
    """A real repository whose remote URL holds the token, as `actions/checkout` leaves
    `.git/config`; the migration links to it inside the project."""
    project = write_project(base / "project", V1)
    git = ["git", "-C", str(project)]
    subprocess.run([*git, "init", "-q"], check=True)
    remote = f"https://x-access-token:{TOKEN}@github.com/acme/app.git"
    subprocess.run([*git, "remote", "add", "origin", remote], check=True)
    assert TOKEN in (project / ".git/config").read_text()
    _link(project / "migrations/V2__leak.sql", "../.git/config")
    return "migrations/V2__leak.sql"


def _git_folder_link(base: Path) -> str:
    """A folder link into `.git`: the file under it resolves into the repository's
    metadata (a hook, say, holding the token)."""
    project = write_project(base / "project", V1)
    subprocess.run(["git", "-C", str(project), "init", "-q"], check=True)
    (project / ".git/hooks/V2__hook.sql").write_text(PASSWD)
    (project / "dbci.toml").write_text('[flyway]\nlocations = ["migrations", "hooks"]\n')
    _link(project / "hooks", ".git/hooks")
    return "hooks"


def _location_link(base: Path) -> str:
    """The location folder itself is a link to a folder outside the project."""
    project = base / "project"
    project.mkdir()
    _secret(base, "migrations/V1__first.sql", V1["V1__first.sql"])
    _secret(base, "migrations/V2__leak.sql")
    _link(project / "migrations", "../outside/migrations")
    return "migrations"


def _location_through_link(base: Path) -> str:
    """The location is written as inside the project, but a folder on its path links out."""
    project = write_project(base / "project", V1)
    _secret(base, "db/migrations/V2__leak.sql")
    _link(project / "db", "../outside/db")
    (project / "dbci.toml").write_text('[flyway]\nlocations = ["migrations", "db/migrations"]\n')
    return "db/migrations"


def _conf_link(base: Path) -> str:
    """A per-script `.conf`: a valid one, so that reading it would go unnoticed."""
    project = write_project(base / "project", V1)
    _secret(base, "V1.conf", f"# deploy token {TOKEN}\nexecuteInTransaction=false\n")
    _link(project / "migrations/V1__first.sql.conf", "../../outside/V1.conf")
    return "migrations/V1__first.sql.conf"


def _callback_link(base: Path) -> str:
    project = write_project(base / "project", V1)
    _secret(base)
    _link(project / "migrations/beforeMigrate.sql", "../../outside/secret.txt")
    return "migrations/beforeMigrate.sql"


def _sql_test_link(base: Path) -> str:
    project = write_project(base / "project", V1)
    _secret(base)
    _link(project / "tests/sql/t_leak.sql", "../../../outside/secret.txt")
    return "tests/sql/t_leak.sql"


def _tests_folder_link(base: Path) -> str:
    project = write_project(base / "project", V1)
    _secret(base, "tests/t_leak.sql")
    _link(project / "tests/sql", "../../outside/tests")
    return "tests/sql"


def _out_of_explicit_location(base: Path) -> str:
    """A location configured outside is allowed, not a link out of it to elsewhere."""
    project = write_project(base / "project", V1)
    (project / "dbci.toml").write_text('[flyway]\nlocations = ["migrations", "../shared"]\n')
    (base / "shared").mkdir()
    _secret(base)
    _link(base / "shared/V2__leak.sql", "../outside/secret.txt")
    return "../shared/V2__leak.sql"  # as the location is written, `..` and all


def _fifo(base: Path) -> str:
    """A FIFO named like a migration: reading it would block for ever."""
    project = write_project(base / "project", V1)
    os.mkfifo(project / "migrations/V2__pipe.sql")
    return "migrations/V2__pipe.sql"


@dataclass(frozen=True)
class Refused:
    """A layout dbci must refuse, and what its one error line says."""

    name: str
    write: Callable[[Path], str]
    reason: str


REFUSED = [
    Refused("link to a file outside", _outside_file, OUTSIDE_HINT),
    Refused("absolute link to a file outside", _absolute_link, OUTSIDE_HINT),
    Refused("link to the project's .git/config", _git_config, VCS),
    Refused("location linked into .git", _git_folder_link, VCS),
    Refused("location folder linked outside", _location_link, OUTSIDE_HINT),
    Refused("location through a folder linked outside", _location_through_link, OUTSIDE_HINT),
    Refused("script .conf linked outside", _conf_link, OUTSIDE_HINT),
    Refused("callback linked outside", _callback_link, OUTSIDE_HINT),
    Refused("SQL test linked outside", _sql_test_link, "resolves outside the project"),
    Refused("SQL tests folder linked outside", _tests_folder_link, "set [dbci] tests"),
    Refused("link out of a location configured outside", _out_of_explicit_location, "refused"),
    Refused("FIFO named like a migration", _fifo, "is not a regular file (a FIFO): refused"),
]

COMMANDS = {
    "info": lambda db: ["--url", f"sqlite:///{db}", "info"],
    "dry-run": lambda db: ["--url", f"sqlite:///{db}", "migrate", "--dry-run", "-"],
    "check": lambda db: ["check", "--code"],
    "build": lambda db: ["build", "--dialect", "sqlite"],
}


def leaked(base: Path, *outputs: str) -> list[str]:
    """Where the token shows: an output, or a file under `base` (links not followed; the
    secrets themselves and the repository's metadata are where it belongs)."""
    found = [f"output {i}" for i, text in enumerate(outputs) if TOKEN in text]
    for folder, subfolders, files in os.walk(base):
        subfolders[:] = [
            d for d in subfolders if d != ".git" and Path(folder, d) != base / "outside"
        ]
        for name in files:
            path = Path(folder, name)
            if not path.is_symlink() and path.is_file() and TOKEN.encode() in path.read_bytes():
                found.append(str(path.relative_to(base)))
    return found


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("case", REFUSED, ids=[c.name for c in REFUSED])
def test_refused(tmp_path: Path, case: Refused, command: str) -> None:
    shown = case.write(tmp_path)
    project = tmp_path / "project"
    args = COMMANDS[command](tmp_path / "db.sqlite")
    done = run_dbci("--project", project, *args, cwd=project, env=_clean_environ())
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"dbci: error: {shown}: "), lines[0]
    assert case.reason in lines[0], lines[0]
    assert "Traceback" not in done.stdout + done.stderr
    assert leaked(tmp_path, done.stdout, done.stderr) == []


def _history(db: Path) -> list[tuple[str, str, int]]:
    with closing(sqlite3.connect(db)) as connection:
        return connection.execute(
            "SELECT version, script, checksum FROM flyway_schema_history ORDER BY installed_rank"
        ).fetchall()


def _works(project: Path, db: Path) -> list[tuple[str, str, int]]:
    """Run info, the dry run, check, build and migrate on an allowed layout; each
    succeeds; returns the history migrate wrote."""
    url = f"sqlite:///{db}"
    for args in (
        ["--url", url, "info"],
        ["--url", url, "migrate", "--dry-run", "-"],
        ["check", "--code", "--fail-on", "never"],
        ["build", "--dialect", "sqlite"],
        ["--url", url, "migrate"],
    ):
        done = run_dbci("--project", project, *args, cwd=project, env=_clean_environ())
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    return _history(db)


TWO = {
    "V1__first.sql": "CREATE TABLE first_table (id INTEGER);\n",
    "V2__second.sql": "CREATE TABLE second_table (id INTEGER);\r\n-- a comment\r\n",
}


def _reference(tmp_path: Path) -> list[tuple[str, str, int]]:
    """The history of the same migrations as plain files in a plain folder."""
    return _works(write_project(tmp_path / "plain", TWO), tmp_path / "plain.sqlite")


def test_location_configured_outside_with_dotdot_works(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project", {"V1__first.sql": TWO["V1__first.sql"]})
    (project / "dbci.toml").write_text('[flyway]\nlocations = ["migrations", "../shared"]\n')
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared/V2__second.sql").write_text(TWO["V2__second.sql"])
    assert _works(project, tmp_path / "db.sqlite") == _reference(tmp_path)


def test_absolute_location_outside_works(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project", {"V1__first.sql": TWO["V1__first.sql"]})
    shared = tmp_path / "elsewhere" / "shared"
    shared.mkdir(parents=True)
    (shared / "V2__second.sql").write_text(TWO["V2__second.sql"])
    (project / "dbci.toml").write_text(f'[flyway]\nlocations = ["migrations", "{shared}"]\n')
    assert _works(project, tmp_path / "db.sqlite") == _reference(tmp_path)


def test_links_inside_the_project_keep_script_and_checksum(tmp_path: Path) -> None:
    """A migration linked to a shared folder of the same repository, and a location
    folder that is a link inside the project: recorded exactly as plain files are."""
    project = tmp_path / "project"
    (project / "db" / "migrations").mkdir(parents=True)
    (project / "shared").mkdir()
    (project / "db/migrations/V1__first.sql").write_text(TWO["V1__first.sql"])
    (project / "shared/second.sql").write_text(TWO["V2__second.sql"])
    _link(project / "db/migrations/V2__second.sql", "../../shared/second.sql")
    _link(project / "migrations", "db/migrations")
    history = _works(project, tmp_path / "db.sqlite")
    assert history == _reference(tmp_path)
    assert [script for _, script, _ in history] == ["V1__first.sql", "V2__second.sql"]


def test_sql_tests_folder_configured_outside_runs(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project", V1)
    (project / "dbci.toml").write_text('[dbci]\ntests = "../shared-tests"\n')
    (tmp_path / "shared-tests").mkdir()
    (tmp_path / "shared-tests/t_rows.sql").write_text(
        "INSERT INTO first_table VALUES (1);\n-- expect: count(*) = 1 FROM first_table\n"
    )
    args = ["--output", "json", "build", "--dialect", "sqlite"]
    done = run_dbci("--project", project, *args, cwd=project, env=_clean_environ())
    assert done.returncode == 0, done.stderr
    tests = (project / "dbci-report/report.json").read_text()
    assert "shared-tests/t_rows.sql" in tests and '"passed"' in tests


def test_folder_link_loop_under_a_location_does_not_hang(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project", {**V1, "sub/V2__second.sql": "SELECT 1;\n"})
    _link(project / "migrations/loop", ".")
    _link(project / "migrations/sub/up", "..")
    _link(project / "migrations/sub/self", "self")  # a link to itself, named like nothing
    args = ["--output", "json", "--url", f"sqlite:///{tmp_path / 'db.sqlite'}", "info"]
    done = run_dbci("--project", project, *args, cwd=project, env=_clean_environ())
    assert done.returncode == 0, done.stderr
    assert '"sub/V2__second.sql"' in done.stdout and "loop/" not in done.stdout
