"""Flyway's naming settings with Flyway's meaning, empty prefixes included.

Expected classifications come from Flyway's `ResourceNameParser`
(flyway-core, org.flywaydb.core.internal.resource.ResourceNameParser): a name loses the
first configured suffix it ends with, then the longest prefix it starts with (the four
migration prefixes and every callback event's name, sorted by length, longest first, so
an empty prefix matches last); the rest is cut at the first separator into version and
description. Versioned, undo and baseline names need a version `MigrationVersion` reads;
repeatable and callback names must have none. Invalid names are skipped by the resolvers
(`SqlMigrationResolver`: `if (!result.isValid() || isSqlCallback(result) || ...) continue`)
and reported by `ResourceNameValidator` when `validateMigrationNaming` is true.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.cli import run_dbci
from support.postgres import connect as pg_connect
from support.projects import write_project

from dbci.migrate.discovery import discover
from dbci.settings.config import Overrides, load_settings

# ---- configuration -------------------------------------------------------------------------


def test_empty_prefixes_pass_through_config_file_and_variables(tmp_path: Path) -> None:
    """An empty prefix is a value (Flyway: "" means no prefix), never the default."""
    (tmp_path / "flyway.toml").write_text(
        '[flyway]\nsqlMigrationPrefix = ""\nrepeatableSqlMigrationPrefix = ""\n'
    )
    settings = load_settings(Overrides(project=tmp_path), environ={})
    assert settings.sql_migration_prefix == ""
    assert settings.repeatable_sql_migration_prefix == ""
    assert settings.undo_sql_migration_prefix == "U"  # untouched keys keep Flyway's defaults
    assert settings.baseline_migration_prefix == "B"
    from_variables = load_settings(
        Overrides(project=tmp_path),
        environ={"DBCI_UNDO_SQL_MIGRATION_PREFIX": "", "DBCI_BASELINE_MIGRATION_PREFIX": ""},
    )
    assert from_variables.undo_sql_migration_prefix == ""
    assert from_variables.baseline_migration_prefix == ""


# ---- classification ------------------------------------------------------------------------


def _discover(tmp_path: Path, files: dict[str, str], flyway: str):
    root = write_project(tmp_path, files)
    (root / "flyway.toml").write_text("[flyway]\n" + flyway)
    return discover(load_settings(Overrides(project=root), environ={}))


def _kinds(found) -> dict[str, tuple[str, str | None, str]]:
    """file name -> (kind, version, description) of every migration and callback found."""
    out: dict[str, tuple[str, str | None, str]] = {}
    for scripts in (found.versioned, found.undo, found.baseline, found.repeatable):
        for m in scripts:
            out[m.path.name] = (m.kind.value, m.version.text if m.version else None, m.description)
    for event, scripts in found.callbacks.items():
        for m in scripts:
            out[m.path.name] = ("callback:" + event, None, "")
    return out


def test_empty_sql_migration_prefix_follows_resource_name_parser(tmp_path: Path) -> None:
    files = {
        "20240101120000__create_tables.sql": "SELECT 1;\n",
        "2024010112000001__b.sql": "SELECT 2;\n",
        "20240101120000001__c.sql": "SELECT 3;\n",
        "1.sql": "SELECT 4;\n",  # version 1, no separator: description "" (valid in Flyway)
        "R__views.sql": "SELECT 5;\n",  # "R" is longer than "": repeatable
        "U20240101120000__create_tables.sql": "SELECT 6;\n",  # "U" wins: undo
        "B20240101120000__base.sql": "SELECT 7;\n",  # "B" wins: baseline migration
        "beforeMigrate.sql": "SELECT 8;\n",  # an event's name is a callback prefix
        "afterEachMigrate__log.sql": "SELECT 9;\n",
        "20240101120000__create_tables.sql.conf": "executeInTransaction=false\n",
        "README.md": "not a migration",
        "notes.sql": "SELECT 10;\n",  # empty prefix: version "notes" is no version
        "V1__old_style.sql": "SELECT 11;\n",  # empty prefix: version "V1" is no version
        "Users__x.sql": "SELECT 12;\n",  # "U" claims it: undo version "sers" is no version
        "beforeMigrateX.sql": "SELECT 13;\n",  # callback prefix with a "version": invalid
    }
    found = _discover(tmp_path, files, 'sqlMigrationPrefix = ""\n')
    assert _kinds(found) == {
        "20240101120000__create_tables.sql": ("versioned", "20240101120000", "create tables"),
        "2024010112000001__b.sql": ("versioned", "2024010112000001", "b"),
        "20240101120000001__c.sql": ("versioned", "20240101120000001", "c"),
        "1.sql": ("versioned", "1", ""),
        "R__views.sql": ("repeatable", None, "views"),
        "U20240101120000__create_tables.sql": ("undo", "20240101120000", "create tables"),
        "B20240101120000__base.sql": ("baseline", "20240101120000", "base"),
        "beforeMigrate.sql": ("callback:beforeMigrate", None, ""),
        "afterEachMigrate__log.sql": ("callback:afterEachMigrate", None, ""),
    }
    # Numeric order of versions (MigrationVersion compares BigIntegers): 14 < 16 < 17 digits.
    assert [m.version.text for m in found.versioned] == [
        "1",
        "20240101120000",
        "2024010112000001",
        "20240101120000001",
    ]
    assert found.versioned[1].execute_in_transaction is False  # its `.sql.conf` was read
    problems = {Path(p.display_path).name: p.reason for p in found.naming_problems}
    assert problems == {
        "notes.sql": "Invalid versioned migration name format: notes.sql (could not "
        "recognise version number notes)",
        "V1__old_style.sql": "Invalid versioned migration name format: V1__old_style.sql "
        "(could not recognise version number V1)",
        "Users__x.sql": "Invalid versioned migration name format: Users__x.sql (could not "
        "recognise version number sers)",
        "beforeMigrateX.sql": "Invalid repeatable migration / callback name format: "
        "beforeMigrateX.sql (It cannot contain a version and should look like this: "
        "beforeMigrate__description.sql)",
    }


def test_longest_prefix_wins_and_custom_prefixes(tmp_path: Path) -> None:
    """populatePrefixes sorts by length, longest first: `VR__x` is repeatable with prefix
    "VR" even though it starts with the versioned prefix "V"."""
    files = {
        "V1__first.sql": "SELECT 1;\n",
        "VR__views.sql": "SELECT 2;\n",
        "UNDO1__first.sql": "SELECT 3;\n",
        "BASE1__base.sql": "SELECT 4;\n",
        "R__plain.sql": "SELECT 5;\n",  # "R" is no prefix here: unrecognised
    }
    found = _discover(
        tmp_path,
        files,
        'repeatableSqlMigrationPrefix = "VR"\nundoSqlMigrationPrefix = "UNDO"\n'
        'baselineMigrationPrefix = "BASE"\n',
    )
    assert _kinds(found) == {
        "V1__first.sql": ("versioned", "1", "first"),
        "VR__views.sql": ("repeatable", None, "views"),
        "UNDO1__first.sql": ("undo", "1", "first"),
        "BASE1__base.sql": ("baseline", "1", "base"),
    }
    assert [p.reason for p in found.naming_problems] == [
        "Unrecognised migration name format: R__plain.sql"
    ]


def test_empty_repeatable_prefix(tmp_path: Path) -> None:
    found = _discover(
        tmp_path,
        {"__views.sql": "SELECT 1;\n", "V1__a.sql": "SELECT 2;\n", "views.sql": "SELECT 3;\n"},
        'repeatableSqlMigrationPrefix = ""\n',
    )
    assert _kinds(found) == {
        "__views.sql": ("repeatable", None, "views"),
        "V1__a.sql": ("versioned", "1", "a"),
    }
    # "views" sits where a version would: a repeatable cannot have one.
    assert [Path(p.display_path).name for p in found.naming_problems] == ["views.sql"]


def test_custom_separator(tmp_path: Path) -> None:
    """The description starts after the first separator; `_` still becomes a space."""
    found = _discover(
        tmp_path,
        {
            "V1-add_people.sql": "SELECT 1;\n",
            "V2-a-b.sql": "SELECT 2;\n",  # cut at the first "-"
            "R-views.sql": "SELECT 3;\n",
            "V3__old.sql": "SELECT 4;\n",  # no "-": version "3__old" is no version
        },
        'sqlMigrationSeparator = "-"\n',
    )
    assert _kinds(found) == {
        "V1-add_people.sql": ("versioned", "1", "add people"),
        "V2-a-b.sql": ("versioned", "2", "a-b"),
        "R-views.sql": ("repeatable", None, "views"),
    }
    assert [p.reason for p in found.naming_problems] == [
        "Invalid versioned migration name format: V3__old.sql (could not recognise version "
        "number 3__old)"
    ]


def test_multiple_suffixes_first_listed_is_cut(tmp_path: Path) -> None:
    """stripSuffix takes the first configured suffix the name ends with."""
    found = _discover(
        tmp_path,
        {
            "V1__a.sql": "SELECT 1;\n",
            "V2__b.ddl": "SELECT 2;\n",
            "V3__c.pkg.sql": "SELECT 3;\n",  # ".sql" is listed first: description "c.pkg"
            "V4__d.txt": "not a migration",
        },
        'sqlMigrationSuffixes = [".sql", ".ddl", ".pkg.sql"]\n',
    )
    assert _kinds(found) == {
        "V1__a.sql": ("versioned", "1", "a"),
        "V2__b.ddl": ("versioned", "2", "b"),
        "V3__c.pkg.sql": ("versioned", "3", "c.pkg"),
    }
    assert found.naming_problems == []


def test_validate_migration_naming_is_one_line_exit_2(tmp_path: Path) -> None:
    root = write_project(
        tmp_path,
        {"20240101120000__ok.sql": "SELECT 1;\n", "notes.sql": "SELECT 2;\n"},
    )
    (root / "flyway.toml").write_text(
        '[flyway]\nsqlMigrationPrefix = ""\nvalidateMigrationNaming = true\n'
    )
    db = tmp_path / "x.db"
    proc = run_dbci("--project", root, "--url", f"sqlite:///{db}", "validate")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines == [
        "dbci: error: migrations/notes.sql: invalid migration file name: Invalid versioned "
        "migration name format: notes.sql (could not recognise version number notes)"
    ]
    # Without it, the same file is skipped with a warning, and the good one is validated.
    (root / "flyway.toml").write_text('[flyway]\nsqlMigrationPrefix = ""\n')
    proc = run_dbci("--project", root, "--url", f"sqlite:///{db}", "--output", "json", "info")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert [(m["version"], m["state"]) for m in report["migrations"]] == [
        ("20240101120000", "Pending")
    ]


# ---- hundreds of empty-prefix migrations against a history Flyway wrote --------------------

# Flyway's createMetaDataTable for PostgreSQL (PostgreSQLDatabase.getRawCreateScript) and
# MySQL/MariaDB (MySQLDatabase.getRawCreateScript).
PG_HISTORY_DDL = (
    'CREATE TABLE "public"."flyway_schema_history" ("installed_rank" INT NOT NULL, '
    '"version" VARCHAR(50), "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT '
    'NULL, "script" VARCHAR(1000) NOT NULL, "checksum" INTEGER, "installed_by" VARCHAR(100) '
    'NOT NULL, "installed_on" TIMESTAMP NOT NULL DEFAULT now(), "execution_time" INTEGER NOT '
    'NULL, "success" BOOLEAN NOT NULL)',
    'ALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" '
    'PRIMARY KEY ("installed_rank")',
    'CREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success")',
)
MYSQL_HISTORY_DDL = (
    "CREATE TABLE `flyway_schema_history` (`installed_rank` INT NOT NULL, `version` "
    "VARCHAR(50), `description` VARCHAR(200) NOT NULL, `type` VARCHAR(20) NOT NULL, `script` "
    "VARCHAR(1000) NOT NULL, `checksum` INT, `installed_by` VARCHAR(100) NOT NULL, "
    "`installed_on` TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, `execution_time` INT NOT "
    "NULL, `success` BOOL NOT NULL, CONSTRAINT `flyway_schema_history_pk` PRIMARY KEY "
    "(`installed_rank`)) ENGINE=InnoDB",
    "CREATE INDEX `flyway_schema_history_s_idx` ON `flyway_schema_history` (`success`)",
)
INSERT = (
    "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, "
    "checksum, installed_by, execution_time, success) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)

# Flyway's quickstart migration and the checksum Flyway records for it (its documentation's
# tutorial): the hand-verified value that `crc_by_lines` must give.
PERSON_TABLE = "create table PERSON (\n    ID int not null,\n    NAME varchar(100) not null\n);\n"
PERSON_CHECKSUM = 1715188512


def crc_by_lines(text: str) -> int:
    """Flyway's checksum as ChecksumCalculator computes it: one CRC32 fed each line's UTF-8
    bytes (BufferedReader.readLine: no terminator), as a signed 32-bit int."""
    crc = 0
    for line in text.splitlines():
        crc = zlib.crc32(line.encode("utf-8"), crc)
    return crc - (1 << 32) if crc >= 1 << 31 else crc


@dataclass
class Target:
    """A scratch database: its URL for dbci, and a way to run SQL on it directly."""

    engine: str
    url: str
    connect: Callable[[], Any]

    def execute(self, sql: str, rows: list[tuple] | None = None) -> None:
        conn = self.connect()
        try:
            with conn.cursor() as cursor:
                if rows is None:
                    cursor.execute(sql)
                else:
                    cursor.executemany(sql, rows)
        finally:
            conn.close()

    def query(self, sql: str) -> list[tuple]:
        conn = self.connect()
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql)
                return [tuple(r) for r in cursor.fetchall()]
        finally:
            conn.close()

    def history(self) -> list[tuple]:
        """(rank, version, description, type, script, checksum, success) by rank."""
        return [
            (r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]))
            for r in self.query(
                "SELECT installed_rank, version, description, type, script, checksum, success "
                "FROM flyway_schema_history ORDER BY installed_rank"
            )
        ]

    def create_flyway_history(self) -> None:
        for statement in PG_HISTORY_DDL if self.engine == "postgresql" else MYSQL_HISTORY_DDL:
            self.execute(statement)


def make_target(request: pytest.FixtureRequest) -> Target:
    """The scratch database of `request.param` ("postgresql" or "mariadb")."""
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        return Target("postgresql", url, lambda: pg_connect(url, autocommit=True))
    url = request.getfixturevalue("mysql_url")
    server = request.getfixturevalue("mysql_server")
    name = url.rsplit("/", 1)[1]
    return Target("mariadb", url, lambda: server.connect(name))


@pytest.fixture(params=["postgresql", "mariadb"])
def target(request: pytest.FixtureRequest) -> Target:
    return make_target(request)


def _generated(count: int) -> dict[str, str]:
    """`count` empty-prefix migrations named by timestamp: 14, 16 and 17 digits in turn."""
    files: dict[str, str] = {}
    for i in range(count):
        if i % 3 == 0:
            version = f"{20240101000000 + i * 100}"  # 14 digits
        elif i % 3 == 1:
            version = f"{2024010200000000 + i}"  # 16 digits
        else:
            version = f"{20240103000000000 + i}"  # 17 digits
        files[f"{version}__step_{i}.sql"] = f"-- step {i}\nSELECT {i};\n"
    return files


def test_hundreds_of_empty_prefix_migrations_on_a_flyway_history(
    tmp_path: Path, target: Target
) -> None:
    assert crc_by_lines(PERSON_TABLE) == PERSON_CHECKSUM
    files = _generated(330)
    files["20231231000000__Create_person_table.sql"] = PERSON_TABLE
    files["R__people_view.sql"] = "CREATE OR REPLACE VIEW people AS SELECT * FROM PERSON;\n"
    callbacks = {
        "beforeMigrate.sql": "CREATE TABLE IF NOT EXISTS callback_log (id INT);\n",
        "20231231000000__Create_person_table.sql.conf": "executeInTransaction=true\n",
        "U20231231000000__Create_person_table.sql": "DROP TABLE PERSON;\n",
    }
    root = write_project(tmp_path, files | callbacks)
    (root / "flyway.toml").write_text('[flyway]\nsqlMigrationPrefix = ""\noutOfOrder = true\n')

    # The database as Flyway left it: the person table and view, and Flyway's history rows
    # (versioned in version order, then the repeatable; type SQL; Flyway's checksums).
    target.execute(PERSON_TABLE.rstrip().rstrip(";"))
    target.execute(files["R__people_view.sql"].rstrip().rstrip(";"))
    target.create_flyway_history()
    versioned = sorted(
        (n for n in files if not n.startswith("R__")), key=lambda n: int(n.split("__")[0])
    )
    rows = [
        (
            rank,
            name.split("__")[0],
            name[:-4].split("__", 1)[1].replace("_", " "),
            "SQL",
            name,
            crc_by_lines(files[name]),
            "flyway",
            3,
            True,
        )
        for rank, name in enumerate(versioned, start=1)
    ]
    rows.append(
        (
            len(rows) + 1,
            None,
            "people view",
            "SQL",
            "R__people_view.sql",
            crc_by_lines(files["R__people_view.sql"]),
            "flyway",
            5,
            True,
        )
    )
    target.execute(INSERT, rows)
    assert rows[0][1:6] == (
        "20231231000000",
        "Create person table",
        "SQL",
        "20231231000000__Create_person_table.sql",
        PERSON_CHECKSUM,
    )

    info = run_dbci("--project", root, "--url", target.url, "--output", "json", "info")
    assert info.returncode == 0, info.stderr
    states = [
        (m["version"], m["description"], m["state"]) for m in json.loads(info.stdout)["migrations"]
    ]
    expected = [(r[1] or "", r[2], "Success") for r in rows]
    assert states == expected  # every one Success: none Future, none Pending

    validate = run_dbci("--project", root, "--url", target.url, "--output", "json", "validate")
    assert validate.returncode == 0, validate.stdout + validate.stderr
    report = json.loads(validate.stdout)
    assert report["validationSuccessful"] is True
    assert report["validateCount"] == len(rows) == 332

    # A migration added later, in the middle of the versions: applied out of order.
    middle = "20240101000150__late_table.sql"
    assert int(versioned[1][:14]) < 20240101000150 < int(versioned[-1].split("__")[0])
    late = "CREATE TABLE late_table (id INT);\n"
    (root / "migrations" / middle).write_text(late)
    migrate = run_dbci("--project", root, "--url", target.url, "migrate")
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    history = target.history()
    assert history[:-1] == [r[:6] + (True,) for r in rows]
    assert history[-1] == (
        333,
        "20240101000150",
        "late table",
        "SQL",
        middle,
        crc_by_lines(late),
        True,
    )
    assert target.query("SELECT COUNT(*) FROM late_table") == [(0,)]
    # The callback ran and was never recorded as a migration; the undo script never ran.
    assert target.query("SELECT COUNT(*) FROM callback_log") == [(0,)]
    assert target.query("SELECT COUNT(*) FROM PERSON") == [(0,)]

    info = run_dbci("--project", root, "--url", target.url, "--output", "json", "info")
    states = {m["version"]: m["state"] for m in json.loads(info.stdout)["migrations"]}
    assert states["20240101000150"] == "Out of Order"
    assert sorted(set(states.values())) == ["Out of Order", "Success"]
