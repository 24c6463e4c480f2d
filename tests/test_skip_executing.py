"""`migrate --skip-executing-migrations` (Flyway's `skipExecutingMigrations`) on real
PostgreSQL and MariaDB/MySQL: pending migrations whose changes were already made by hand
are recorded as applied without running.

The expected history rows are the ones Flyway's `DbMigrate.doMigrateGroup`
(flyway-core/src/main/java/org/flywaydb/core/internal/command/DbMigrate.java) writes for a
skipped migration: it logs "Skipping execution of migration of …" instead of running the
executor and the `*EachMigrate*` callbacks, stops its stopwatch (0 ms: nothing ran
between start and stop) and calls `addAppliedMigration(version, description, type,
script, resolved checksum, executionTime, true)`, the same call as for a migration that
ran. The migrate-level events (`afterVersioned`, `afterMigrateApplied`, `afterMigrate`)
fire as usual, as the documentation page "Skip Executing Migrations" says: "The
remainder of the operation will run as normal - including updating the schema history
table, callbacks".
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from support.mysql import MySQLServer
from support.postgres import PgCluster, connect
from support.projects import write_project

# Flyway's quickstart migrations with the checksums Flyway itself records for them
# (its "First steps: command line" tutorial; tests/test_checksum.py checks them too).
PERSON_TABLE = "create table PERSON (\n    ID int not null,\n    NAME varchar(100) not null\n);\n"
ADD_PEOPLE = (
    "insert into PERSON (ID, NAME) values (1, 'Axel');\n"
    "insert into PERSON (ID, NAME) values (2, 'Mr. Foo');\n"
    "insert into PERSON (ID, NAME) values (3, 'Ms. Bar');\n"
)
DROP_AUDIT = "DROP TABLE audit;\n"
SCRIPTS = {
    "V1__Create_audit.sql": (
        "CREATE TABLE audit (id int);\nCREATE TABLE events (name varchar(40));\n"
    ),
    "V2__Create_person_table.sql": PERSON_TABLE,
    "V3__Add_people.sql": ADD_PEOPLE,
    "V4__Drop_audit.sql": DROP_AUDIT,
    # Flyway's callback files: the migrate-level one fires when migrations are skipped,
    # the per-migration one belongs to the execution that is skipped.
    "afterMigrate.sql": "INSERT INTO events (name) VALUES ('afterMigrate');\n",
    "afterEachMigrate.sql": "INSERT INTO events (name) VALUES ('afterEachMigrate');\n",
}


def flyway_checksum(text: str) -> int:
    """Flyway's ChecksumCalculator: CRC32 over the lines without their line breaks,
    as a signed 32-bit int (used here for V4, which has no documented value)."""
    crc = 0
    for line in text.splitlines():
        crc = zlib.crc32(line.encode("utf-8"), crc)
    return crc - (1 << 32) if crc >= 1 << 31 else crc


# (version, description, type, script, checksum): Flyway's description is the file name's
# with underscores as spaces; type SQL for a SQL migration.
EXPECTED = {
    "2": ("2", "Create person table", "SQL", "V2__Create_person_table.sql", 1715188512),
    "3": ("3", "Add people", "SQL", "V3__Add_people.sql", 476766047),
    "4": ("4", "Drop audit", "SQL", "V4__Drop_audit.sql", flyway_checksum(DROP_AUDIT)),
}


@dataclass
class Target:
    """One database under test: its URL for dbci, a query function and its login."""

    url: str
    query: Callable[[str], list[tuple[Any, ...]]]
    user: str


@pytest.fixture(params=["postgresql", "mysql"])
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    if request.param == "postgresql":
        cluster: PgCluster = request.getfixturevalue("pg_cluster")
        with cluster.scratch_database() as url:
            yield Target(url, _pg_query(url), "postgres")
        return
    server: MySQLServer = request.getfixturevalue("mysql_server")
    with server.scratch_database() as url:
        name = urlsplit(url).path.lstrip("/")
        yield Target(
            url,
            lambda sql: server.execute(sql, name),
            urlsplit(server.url).username or "root",
        )


def _pg_query(url: str) -> Callable[[str], list[tuple[Any, ...]]]:
    """Run one statement on a new connection (committed); its rows, if it returns any."""

    def query(sql: str) -> list[tuple[Any, ...]]:
        with connect(url) as conn:
            cursor = conn.execute(sql)
            return list(cursor.fetchall()) if cursor.description else []

    return query


def _history(target: Target) -> list[tuple[Any, ...]]:
    rows = target.query(
        "SELECT version, description, type, script, checksum, installed_by, execution_time,"
        " success FROM flyway_schema_history ORDER BY installed_rank"
    )
    return [(*row[:7], bool(row[7])) for row in rows]


def _skipped_row(version: str, user: str) -> tuple[Any, ...]:
    """The row Flyway's DbMigrate writes for a skipped migration: execution_time 0,
    success true, installed_by the login."""
    return (*EXPECTED[version], user, 0, True)


def _run(dbci, root: Path, url: str, *args: str, code: int = 0) -> str:
    done = dbci("--project", root, "--url", url, *args)
    assert done.returncode == code, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout + done.stderr


def _made_by_hand(target: Target) -> None:
    """V1 applied by migrate; what V2 and V3 make done by hand; rows that V4 would drop."""
    target.query(PERSON_TABLE.strip().rstrip(";"))
    for line in ADD_PEOPLE.splitlines():
        target.query(line.rstrip(";"))
    target.query("INSERT INTO audit (id) VALUES (1), (2)")
    target.query("DELETE FROM events")


def _project(tmp_path: Path, toml: str | None = None) -> Path:
    return write_project(tmp_path, SCRIPTS, toml)


def test_skip_records_pending_as_flyway_does(target: Target, dbci, tmp_path: Path) -> None:
    root = _project(tmp_path)
    _run(dbci, root, target.url, "migrate", "--target", "1")
    _made_by_hand(target)
    v1 = _history(target)[0]

    out = _run(dbci, root, target.url, "migrate", "--skip-executing-migrations")

    assert _history(target) == [v1] + [_skipped_row(v, target.user) for v in ("2", "3", "4")]
    for version, name in (("2", "Create person table"), ("3", "Add people"), ("4", "Drop audit")):
        assert f'Recorded version "{version} - {name}" as applied without running it' in out
    assert "recorded without running them (skipExecutingMigrations)" in out
    # Nothing ran: V3's inserts would have doubled the people, V4 would have dropped audit.
    assert target.query("SELECT count(*) FROM PERSON")[0][0] == 3
    assert sorted(r[0] for r in target.query("SELECT id FROM audit")) == [1, 2]
    # The migrate-level callback ran, the per-migration one did not.
    assert [r[0] for r in target.query("SELECT name FROM events")] == ["afterMigrate"]

    again = _run(dbci, root, target.url, "migrate")
    assert "is up to date. No migration necessary." in again
    assert len(_history(target)) == 4
    _run(dbci, root, target.url, "validate")
    assert target.query("SELECT count(*) FROM PERSON")[0][0] == 3


def test_skip_honours_target(target: Target, dbci, tmp_path: Path) -> None:
    root = _project(tmp_path)
    _run(dbci, root, target.url, "migrate", "--target", "1")
    _made_by_hand(target)

    _run(dbci, root, target.url, "migrate", "--skip-executing-migrations", "--target", "3")

    rows = _history(target)
    assert [r[0] for r in rows] == ["1", "2", "3"]
    assert rows[1:] == [_skipped_row("2", target.user), _skipped_row("3", target.user)]
    info = _run(dbci, root, target.url, "info")
    assert "Drop audit" in info and "Pending" in info
    # V4 is still pending and a plain migrate runs it for real.
    _run(dbci, root, target.url, "migrate")
    last = _history(target)[-1]
    assert last[:5] == EXPECTED["4"] and last[7] is True
    tables = {r[0].lower() for r in target.query(_tables_sql(target))}
    assert "audit" not in tables and "person" in tables
    assert target.query("SELECT count(*) FROM PERSON")[0][0] == 3
    _run(dbci, root, target.url, "validate")


def _tables_sql(target: Target) -> str:
    if target.url.startswith("mysql"):
        return "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
    return "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"


def test_skip_from_an_environments_flyway_table(
    pg_cluster: PgCluster, dbci, tmp_path: Path
) -> None:
    """`skipExecutingMigrations = true` in `[environments.dev.flyway]`: the same rows as
    the command-line option; `--no-skip-executing-migrations` turns it off again."""
    with pg_cluster.scratch_database() as url:
        query = _pg_query(url)
        target = Target(url, query, "postgres")
        toml = (
            f'[environments.dev]\nurl = "{url}"\n'
            "[environments.dev.flyway]\nskipExecutingMigrations = true\n"
        )
        root = _project(tmp_path, toml)
        _run(dbci, root, url, "migrate", "--target", "1")
        _made_by_hand(target)
        done = dbci("--project", root, "-e", "dev", "migrate", "--target", "3")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "recorded without running them" in done.stdout
        assert _history(target)[1:] == [_skipped_row(v, "postgres") for v in ("2", "3")]
        assert query("SELECT count(*) FROM PERSON")[0][0] == 3
        # The command line beats the file: V4 runs for real.
        off = dbci("--project", root, "-e", "dev", "migrate", "--no-skip-executing-migrations")
        assert off.returncode == 0, off.stdout + off.stderr
        assert 'Migrated schema "public" to version "4 - Drop audit"' in off.stdout
        assert ("audit",) not in query(_tables_sql(target))


def test_skip_with_dry_run_is_refused(pg_url: str, dbci, tmp_path: Path) -> None:
    root = _project(tmp_path)
    done = dbci(
        "--project",
        root,
        "--url",
        pg_url,
        "migrate",
        "--skip-executing-migrations",
        "--dry-run",
        str(tmp_path / "out.sql"),
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and "skipExecutingMigrations" in done.stderr
    assert not (tmp_path / "out.sql").exists()
    with connect(pg_url) as conn:  # nothing was created
        assert (
            conn.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            ).fetchone()[0]
            == 0
        )


def test_deploy_passes_skip_through_and_checks_the_hand_changes(
    pg_cluster: PgCluster, dbci, tmp_path: Path
) -> None:
    """deploy reads `skipExecutingMigrations` from the environment's flyway table: its
    drift gate compares the live schema with what the pending migrations make (they were
    made by hand), and the migrations are recorded without running. Where the hand changes
    are not what the migrations make (V4 would drop `audit`, still there), it stops."""
    import json

    with pg_cluster.scratch_database() as url:
        query = _pg_query(url)
        target = Target(url, query, "postgres")
        toml = (
            f'[environments.dev]\nurl = "{url}"\n'
            '[environments.dev.flyway]\nskipExecutingMigrations = true\ntarget = "3"\n'
            f'[environments.all]\nurl = "{url}"\n'
            "[environments.all.flyway]\nskipExecutingMigrations = true\n"
            f'[environments.build]\nurl = "{pg_cluster.database_url("postgres")}"\n'
            'provisioner = "create-database"\n'
        )
        root = _project(tmp_path, toml)
        _run(dbci, root, url, "migrate", "--target", "1")
        _made_by_hand(target)
        v1 = _history(target)

        drifted = dbci("--project", root, "--output", "json", "deploy", "-e", "all")
        assert drifted.returncode == 1, drifted.stdout + drifted.stderr
        [failed] = json.loads(drifted.stdout)["deploy"]["targets"]
        assert failed["status"] == "failed" and "drifted" in failed["error"]
        assert {"change": "Add", "type": "table", "schema": "public", "name": "audit"} in [
            {k: d[k] for k in ("change", "type", "schema", "name")} for d in failed["drift"]
        ]
        assert _history(target) == v1

        done = dbci("--project", root, "--output", "json", "deploy", "-e", "dev")
        assert done.returncode == 0, done.stdout + done.stderr
        [deployed] = json.loads(done.stdout)["deploy"]["targets"]
        assert deployed["status"] == "success" and deployed["to_version"] == "3"
        assert deployed["drift"] == []
        assert _history(target) == v1 + [_skipped_row(v, "postgres") for v in ("2", "3")]
        assert query("SELECT count(*) FROM PERSON")[0][0] == 3
        assert sorted(r[0] for r in query("SELECT id FROM audit")) == [1, 2]
