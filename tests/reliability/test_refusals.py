"""Faults with one clear line: what the database refuses (a permission), and a report that
cannot be written once a deploy's migrations ran (a full disk, a folder in the way).

A database's refusal is the user's to fix, never an "internal error": one line naming the
database, the object and the login, exit 1 (exit 3 when it refuses the connection). A
deploy whose report cannot be written has still applied its migrations: the console says
which, and the run ends with exit 1 (not 2, "bad input": the input was fine).
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.cli import run_dbci
from support.projects import write_project

V1 = {"V1__orders.sql": "CREATE TABLE orders (id int);\n"}


def _one_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("dbci: error:")]
    assert len(lines) == 1, err
    assert "internal error" not in err and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def pg_reader(pg_cluster: Any, pg_url: str) -> Iterator[tuple[str, str]]:
    """(the database's URL for a login role that may connect and nothing more, its name)."""
    role = f"dbci_ro_{secrets.token_hex(4)}"
    admin = pg_cluster.admin_connection()
    admin.execute(f'CREATE ROLE "{role}" LOGIN')
    yield pg_url.replace("postgres@", f"{role}@", 1), role
    import psycopg

    with psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as inside:
        inside.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,)
        )
        inside.execute(f'DROP OWNED BY "{role}"')
    admin = pg_cluster.admin_connection()
    admin.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.mark.scenario("refusals: a permission the database does not grant")
@pytest.mark.parametrize("command", ["info", "validate", "migrate", "snapshot"])
def test_a_permission_refused_is_one_line_naming_the_object_and_the_login(
    pg_url: str, pg_reader: tuple[str, str], command: str, tmp_path: Path
) -> None:
    root = write_project(tmp_path, V1)
    assert run_dbci("--project", root, "--url", pg_url, "migrate").returncode == 0
    write_project(tmp_path, {"V2__more.sql": "CREATE TABLE more (id int);\n"})
    url, role = pg_reader
    done = run_dbci("--project", root, "--url", url, command)
    if command == "snapshot":
        # Reading the catalogs needs no grant: the schema is described, nothing refused.
        assert done.returncode == 0, done.stderr
        assert '"orders"' in done.stdout
        return
    assert done.returncode == 1, done.stderr
    line = _one_error(done.stderr)
    assert "permission denied for table flyway_schema_history" in line, line
    assert f'as user "{role}"' in line, line


@pytest.mark.scenario("refusals: a permission the database does not grant")
def test_a_database_that_refuses_the_connection_is_exit_3(
    pg_cluster: Any, pg_url: str, pg_reader: tuple[str, str], tmp_path: Path
) -> None:
    url, role = pg_reader
    database = pg_url.rsplit("/", 1)[1]
    admin = pg_cluster.admin_connection()
    admin.execute(f'REVOKE CONNECT ON DATABASE "{database}" FROM PUBLIC')
    root = write_project(tmp_path, V1)
    done = run_dbci("--project", root, "--url", url, "info")
    assert done.returncode == 3, done.stderr
    line = _one_error(done.stderr)
    assert "permission denied for database" in line, line


@pytest.mark.scenario("refusals: a permission the database does not grant")
def test_mariadb_refusals(mysql_server: Any, mysql_url: str, tmp_path: Path) -> None:
    """A login without rights to the database: exit 3 at connect; one that may read but
    not write: exit 1, one line naming the history table and the login."""
    database = mysql_url.rsplit("/", 1)[1]
    root = write_project(tmp_path, V1)
    assert run_dbci("--project", root, "--url", mysql_url, "migrate").returncode == 0
    user = f"dbci_ro_{secrets.token_hex(3)}"
    mysql_server.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'pw-{user}'")
    try:
        url = mysql_url.replace("root@", f"{user}:pw-{user}@", 1)
        done = run_dbci("--project", root, "--url", url, "info")
        assert done.returncode == 3, done.stderr
        assert "Access denied" in _one_error(done.stderr)
        # It may read everything but write nothing: migrate's history row is refused.
        mysql_server.execute(f"GRANT SELECT ON `{database}`.* TO '{user}'@'%'")
        write_project(tmp_path, {"V2__more.sql": "CREATE TABLE more (id int);\n"})
        done = run_dbci("--project", root, "--url", url, "migrate")
        assert done.returncode == 1, done.stderr
        line = _one_error(done.stderr)
        assert "flyway_schema_history" in line and user in line, line
        assert f"pw-{user}" not in done.stderr + done.stdout
    finally:
        mysql_server.execute(f"DROP USER '{user}'@'%'")


@pytest.mark.scenario("refusals: the report cannot be written after a deploy")
def test_a_report_that_cannot_be_written_after_a_deploy(pg_url: str, tmp_path: Path) -> None:
    """report.json is a folder (as a broken cache restore leaves it): the deploy's
    migrations ran; the console says which; exit 1."""
    root = write_project(tmp_path, V1)
    (root / "dbci-report" / "report.json").mkdir(parents=True)
    done = run_dbci("--project", root, "--url", pg_url, "deploy")
    assert done.returncode == 1, done.stderr
    line = _one_error(done.stderr)
    assert "the deploy ran" in line and "1 applied" in line, line
    assert "report could not be written" in line
    assert 'Migrated schema "public" to version "1 - orders"' in done.stdout
    assert _applied(pg_url) == ["1"]


@pytest.mark.scenario("refusals: the report cannot be written after a deploy")
def test_a_full_disk_after_a_deploy(pg_url: str, tmp_path: Path) -> None:
    """The report folder on a filesystem that is full (a tmpfs of 64 KiB, filled)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    root = write_project(tmp_path, V1)
    report_dir = root / "dbci-report"
    report_dir.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(report_dir)], check=True)
    try:
        filler = (report_dir / "filler").open("wb", buffering=0)
        try:
            while True:
                filler.write(b"x" * 4096)
        except OSError:  # full
            pass
        finally:
            filler.close()
        done = run_dbci("--project", root, "--url", pg_url, "deploy")
    finally:
        subprocess.run(["umount", str(report_dir)], check=True)
    assert done.returncode == 1, done.stderr
    line = _one_error(done.stderr)
    assert "No space left on device" in line and "1 applied" in line, line
    assert _applied(pg_url) == ["1"]


def _applied(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as connection:
        rows = connection.execute(
            "SELECT version FROM flyway_schema_history WHERE success ORDER BY installed_rank"
        ).fetchall()
    return [r[0] for r in rows if r[0] is not None]
