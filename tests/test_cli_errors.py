"""Bad input through the real command line: one line, the documented exit code, no
traceback, no password in any output, and nothing recorded as applied."""

from __future__ import annotations

import math
import socket
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.projects import write_project
from support.timing import Bound, hanging_up, timed

SECRET = "Sup3r-S3cret-pw"


def assert_one_line_error(proc, code: int, *needles: str) -> str:
    output = proc.stdout + proc.stderr
    assert proc.returncode == code, output
    assert "Traceback" not in output
    assert SECRET not in output
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("dbci: error: ")
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def applied_versions(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("flyway_schema_history"):
                return []
            rows = conn.execute(
                sa.text(
                    "SELECT version FROM flyway_schema_history "
                    "WHERE success AND version IS NOT NULL"
                )
            ).all()
            return [r[0] for r in rows]
    finally:
        engine.dispose()


GOOD = {"V1__a.sql": "create table a (x int);"}

# name -> (files, dbci.toml, extra args, exit code, expected fragments)
CASES = {
    "bad-toml": (
        GOOD,
        '[flyway]\nlocations = ["a"\ntable = "x"\n',
        [],
        2,
        ["dbci.toml:3:1: invalid TOML"],
    ),
    "bad-toml-at-end": (
        GOOD,
        '[flyway]\nlocations = ["a"\n',
        [],
        2,
        ["dbci.toml:2: invalid TOML: Unclosed array at end of file"],
    ),
    "toml-wrong-type": (
        GOOD,
        "[flyway]\noutOfOrder = 3\n",
        [],
        2,
        ["dbci.toml:2: flyway.outOfOrder must be true or false"],
    ),
    "duplicate-versions": (
        {**GOOD, "V1.0__b.sql": "select 1;"},
        None,
        [],
        2,
        ["more than one migration with version 1", "V1__a.sql", "V1.0__b.sql"],
    ),
    "bad-name-strict": (
        {**GOOD, "V2-oops.sql": "select 1;"},
        "[flyway]\nvalidateMigrationNaming = true\n",
        [],
        2,
        ["migrations/V2-oops.sql: invalid migration file name"],
    ),
    "non-utf8": (
        {**GOOD, "V2__latin1.sql": b"select 1;\nselect 'caf\xe9';\n"},
        None,
        [],
        2,
        ["migrations/V2__latin1.sql:2: is not valid UTF-8"],
    ),
    "empty-file": (
        {**GOOD, "V2__empty.sql": ""},
        None,
        [],
        2,
        ["migrations/V2__empty.sql: migration is empty"],
    ),
    "nul-bytes": (
        {**GOOD, "V2__bin.sql": b"\x00\x01\x02"},
        None,
        [],
        2,
        ["migrations/V2__bin.sql:1: contains NUL bytes"],
    ),
    "undefined-placeholder": (
        {**GOOD, "V2__p.sql": "select 1;\n\nselect '${nope}';"},
        None,
        [],
        2,
        ["migrations/V2__p.sql:3: no value for placeholder ${nope}"],
    ),
    "unterminated-dollar-quote": (
        {**GOOD, "V2__f.sql": "select 1;\nselect $x$ never ends;"},
        None,
        [],
        2,
        ["migrations/V2__f.sql:2:", "unterminated"],
    ),
    "unterminated-comment": (
        {**GOOD, "V2__c.sql": "select 1;\n/* open\n"},
        None,
        [],
        2,
        ["migrations/V2__c.sql:2:", "unterminated block comment"],
    ),
    "sql-syntax-error": (
        {**GOOD, "V2__bad.sql": "select 1;\n\ncreat table b (x int);"},
        None,
        [],
        1,
        ["migrations/V2__bad.sql:3:", "syntax error"],
    ),
    "bad-target": (GOOD, None, ["--target", "1.x"], 2, ["--target: invalid version"]),
    "unknown-option": (GOOD, None, ["--frobnicate"], 2, ["unrecognized arguments"]),
    "bad-ignore-pattern": (
        GOOD,
        '[flyway]\nignoreMigrationPatterns = ["*:sideways"]\n',
        [],
        2,
        ["invalid ignoreMigrationPatterns entry"],
    ),
}


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input(case: str, engine: str, tmp_path: Path, dbci, request) -> None:
    files, toml, args, code, needles = CASES[case]
    if case == "unterminated-dollar-quote" and engine == "sqlite":
        code, needles = 1, ["migrations/V2__f.sql:2:", "syntax error"]  # no $$ in SQLite
    url = request.getfixturevalue("sqlite_url" if engine == "sqlite" else "pg_url")
    root = write_project(tmp_path, files, toml)
    proc = dbci("--project", root, "--url", url, "--password", SECRET, "migrate", *args)
    assert_one_line_error(proc, code, *needles)
    if code == 2:
        assert applied_versions(url) == []  # bad input is caught before any SQL runs
    else:
        assert applied_versions(url) == ["1"]  # the database stays at the last good one


def test_unknown_environment(tmp_path: Path, dbci) -> None:
    root = write_project(tmp_path, GOOD, '[environments.dev]\nurl = "jdbc:sqlite:x.db"\n')
    proc = dbci("--project", root, "-e", "prod", "info")
    assert_one_line_error(proc, 2, "unknown environment 'prod' in dbci.toml (known: dev)")


def test_url_without_driver(tmp_path: Path, dbci) -> None:
    root = write_project(tmp_path, GOOD, '[environments.dev]\nurl = "db.example.com:5432/app"\n')
    proc = dbci("--project", root, "-e", "dev", "info")
    assert_one_line_error(proc, 2, "environment 'dev': URL", "names no database driver")


def test_unknown_connection_option(tmp_path: Path, dbci, pg_url: str) -> None:
    root = write_project(tmp_path, GOOD)
    url = pg_url + ("&" if "?" in pg_url else "?") + "nosuch=1"
    proc = dbci("--project", root, "--url", url, "migrate")
    assert_one_line_error(proc, 2, 'nosuch=1: invalid connection option "nosuch"')


def test_no_database_given(tmp_path: Path, dbci) -> None:
    proc = dbci("--project", write_project(tmp_path, GOOD), "info")
    assert_one_line_error(proc, 2, "no database: give --url")


def test_wrong_password_exit_3_and_never_printed(tmp_path: Path, dbci, pg_password_server) -> None:
    root = write_project(
        tmp_path,
        GOOD,
        (
            "[environments.secure]\n"
            f'url = "jdbc:postgresql://127.0.0.1:{pg_password_server.port}/dbci"\n'
            'user = "dbci"\npassword = "${env.SECURE_PW}"\n'
        ),
    )
    proc = dbci("--project", root, "-e", "secure", "migrate", env={"SECURE_PW": SECRET})
    line = assert_one_line_error(proc, 3, "environment 'secure'", "password authentication failed")
    assert "dbci:***@127.0.0.1" in line
    proc = dbci(
        "--project", root, "-e", "secure", "migrate", env={"SECURE_PW": pg_password_server.password}
    )
    assert proc.returncode == 0, proc.stderr
    assert pg_password_server.password not in proc.stdout + proc.stderr


def _connect_reference(dbci, root: Path, scheme: str, *args: str) -> float:
    """Seconds the same command takes against a host that hangs up at once: start-up, the
    driver's import and a connection, with no wait (the reference of a dead host's bound)."""
    with hanging_up() as port:
        url = f"{scheme}://u@127.0.0.1:{port}/db"
        return timed(lambda: dbci("--project", root, "--url", url, *args))[1]


def test_unreachable_port_fails_fast(tmp_path: Path, dbci) -> None:
    # A refused connection is an answer: the run ends about as fast as one against a host
    # that hangs up at once, never after waiting out its connect timeout. That timeout is
    # set far past the bound: a run that waited for it could not pass.
    root = write_project(tmp_path, GOOD)
    bound = Bound(wait=0, reference=_connect_reference(dbci, root, "postgresql", "migrate"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens
    proc, elapsed = timed(
        lambda: dbci(
            "--project",
            root,
            "--url",
            f"postgresql://u:{SECRET}@127.0.0.1:{port}/db",
            "migrate",
            env={"DBCI_CONNECT_TIMEOUT": str(math.ceil(bound.release(at_least=10)))},
        )
    )
    assert_one_line_error(proc, 3, "cannot connect", "Connection refused")
    bound.check(elapsed, "a run against a refusing port")


def test_silent_host_times_out(tmp_path: Path, dbci, silent_server: int) -> None:
    # The silent host never answers: only the connect timeout ends the run, within that
    # timeout plus what the same run costs against a host that hangs up at once. Without the
    # timeout it would wait until the test's own process timeout, and fail.
    root = write_project(tmp_path, GOOD)
    bound = Bound(wait=2, reference=_connect_reference(dbci, root, "postgresql", "info"))
    proc, elapsed = timed(
        lambda: dbci(
            "--project",
            root,
            "--url",
            f"postgresql://u@127.0.0.1:{silent_server}/db",
            "info",
            env={"DBCI_CONNECT_TIMEOUT": str(bound.wait)},
        )
    )
    assert_one_line_error(proc, 3, "cannot connect", "timeout")
    bound.check(elapsed, "a run against a silent host")


def test_validate_exit_1_names_each_problem(tmp_path: Path, dbci, sqlite_url: str) -> None:
    root = write_project(
        tmp_path, {"V1__a.sql": "create table a (x int);", "V2__b.sql": "create table b (x int);"}
    )
    assert dbci("--project", root, "--url", sqlite_url, "migrate").returncode == 0
    (root / "migrations/V1__a.sql").write_text("create table a (y int);")
    (root / "migrations/V2__b.sql").unlink()
    (root / "migrations/V3__c.sql").write_text("select 1;")
    proc = dbci("--project", root, "--url", sqlite_url, "validate")
    assert_one_line_error(proc, 1, "validate failed: 2 problems")
    assert "migrations/V1__a.sql: checksum mismatch for migration version 1 (a)" in proc.stdout
    assert "applied migration version 2 (b) is not resolved locally" in proc.stdout
    proc = dbci("--project", root, "--url", sqlite_url, "validate", "--fail-on-pending")
    assert_one_line_error(proc, 1, "validate failed: 3 problems")


def test_info_json_and_help(tmp_path: Path, dbci, sqlite_url: str) -> None:
    import json

    root = write_project(tmp_path, {"V1__a.sql": "create table a (x int);"})
    dbci("--project", root, "--url", sqlite_url, "migrate")
    proc = dbci("--project", root, "--url", sqlite_url, "--output", "json", "info")
    data = json.loads(proc.stdout)
    assert data["schemaVersion"] == "1"
    assert data["migrations"][0]["state"] == "Success"
    assert data["migrations"][0]["filepath"] == "migrations/V1__a.sql"
    # global options are accepted after the command too
    proc = dbci("info", "--project", root, "--url", sqlite_url, "--output", "json")
    assert json.loads(proc.stdout)["schemaVersion"] == "1"
    for command in ("migrate", "info", "validate"):
        helped = dbci(command, "--help")
        assert helped.returncode == 0 and "usage: dbci" in helped.stdout
