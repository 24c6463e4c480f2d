"""Issue 26, item 5: the build database's own login and schemas, `DBCI_BUILD_USER`,
`DBCI_BUILD_PASSWORD` and `DBCI_BUILD_SCHEMAS` (the action's build-user, build-password and
build-schemas inputs).

The server is a PostgreSQL cluster that demands a scram-sha-256 password of every login
(`support.postgres.password_server`: no trust, unlike the suite's main server on
127.0.0.1), so a build that connects at all proves the password it was given; each build
also checks `current_user` from inside, in a migration. Schemas are read from the real
catalog: from outside (pg_namespace, information_schema) where the build database stays,
from inside a migration on the embedded one, which is gone when the build ends.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from support.cli import run_dbci, run_entrypoint
from support.postgres import PasswordServer, connect, enter_password_server
from support.projects import write_project

BUILD_USER = "dbci_builder"
BUILD_PASSWORD = "Bu1ld-Pa55-k7q"
DATABASE = "builds"
# Every variable of dbci's and the action's that could give a build or a target: the
# ambient environment must not leak into a case.
CLEARED = dict.fromkeys(
    (
        "DBCI_ENVIRONMENT",
        "DBCI_URL",
        "DBCI_USER",
        "DBCI_PASSWORD",
        "DBCI_SCHEMAS",
        "DBCI_PROJECT",
        "DBCI_CONFIG",
        "DBCI_BUILD_URL",
        "DBCI_BUILD_USER",
        "DBCI_BUILD_PASSWORD",
        "DBCI_BUILD_SCHEMAS",
        "BUILD_DB_USER",
        "BUILD_DB_PASSWORD",
    )
)
# Fails the build unless it runs as the build login, then makes a table in the default
# schema (the first of the build's schemas).
LOGIN_CHECK = {
    "V1__login.sql": (
        "DO $$ BEGIN\n"
        f"  IF current_user <> '{BUILD_USER}' THEN\n"
        "    RAISE EXCEPTION 'built as %', current_user;\n"
        "  END IF;\n"
        "END $$;\n"
        "CREATE TABLE orders (id int PRIMARY KEY);\n"
    )
}
# A database error whose message holds the build password (as a server may say back what
# it was given), though no script holds it whole: what dbci prints of it must not.
LEAK = {
    "V2__leak.sql": (
        "DO $$ BEGIN\n"
        f"  RAISE EXCEPTION 'leaked %', '{BUILD_PASSWORD[:6]}' || '{BUILD_PASSWORD[6:]}';\n"
        "END $$;\n"
    )
}


@pytest.fixture(scope="module")
def build_server() -> Iterator[PasswordServer]:
    """A cluster whose `dbci_builder` (password `BUILD_PASSWORD`, CREATEDB) owns `builds`."""
    with ExitStack() as stack:
        yield enter_password_server(
            stack, user=BUILD_USER, password=BUILD_PASSWORD, database=DATABASE, createdb=True
        )


def _dbci(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_dbci("--project", root, *args, env={**CLEARED, **env})


def _query(server: PasswordServer, database: str, query: str) -> list[tuple[object, ...]]:
    """Rows of `query` (none for a command), run as the build login on `database`."""
    url = server.url().rsplit("/", 1)[0] + "/" + database
    with connect(url, autocommit=True) as conn:
        cursor = conn.execute(query)
        return list(cursor.fetchall()) if cursor.description else []


def _schemas(server: PasswordServer, database: str) -> set[str]:
    """The schemas of `database` that are not PostgreSQL's own, from its catalog."""
    rows = _query(
        server,
        database,
        "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
        "AND nspname <> 'information_schema'",
    )
    return {str(row[0]) for row in rows}


def _table_schema(server: PasswordServer, database: str, table: str) -> set[str]:
    """The schemas holding a table called `table` in `database`."""
    rows = _query(
        server,
        database,
        f"SELECT table_schema FROM information_schema.tables WHERE table_name = '{table}'",
    )
    return {str(row[0]) for row in rows}


def _intruder_url(server: PasswordServer) -> str:
    """The build server's URL with a login that does not exist: only DBCI_BUILD_USER and
    DBCI_BUILD_PASSWORD can make it work."""
    return f"postgresql://intruder:not-it@{server.host}:{server.port}/{DATABASE}"


def _built_databases(server: PasswordServer) -> dict[str, str]:
    """The build databases on `server` (name: owner), from pg_database."""
    rows = _query(
        server,
        DATABASE,
        "SELECT datname, pg_get_userbyid(datdba) FROM pg_database "
        "WHERE datname LIKE 'dbci\\_build\\_%'",
    )
    return {str(name): str(owner) for name, owner in rows}


def _one_error_line(done: subprocess.CompletedProcess[str], code: int) -> str:
    assert done.returncode == code, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dbci: error: "), done.stderr
    return lines[0]


def _report_texts(root: Path) -> list[str]:
    return [p.read_text(errors="replace") for p in (root / "dbci-report").iterdir() if p.is_file()]


def test_build_url_logs_in_as_build_user_and_password(
    tmp_path: Path, build_server: PasswordServer
) -> None:
    root = write_project(tmp_path / "shop", dict(LOGIN_CHECK))
    url = _intruder_url(build_server)
    refused = _dbci(root, "build", DBCI_BUILD_URL=url)
    line = _one_error_line(refused, 3)  # the URL's own login: no such role
    assert "password authentication failed" in line and "not-it" not in line
    before = _built_databases(build_server)
    done = _dbci(
        root,
        "build",
        "--keep",
        DBCI_BUILD_URL=url,
        DBCI_BUILD_USER=BUILD_USER,
        DBCI_BUILD_PASSWORD=BUILD_PASSWORD,
        DBCI_BUILD_SCHEMAS="sales, audit",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    kept = {k: v for k, v in _built_databases(build_server).items() if k not in before}
    try:
        assert list(kept.values()) == [BUILD_USER]  # created by the build login
        (name,) = kept
        assert _schemas(build_server, name) >= {"sales", "audit"}
        assert _table_schema(build_server, name, "orders") == {"sales"}  # the first: default
        assert _table_schema(build_server, name, "flyway_schema_history") == {"sales"}
    finally:
        for name in kept:
            _query(build_server, DATABASE, f'DROP DATABASE "{name}"')
    for text in (refused.stdout, refused.stderr, done.stdout, done.stderr, *_report_texts(root)):
        assert BUILD_PASSWORD not in text


BUILD_ENVIRONMENT = """\
[environments.build]
url = "jdbc:postgresql://{host}:{port}/{database}"
user = "${{env.BUILD_DB_USER}}"
password = "${{env.BUILD_DB_PASSWORD}}"
provisioner = "clean"
{own}
[flyway]
locations = ["filesystem:migrations"]
{shared}"""


@pytest.mark.parametrize("configured", ["by the build environment", "by [flyway]"])
def test_a_build_environment_takes_its_login_and_schemas_from_the_variables(
    tmp_path: Path, build_server: PasswordServer, configured: str
) -> None:
    """Its `${env.…}` login unset, as in a CI job that has only the action's inputs; its
    schemas its own, or the target's (`[flyway] schemas`, which a build environment that
    names none of its own takes): DBCI_BUILD_SCHEMAS goes over either."""
    root = write_project(tmp_path / "shop", dict(LOGIN_CHECK))
    schemas = 'schemas = ["configured"]\n'
    own = configured == "by the build environment"
    (root / "flyway.toml").write_text(
        BUILD_ENVIRONMENT.format(
            host=build_server.host,
            port=build_server.port,
            database=DATABASE,
            own=schemas if own else "",
            shared="" if own else schemas,
        )
    )
    # Without the password the file's reference must be resolved, and it is not set.
    line = _one_error_line(_dbci(root, "build", DBCI_BUILD_USER=BUILD_USER), 2)
    assert "environments.build.password" in line and "BUILD_DB_PASSWORD is not set" in line
    # DBCI_BUILD_PASSWORD goes over the file's password even where that one is set.
    wrong = _dbci(
        root,
        "build",
        BUILD_DB_USER=BUILD_USER,
        BUILD_DB_PASSWORD=BUILD_PASSWORD,
        DBCI_BUILD_PASSWORD="Wr0ng-build-pw",
    )
    assert "password authentication failed" in _one_error_line(wrong, 3)
    done = _dbci(
        root,
        "build",
        DBCI_BUILD_USER=BUILD_USER,
        DBCI_BUILD_PASSWORD=BUILD_PASSWORD,
        DBCI_BUILD_SCHEMAS="sales,audit",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    schemas = _schemas(build_server, DATABASE)
    assert {"sales", "audit"} <= schemas and "configured" not in schemas
    assert _table_schema(build_server, DATABASE, "orders") == {"sales"}
    for text in (wrong.stdout, wrong.stderr, done.stdout, done.stderr, *_report_texts(root)):
        assert BUILD_PASSWORD not in text and "Wr0ng-build-pw" not in text


def test_the_build_password_is_never_printed(tmp_path: Path, build_server: PasswordServer) -> None:
    """The server says the password back in an error: dbci prints `***` in its place."""
    root = write_project(tmp_path / "shop", {**LOGIN_CHECK, **LEAK})
    done = _dbci(
        root,
        "build",
        DBCI_BUILD_URL=_intruder_url(build_server),
        DBCI_BUILD_USER=BUILD_USER,
        DBCI_BUILD_PASSWORD=BUILD_PASSWORD,
    )
    assert done.returncode == 1, done.stdout + done.stderr  # V2 fails, on the build server
    assert "leaked ***" in done.stdout + done.stderr
    assert "leaked ***" in (root / "dbci-report" / "report.json").read_text()
    for text in (done.stdout, done.stderr, *_report_texts(root)):
        assert BUILD_PASSWORD not in text


def test_build_schemas_on_the_embedded_build_database(tmp_path: Path) -> None:
    checks = {
        "V1__schemas.sql": (
            "DO $$ BEGIN\n"
            "  IF (SELECT count(*) FROM information_schema.schemata\n"
            "      WHERE schema_name IN ('sales', 'audit')) <> 2\n"
            "     OR current_schema() <> 'sales' THEN\n"
            "    RAISE EXCEPTION 'schemas: %', current_schemas(false);\n"
            "  END IF;\n"
            "END $$;\n"
            "CREATE TABLE orders (id int);\n"
        )
    }
    root = write_project(tmp_path / "shop", checks)
    done = _dbci(root, "build", DBCI_BUILD_SCHEMAS="sales,audit")
    assert done.returncode == 0, done.stdout + done.stderr
    snapshot = json.loads((root / "dbci-report" / "build-snapshot.json").read_text())
    assert "sales" in json.dumps(snapshot) and "orders" in json.dumps(snapshot)


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"DBCI_BUILD_USER": BUILD_USER}, "DBCI_BUILD_USER (the action's build-user) is"),
        ({"DBCI_BUILD_PASSWORD": BUILD_PASSWORD}, "DBCI_BUILD_PASSWORD (the action's build-pass"),
    ],
)
def test_a_build_login_without_a_build_server_is_one_error_line(
    tmp_path: Path, given: dict[str, str], named: str
) -> None:
    """The embedded build database has a login of its own: a login given for the build was
    meant for a server that is not there, and the user must learn it."""
    root = write_project(tmp_path / "shop", {"V1__a.sql": "CREATE TABLE a (id int);\n"})
    done = _dbci(root, "build", **given)
    line = _one_error_line(done, 2)
    assert named in line and "DBCI_BUILD_URL (build-url)" in line
    assert BUILD_PASSWORD not in done.stdout + done.stderr


@pytest.mark.parametrize("platform", ["GitHub", "GitLab"])
def test_the_action_passes_its_build_inputs_and_masks_the_password(
    tmp_path: Path, build_server: PasswordServer, platform: str
) -> None:
    """The action's build-url (a login that does not exist), build-user, build-password
    and build-schemas: the build runs on the server as the build login (V1 applied, in
    `sales`), and the password shows nowhere but in its `::add-mask::` command."""
    root = write_project(tmp_path / "shop", {**LOGIN_CHECK, **LEAK})
    output, summary = tmp_path / "output.txt", tmp_path / "summary.md"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DBCI_", "INPUT_", "GITHUB_", "GITLAB", "CI_"))
    }
    env |= {
        "INPUT_COMMAND": "build",
        "INPUT_WORKING-DIRECTORY": "shop",
        "INPUT_COMMENT": "false",
        "INPUT_BUILD-URL": _intruder_url(build_server),
        "INPUT_BUILD-USER": BUILD_USER,
        "INPUT_BUILD-PASSWORD": BUILD_PASSWORD,
        "INPUT_BUILD-SCHEMAS": "sales,audit",
    }
    if platform == "GitHub":
        env |= {
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
        }
    else:
        env |= {"GITLAB_CI": "true"}
    done = run_entrypoint(tmp_path, env, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr  # V2's error, on the server
    lines = done.stdout.splitlines()
    if platform == "GitHub":
        assert f"::add-mask::{BUILD_PASSWORD}" in lines[:8]  # first of all
        lines = [line for line in lines if not line.startswith("::add-mask::")]
        outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
        assert outputs["status"] == "failed"
    group = next(line for line in lines if line.startswith("::group::"))
    assert "build" in group and BUILD_USER not in group  # not on the command line
    assert "leaked ***" in done.stdout + done.stderr  # the error (GitHub: an ::error:: line)
    report = (root / "dbci-report" / "report.json").read_text()
    assert "V2__leak.sql" in report and "leaked ***" in report  # V1 applied, V2 failed
    files = [output, summary, *(root / "dbci-report").iterdir()]
    texts = [p.read_text(errors="replace") for p in files if p.is_file()]
    for text in [*lines, done.stderr, *texts]:
        assert BUILD_PASSWORD not in text, text
