"""Server notices and warnings of migrations: printed as Flyway prints them, kept in the JSON.

The console format is Flyway's `DefaultSqlScriptExecutor.printWarnings` (flyway-core,
org.flywaydb.core.internal.sqlscript): for each `Warning` of a statement's `Results`,

    if ("00000".equals(warning.getState())) LOG.info("DB: " + warning.getMessage());
    else LOG.warn("DB: " + warning.getMessage() + " (SQL State: " + warning.getState()
                  + " - Error Code: " + warning.getCode() + ")");

and Flyway's command-line `ConsoleLog.warn` prints "WARNING: " + message. The warnings come
from JDBC (`JdbcTemplate.extractWarnings`: a null state becomes ""): PgJDBC's `PSQLWarning`
has the server's SQLSTATE and error code 0; MariaDB Connector/J's `getWarnings` runs SHOW
WARNINGS and makes `new SQLWarning(message, null, code)`. The states themselves are the
server's: PostgreSQL gives a NOTICE SQLSTATE 00000 and a WARNING 01000 unless RAISE names
one (src/backend/utils/error/elog.c, errstart: ERRCODE_WARNING for WARNING, else
ERRCODE_SUCCESSFUL_COMPLETION), `relation "x" already exists, skipping` is 42P07
(duplicate_table); MariaDB's `CREATE TABLE IF NOT EXISTS` on an existing table is Note 1050
ER_TABLE_EXISTS_ERROR "Table '%-.192s' already exists".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import psycopg
from support.projects import write_project

from dbci.engines.mysql.engine import MySQLDatabase
from dbci.engines.postgresql.engine import PostgreSQLDatabase
from dbci.settings.urls import parse_database_url
from dbci.sqlsplit import Statement

Dbci = Callable[..., CompletedProcess[str]]

# Seven quick migrations: dbci sends runs of them to PostgreSQL in batches of 1, 2 and 4
# (batches.apply_all), so several that raise notices share one message; V5's notice is its
# first statement, straight after V4's COMMIT in the same message.
PG_FILES = {
    "V1__one.sql": "create table one (a int);\n",
    "V2__hello.sql": (
        "create table two (a int);\n"
        "DO $$ BEGIN RAISE NOTICE 'hello %', 1; END $$;\n"
        "create table two_b (a int);\n"
    ),
    "V3__quiet.sql": "create table three (a int);\n",
    "V4__quiet.sql": "create table four (a int);\n",
    "V5__warn.sql": (
        "DO $$ BEGIN RAISE WARNING 'careful %', 5; END $$;\ncreate table five (a int);\n"
    ),
    "V6__skipping.sql": "create table six (a int);\ncreate table if not exists one (a int);\n",
    "V7__both.sql": (
        "DO $$ BEGIN RAISE NOTICE 'first of seven'; RAISE WARNING 'second of seven'; END $$;\n"
    ),
}
PG_EXPECTED = {
    "2": ["DB: hello 1"],
    "5": ["WARNING: DB: careful 5 (SQL State: 01000 - Error Code: 0)"],
    "6": [
        'WARNING: DB: relation "one" already exists, skipping (SQL State: 42P07 - Error Code: 0)'
    ],
    "7": [
        "DB: first of seven",
        "WARNING: DB: second of seven (SQL State: 01000 - Error Code: 0)",
    ],
}


def _notices_before(lines: list[str]) -> dict[str, list[str]]:
    """The `DB:` lines printed before each "Migrated … to version "N - …"" line."""
    found: dict[str, list[str]] = {}
    pending: list[str] = []
    for line in lines:
        if "DB: " in line:
            pending.append(line)
        elif line.startswith("Migrated schema"):
            version = line.split('version "', 1)[1].split(" - ", 1)[0]
            if pending:
                found[version] = pending
            pending = []
    assert pending == [], f"notices after the last migration: {pending}"
    return found


def test_pg_notices_in_a_batch_are_printed_and_kept_per_migration(
    tmp_path: Path, pg_url: str, dbci: Dbci
) -> None:
    root = write_project(tmp_path, PG_FILES)
    proc = dbci("--project", root, "--url", pg_url, "migrate", "--output", "json")
    assert proc.returncode == 0, proc.stderr
    # --output json: the progress lines go to standard error, the JSON to standard output.
    assert _notices_before(proc.stderr.splitlines()) == PG_EXPECTED
    report = json.loads(proc.stdout)
    notices = {m["version"]: m["notices"] for m in report["migrations"]}
    assert notices == {
        "1": [],
        "2": [{"message": "hello 1", "sqlState": "00000", "errorCode": 0}],
        "3": [],
        "4": [],
        "5": [{"message": "careful 5", "sqlState": "01000", "errorCode": 0}],
        "6": [
            {
                "message": 'relation "one" already exists, skipping',
                "sqlState": "42P07",
                "errorCode": 0,
            }
        ],
        "7": [
            {"message": "first of seven", "sqlState": "00000", "errorCode": 0},
            {"message": "second of seven", "sqlState": "01000", "errorCode": 0},
        ],
    }
    with psycopg.connect(pg_url.replace("+psycopg", "")) as conn:
        rows = conn.execute(
            "select version, success from flyway_schema_history order by installed_rank"
        ).fetchall()
    assert rows == [(str(n), True) for n in range(1, 8)]


def test_pg_notice_names_its_part_within_one_message(tmp_path: Path, pg_url: str) -> None:
    """The engine under the batches: one message of many statements, each notice tagged
    with the part that raised it or, when libpq parsed it ahead of the previous part's
    answer (fe-protocol3.c processes a NoticeResponse at once, in any state), the one
    before: what batches._by_migration relies on."""
    url = parse_database_url(pg_url, base_dir=tmp_path, where="test")
    db = PostgreSQLDatabase.connect(url, where="test", connect_timeout=5)
    try:
        parts: list[str | Statement] = [
            "SELECT 1",
            "DO $$ BEGIN RAISE NOTICE 'p1'; END $$",
            "SELECT 2",
            "SELECT 3",
            "DO $$ BEGIN RAISE NOTICE 'p4a'; RAISE WARNING 'p4b'; END $$",
            "DO $$ BEGIN RAISE NOTICE 'p5'; END $$",
        ]
        db.take_notices()
        db.run_script(parts)
        heard = db.take_notices()
    finally:
        db.close()
    assert [(n.message, n.sql_state) for n in heard] == [
        ("p1", "00000"),
        ("p4a", "00000"),
        ("p4b", "01000"),
        ("p5", "00000"),
    ]
    raised_by = {"p1": 1, "p4a": 4, "p4b": 4, "p5": 5}
    for notice in heard:
        assert notice.part in (raised_by[notice.message] - 1, raised_by[notice.message])


def test_mariadb_note_is_printed_and_kept(tmp_path: Path, mysql_url: str, dbci: Dbci) -> None:
    root = write_project(
        tmp_path,
        {
            "V1__t.sql": "create table t (a varchar(3));\n",
            "V2__again.sql": "create table if not exists t (a int);\n",
            "V3__quiet.sql": "insert into t values ('abc');\n",
        },
    )
    proc = dbci("--project", root, "--url", mysql_url, "migrate", "--output", "json")
    assert proc.returncode == 0, proc.stderr
    assert _notices_before(proc.stderr.splitlines()) == {
        "2": ["WARNING: DB: Table 't' already exists (SQL State:  - Error Code: 1050)"]
    }
    report = json.loads(proc.stdout)
    assert {m["version"]: m["notices"] for m in report["migrations"]} == {
        "1": [],
        "2": [{"message": "Table 't' already exists", "sqlState": "", "errorCode": 1050}],
        "3": [],
    }


def _show_warnings_sent(db: MySQLDatabase) -> int:
    """How many SHOW WARNINGS this session has sent, by the server's own count."""
    rows = db.query("SHOW SESSION STATUS LIKE 'Com_show_warnings'")
    return int(rows[0][1])


def test_mysql_statements_without_warnings_cost_no_show_warnings(
    tmp_path: Path, mysql_url: str
) -> None:
    url = parse_database_url(mysql_url, base_dir=tmp_path, where="test")
    db = MySQLDatabase.connect(url, where="test", connect_timeout=5)
    try:
        quiet = [
            Statement("create table q (a varchar(3))", 1),
            Statement("insert into q values ('abc')", 2),
            Statement("select * from q", 3),
        ]
        db.run_each(quiet)
        assert _show_warnings_sent(db) == 0
        assert db.take_notices() == []
        db.run_each([Statement("insert ignore into q values ('abcdef')", 4)])
        assert _show_warnings_sent(db) == 1
        # MariaDB's ER_WARN_DATA_TRUNCATED (1265): "Data truncated for column '%s' at row %lu"
        assert [(n.message, n.error_code) for n in db.take_notices()] == [
            ("Data truncated for column 'a' at row 1", 1265)
        ]
        # The statements did run: the truncated value is there too.
        assert [tuple(r) for r in db.query("select a from q order by a")] == [
            ("abc",),
            ("abc",),
        ]
    finally:
        db.close()
