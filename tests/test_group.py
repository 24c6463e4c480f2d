"""`group = true`: all pending migrations in one transaction, or a refusal in one line.

Flyway's `DbMigrate` (flyway-core, org.flywaydb.core.internal.command): with `group`,
`migrateGroup` puts every pending migration in one group, `applyMigrations` runs it in one
transaction (`ExecutionTemplateFactory.createExecutionTemplate(…).execute`), and
`doMigrateGroup` writes each migration's history row (`addAppliedMigration(…, true)`) in
it; when one fails and `database.supportsDdlTransactions() && executeGroupInTransaction`,
Flyway logs "Changes successfully rolled back" and writes no row. Where that does not hold
(MySQL's implicit DDL commits; a non-transactional migration, which
`isExecuteGroupInTransaction` refuses with "Detected both transactional and
non-transactional migrations within the same migration group") dbci refuses the run
before any SQL, exit 2 (dbci.errors.EXIT_INPUT).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import psycopg
import pytest
from support.mysql import MySQLServer
from support.projects import write_project

Dbci = Callable[..., CompletedProcess[str]]

# Flyway's checksums of these two files (CRC32 of the lines; as in test_migrate.BASIC,
# Flyway's own getting-started example).
V1 = "create table PERSON (\n    ID int not null,\n    NAME varchar(100) not null\n);\n"
V2 = (
    "insert into PERSON (ID, NAME) values (1, 'Axel');\n"
    "insert into PERSON (ID, NAME) values (2, 'Mr. Foo');\n"
    "insert into PERSON (ID, NAME) values (3, 'Ms. Bar');\n"
)
V1_CHECKSUM, V2_CHECKSUM = 1715188512, 476766047


def _pg(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        return conn.execute(sql).fetchall()


def _history(url: str) -> list[tuple]:
    return _pg(
        url,
        "select installed_rank, version, description, type, script, checksum, installed_by, "
        "success from flyway_schema_history order by installed_rank",
    )


def _error_lines(proc: CompletedProcess[str]) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.startswith("dbci: error:")]


def test_pg_group_whose_last_migration_fails_applies_nothing(
    tmp_path: Path, pg_url: str, dbci: Dbci
) -> None:
    root = write_project(
        tmp_path,
        {
            "V1__Create_person_table.sql": V1,
            "V2__Add_people.sql": V2,
            "V3__fails.sql": "create table later (a int);\nselect 1 / 0;\n",
        },
        toml="[flyway]\ngroup = true\n",
    )
    proc = dbci("--project", root, "--url", pg_url, "migrate")
    assert proc.returncode == 1, proc.stderr
    [error] = _error_lines(proc)
    assert error.startswith("dbci: error: migrations/V3__fails.sql:2: ")
    assert "division by zero" in error and "rolled back" in error
    # The history table was created before the group (as Flyway creates it first), but
    # holds no row, and none of the three migrations' tables exists.
    assert _history(pg_url) == []
    assert (
        _pg(
            pg_url,
            "select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = 'public' and relname in ('person', 'later')",
        )
        == []
    )


def test_pg_group_applies_all_in_one_transaction(tmp_path: Path, pg_url: str, dbci: Dbci) -> None:
    root = write_project(
        tmp_path,
        {
            "V1__Create_person_table.sql": V1,
            "V2__Add_people.sql": V2,
            "V3__more.sql": "insert into PERSON (ID, NAME) values (4, 'D');\n",
        },
    )
    proc = dbci("--project", root, "--url", pg_url, "migrate", "--group")
    assert proc.returncode == 0, proc.stderr
    rows = _history(pg_url)
    assert rows[:2] == [
        (
            1,
            "1",
            "Create person table",
            "SQL",
            "V1__Create_person_table.sql",
            V1_CHECKSUM,
            "postgres",
            True,
        ),
        (2, "2", "Add people", "SQL", "V2__Add_people.sql", V2_CHECKSUM, "postgres", True),
    ]
    assert rows[2][:5] == (3, "3", "more", "SQL", "V3__more.sql") and rows[2][6:] == (
        "postgres",
        True,
    )
    # One transaction: PostgreSQL's now() (installed_on's default) is the transaction's
    # start, so all three rows carry the same installed_on, and one transaction id wrote
    # them (xmin).
    [(distinct_times, distinct_xids)] = _pg(
        pg_url,
        "select count(distinct installed_on), count(distinct xmin::text) "
        "from flyway_schema_history",
    )
    assert (distinct_times, distinct_xids) == (1, 1)
    assert _pg(pg_url, "select count(*) from person") == [(4,)]


def test_pg_without_group_each_migration_is_its_own_transaction(
    tmp_path: Path, pg_url: str, dbci: Dbci
) -> None:
    """The contrast that makes the test above mean something: group = false (the default)
    commits each migration apart (in batches, each its own BEGIN … COMMIT)."""
    root = write_project(
        tmp_path,
        {"V1__Create_person_table.sql": V1, "V2__Add_people.sql": V2, "V3__f.sql": "select 1/0;"},
    )
    proc = dbci("--project", root, "--url", pg_url, "migrate")
    assert proc.returncode == 1
    assert [r[1] for r in _history(pg_url)] == ["1", "2"]
    [(xids,)] = _pg(pg_url, "select count(distinct xmin::text) from flyway_schema_history")
    assert xids == 2


def test_sqlite_group_failure_leaves_nothing(tmp_path: Path, sqlite_url: str, dbci: Dbci) -> None:
    import sqlite3

    root = write_project(
        tmp_path,
        {"V1__a.sql": "create table a (x int);", "V2__b.sql": "insert into missing values (1);"},
        toml="[flyway]\ngroup = true\n",
    )
    proc = dbci("--project", root, "--url", sqlite_url, "migrate")
    assert proc.returncode == 1, proc.stderr
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as conn:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
        rows = conn.execute("select count(*) from flyway_schema_history").fetchone()[0]
    assert "a" not in tables and rows == 0


def test_mariadb_group_is_refused_in_one_line(
    tmp_path: Path, mysql_url: str, mysql_server: MySQLServer, dbci: Dbci
) -> None:
    root = write_project(
        tmp_path,
        {"V1__a.sql": "create table a (x int);", "V2__b.sql": "insert into a values (1);"},
        toml="[flyway]\ngroup = true\n",
    )
    proc = dbci("--project", root, "--url", mysql_url, "migrate")
    assert proc.returncode == 2, proc.stderr
    assert _error_lines(proc) == [
        "dbci: error: group = true: MariaDB commits each DDL statement implicitly, so a "
        "group of migrations cannot be rolled back as one: set group = false"
    ]
    database = mysql_url.rsplit("/", 1)[1]
    tables = mysql_server.execute(
        f"select table_name from information_schema.tables where table_schema = '{database}'"
    )
    assert tables == []  # not even the history table


@pytest.mark.parametrize(
    ("files", "where", "why"),
    [
        (
            {"V2__idx.sql": "\ncreate index concurrently t_a on t (a);\n"},
            "migrations/V2__idx.sql:2",
            "CREATE INDEX CONCURRENTLY cannot run inside a transaction",
        ),
        (
            {
                "V2__conf.sql": "insert into t values (1);\n",
                "V2__conf.sql.conf": "executeInTransaction=false\n",
            },
            "migrations/V2__conf.sql",
            "its .conf sets executeInTransaction=false",
        ),
    ],
    ids=["concurrently", "executeInTransaction"],
)
def test_pg_group_with_a_non_transactional_migration_is_refused(
    tmp_path: Path, pg_url: str, dbci: Dbci, files: dict[str, str], where: str, why: str
) -> None:
    root = write_project(tmp_path, {"V1__t.sql": "create table t (a int);\n", **files})
    proc = dbci("--project", root, "--url", pg_url, "migrate", "--group")
    assert proc.returncode == 2, proc.stderr
    [error] = _error_lines(proc)
    version = "2 - idx" if "idx" in where else "2 - conf"
    assert error == (
        f'dbci: error: {where}: group = true: version "{version}" must run outside a '
        f"transaction ({why}), so the pending migrations cannot run as one: set group = "
        "false, or apply it first"
    )
    assert _pg(pg_url, "select to_regclass('flyway_schema_history'), to_regclass('t')") == [
        (None, None)
    ]
