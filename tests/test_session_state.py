"""Session state never leaks from one migration into the next (issue 22, item 3).

Flyway restores the connection's original state before each migration and before it
writes a history row: `DbMigrate.doMigrateGroup` calls `Connection.restoreOriginalState()`
and `changeCurrentSchemaTo(schema)` before every migration, and
`JdbcTableSchemaHistory.doAddAppliedMigration` calls `restoreOriginalState()` before the
insert (flyway/flyway, flyway-core/.../internal/command/DbMigrate.java and
.../internal/schemahistory/JdbcTableSchemaHistory.java). What is restored:

* PostgreSQL (`PostgreSQLConnection.doRestoreOriginalState`): `SET ROLE` to the
  `CURRENT_USER` of the connection when it was opened; `changeCurrentSchemaTo` sets the
  search_path back to the default schema followed by the original search_path.
* MySQL/MariaDB (`MySQLConnection`): the default schema (`setCatalog`, i.e. `USE`), and
  `foreign_key_checks` / `sql_safe_updates` as they were at connect.

So a migration's `SET search_path`, `USE other_db` or `SET ROLE` lasts for that migration
only, and the outcome is the same whether the migrations run in one `dbci migrate` (where
dbci batches them on PostgreSQL) or one per call (`--target`). Every expected value comes
from the database's catalog (pg_tables, information_schema), not from dbci.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import postgres
from support.cli import run_dbci
from support.projects import write_project

HISTORY = "flyway_schema_history"


# ---- PostgreSQL ------------------------------------------------------------------------


def pg_rows(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    with postgres.connect(url, autocommit=True) as conn:
        return [tuple(row) for row in conn.execute(sql, params).fetchall()]


def pg_tables(url: str) -> list[tuple[str, str, str]]:
    """(schema, table, owner) of every user table, from pg_tables."""
    return pg_rows(
        url,
        "SELECT schemaname, tablename, tableowner FROM pg_tables "
        "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2",
    )


def pg_history(url: str, schema: str) -> list[tuple]:
    """(version, script, success) of the versioned rows of `schema`'s history table."""
    return pg_rows(
        url,
        f'SELECT version, script, success FROM "{schema}".{HISTORY} '
        "WHERE version IS NOT NULL ORDER BY installed_rank",
    )


def migrate_pg(root: Path, url: str, *extra: str) -> None:
    result = run_dbci("--project", root, "--url", url, "--schemas", "app", "migrate", *extra)
    assert result.returncode == 0, result.stdout + result.stderr


def run_both_ways(tmp_path: Path, files: dict[str, str], pg_url: str, second_url: str) -> None:
    """All migrations in one call on `pg_url`; one call per migration on `second_url`."""
    root = write_project(tmp_path, files)
    migrate_pg(root, pg_url)
    for version in sorted(int(name[1 : name.index("__")]) for name in files):
        migrate_pg(root, second_url, "--target", str(version))


@pytest.fixture
def second_pg_url(pg_cluster: postgres.PgCluster) -> Iterator[str]:
    with pg_cluster.scratch_database() as url:
        yield url


@pytest.fixture
def pg_role(pg_cluster: postgres.PgCluster) -> Iterator[str]:
    """A role without any right on the history table (nor on schema app)."""
    name = "dbci_t_role_" + secrets.token_hex(4)
    conn = pg_cluster.admin_connection()
    conn.execute(f'CREATE ROLE "{name}" NOLOGIN')
    try:
        yield name
    finally:
        conn.execute(f'DROP ROLE IF EXISTS "{name}"')


# How a migration moves the search_path: plainly, inside a DO block, through set_config
# (the last two are invisible to any statement splitter).
SEARCH_PATH_CHANGES = {
    "set": "SET search_path TO other;\n",
    "do-block": (
        "DO $$\nBEGIN\n  PERFORM set_config('search_path', 'other', false);\nEND\n$$;\n"
    ),
    "set_config": "SELECT set_config('search_path', 'other', false);\n",
}

# Runs of migrations: V2 changes the session; V3 shares V2's batch (batches grow 1, 2, 4:
# batches.apply_all), V4 and V5 come in the next one.
SEEN = "CREATE TABLE {name} AS SELECT current_user::text AS who, current_schema()::text AS cur;\n"


def pg_project(change: str) -> dict[str, str]:
    return {
        "V1__other.sql": "CREATE SCHEMA other;\nCREATE TABLE t1 (id int);\n",
        "V2__change.sql": change,
        "V3__t3.sql": "CREATE TABLE t3 (id int);\n" + SEEN.format(name="seen3"),
        "V4__t4.sql": "CREATE TABLE t4 (id int);\n",
        "V5__t5.sql": "CREATE TABLE t5 (id int);\n" + SEEN.format(name="seen5"),
    }


EXPECTED_HISTORY = [
    ("1", "V1__other.sql", True),
    ("2", "V2__change.sql", True),
    ("3", "V3__t3.sql", True),
    ("4", "V4__t4.sql", True),
    ("5", "V5__t5.sql", True),
]


@pytest.mark.parametrize("change", sorted(SEARCH_PATH_CHANGES))
def test_pg_search_path_change_stays_in_its_migration(
    tmp_path: Path, pg_url: str, second_pg_url: str, change: str
) -> None:
    run_both_ways(tmp_path, pg_project(SEARCH_PATH_CHANGES[change]), pg_url, second_pg_url)
    login = pg_rows(pg_url, "SELECT current_user")[0][0]
    expected = [("app", HISTORY, login)] + [
        ("app", table, login) for table in ("seen3", "seen5", "t1", "t3", "t4", "t5")
    ]
    for url in (pg_url, second_pg_url):
        # Nothing landed in "other", batched or not: the same catalog both ways.
        assert pg_tables(url) == sorted(expected)
        assert pg_history(url, "app") == EXPECTED_HISTORY
        # What the later migrations saw: the configured schema first, as at session start.
        assert pg_rows(url, "SELECT who, cur FROM app.seen3") == [(login, "app")]
        assert pg_rows(url, "SELECT who, cur FROM app.seen5") == [(login, "app")]


def test_pg_set_role_is_undone_before_the_history_row_and_the_next_migration(
    tmp_path: Path, pg_url: str, second_pg_url: str, pg_role: str
) -> None:
    # The role has no right on app.flyway_schema_history: the history row of V2 can only be
    # written once the login's role is back (PostgreSQLConnection.doRestoreOriginalState).
    files = pg_project(f'SET ROLE "{pg_role}";\n')
    run_both_ways(tmp_path, files, pg_url, second_pg_url)
    login = pg_rows(pg_url, "SELECT current_user")[0][0]
    for url in (pg_url, second_pg_url):
        assert pg_history(url, "app") == EXPECTED_HISTORY
        owners = {table: owner for schema, table, owner in pg_tables(url) if schema == "app"}
        # Tables of later migrations (same batch as V2, and the next batch) are the login's.
        assert owners["t3"] == owners["t4"] == owners["t5"] == login
        assert pg_rows(url, "SELECT who FROM app.seen3") == [(login,)]
        assert pg_rows(url, "SELECT who FROM app.seen5") == [(login,)]


def test_pg_set_role_inside_a_do_block_is_undone(
    tmp_path: Path, pg_url: str, second_pg_url: str, pg_role: str
) -> None:
    change = f"DO $$\nBEGIN\n  PERFORM set_config('role', '{pg_role}', false);\nEND\n$$;\n"
    run_both_ways(tmp_path, pg_project(change), pg_url, second_pg_url)
    login = pg_rows(pg_url, "SELECT current_user")[0][0]
    for url in (pg_url, second_pg_url):
        assert pg_history(url, "app") == EXPECTED_HISTORY
        assert pg_rows(url, "SELECT who FROM app.seen5") == [(login,)]


def test_pg_callback_starts_from_the_original_state(tmp_path: Path, pg_url: str) -> None:
    # Flyway's DefaultCallbackExecutor.execute restores the state before each callback too.
    files = pg_project("SET search_path TO other;\n")
    files["afterMigrate.sql"] = SEEN.format(name="seen_after")
    root = write_project(tmp_path, files)
    migrate_pg(root, pg_url)
    login = pg_rows(pg_url, "SELECT current_user")[0][0]
    assert ("app", "seen_after", login) in pg_tables(pg_url)
    assert pg_rows(pg_url, "SELECT who, cur FROM app.seen_after") == [(login, "app")]


def test_pg_per_migration_callbacks_path_restores_too(tmp_path: Path, pg_url: str) -> None:
    # A run with beforeEachMigrate callbacks applies its migrations one at a time (not in
    # batches): the same outcome there.
    files = pg_project("SET search_path TO other;\n")
    files["beforeEachMigrate.sql"] = "SELECT 1;\n"
    root = write_project(tmp_path, files)
    migrate_pg(root, pg_url)
    login = pg_rows(pg_url, "SELECT current_user")[0][0]
    assert [t for t in pg_tables(pg_url) if t[0] == "other"] == []
    assert pg_rows(pg_url, "SELECT who, cur FROM app.seen5") == [(login, "app")]
    assert pg_history(pg_url, "app") == EXPECTED_HISTORY


# ---- MariaDB / MySQL -------------------------------------------------------------------


@pytest.fixture
def other_mysql_db(mysql_server) -> Iterator[str]:
    """The name of another empty database on the server, where a migration `USE`s."""
    with mysql_server.scratch_database() as url:
        yield url.rsplit("/", 1)[1]


def mysql_tables(mysql_server, *schemas: str) -> list[tuple[str, str]]:
    marks = ", ".join(f"'{s}'" for s in schemas)
    rows = mysql_server.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        f"WHERE table_schema IN ({marks}) ORDER BY 1, 2"
    )
    return [(str(a), str(b)) for a, b in rows]


def mysql_project(other: str) -> dict[str, str]:
    return {
        "V1__t1.sql": "CREATE TABLE t1 (id int);\n",
        "V2__use.sql": f"USE `{other}`;\nSET foreign_key_checks = 0;\n",
        "V3__t3.sql": (
            "CREATE TABLE t3 (id int);\n"
            "CREATE TABLE seen3 AS SELECT DATABASE() AS db, @@foreign_key_checks AS fk;\n"
        ),
        "V4__t4.sql": "CREATE TABLE t4 (id int);\n",
    }


def test_mysql_use_other_db_stays_in_its_migration(
    tmp_path: Path, mysql_server, mysql_url: str, other_mysql_db: str
) -> None:
    with mysql_server.scratch_database() as second_url:
        root = write_project(tmp_path, mysql_project(other_mysql_db))
        one = run_dbci("--project", root, "--url", mysql_url, "migrate")
        assert one.returncode == 0, one.stdout + one.stderr
        for version in ("1", "2", "3", "4"):
            step = run_dbci("--project", root, "--url", second_url, "migrate", "--target", version)
            assert step.returncode == 0, step.stdout + step.stderr
        for url in (mysql_url, second_url):
            db = url.rsplit("/", 1)[1]
            # The catalog: every table in the configured database, none in the other one.
            assert mysql_tables(mysql_server, db, other_mysql_db) == [
                (db, HISTORY),
                (db, "seen3"),
                (db, "t1"),
                (db, "t3"),
                (db, "t4"),
            ]
            rows = mysql_server.execute(
                f"SELECT version, script, success FROM `{db}`.{HISTORY} ORDER BY installed_rank"
            )
            assert [(v, s, bool(ok)) for v, s, ok in rows] == [
                ("1", "V1__t1.sql", True),
                ("2", "V2__use.sql", True),
                ("3", "V3__t3.sql", True),
                ("4", "V4__t4.sql", True),
            ]
            # V3 started where it would have alone: the default database, foreign key
            # checks as at connect (MySQLConnection.doRestoreOriginalState).
            seen = mysql_server.execute(f"SELECT db, fk FROM `{db}`.seen3")
            assert [(str(a), int(b)) for a, b in seen] == [(db, 1)]
