"""Callbacks fire where Flyway fires them, in Flyway's order, for every command (issue 22).

Every callback of the project inserts (sequence, event name) into a log table kept outside
the managed schema (a schema of its own on PostgreSQL, a database of its own on MariaDB),
so `clean` cannot drop it and `migrate` sees an empty schema. The expected sequences are
read from Flyway's source (flyway/flyway, flyway-core, org.flywaydb.core):

* every command: `FlywayExecutor.execute` fires afterConnect before the command runs;
* migrate: `Flyway.migrate` runs `DbValidate.validate` first when validateOnMigrate is on
  (beforeValidate; the history read by `MigrationInfoServiceImpl.refresh`; afterValidate,
  or afterValidateError, after which `Flyway.migrate` throws before `DbMigrate` starts, so
  no beforeMigrate and no afterMigrateError), then `doBaseline` for baselineOnMigrate
  (`DbBaseline.baseline`: beforeBaseline, afterBaseline), then `DbMigrate.migrate`
  (beforeMigrate; per migration, `doMigrateGroup`: beforeEachMigrate, the statement
  events, afterEachMigrate; `migrateAll`/`doMigrateGroup`: afterVersioned exactly once,
  before the first repeatable or at the end, also when nothing is pending;
  afterMigrateApplied when anything was applied; afterMigrate), then
  `onOperationFinishEvent(AFTER_MIGRATE_OPERATION_FINISH)` (afterMigrateOperationFinish);
* validate: `DbValidate.validate` as above;
* info: `DbInfo.info`: beforeInfo, afterInfo;
* repair: `DbRepair.repair`: beforeRepair, afterRepair;
* baseline: `DbBaseline.baseline`: beforeBaseline, then afterBaseline, or afterBaselineError
  when it refuses (a history that already holds migrations);
* undo: `DbUndo.undo`: beforeUndo, afterUndo, or afterUndoError when there is no undo
  script for the version to undo;
* clean: `DbClean.clean`: beforeClean, afterClean.
"""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.databases import connected
from support.projects import settings_for, write_project

from dbci.errors import GateFailed, InputError
from dbci.migrate import commands, lifecycle

# The events dbci recognises as SQL callbacks, one logging script each.
EVENTS = [
    "afterConnect",
    "beforeMigrate",
    "beforeEachMigrate",
    "beforeEachMigrateStatement",
    "afterEachMigrateStatement",
    "afterEachMigrateStatementError",
    "afterEachMigrate",
    "afterEachMigrateError",
    "afterVersioned",
    "beforeRepeatables",
    "afterMigrateApplied",
    "afterMigrate",
    "afterMigrateError",
    "afterMigrateOperationFinish",
    "beforeValidate",
    "afterValidate",
    "afterValidateError",
    "beforeInfo",
    "afterInfo",
    "afterInfoError",
    "beforeBaseline",
    "afterBaseline",
    "afterBaselineError",
    "beforeRepair",
    "afterRepair",
    "afterRepairError",
    "beforeUndo",
    "afterUndo",
    "afterUndoError",
    "beforeClean",
    "afterClean",
    "afterCleanError",
]

MIGRATIONS = {
    "V1__one.sql": "create table one (a int);\n",
    "V2__two.sql": "create table two (a int);\n",
    "R__r.sql": "create table r (a int);\n",
}

EACH = [
    "beforeEachMigrate",
    "beforeEachMigrateStatement",
    "afterEachMigrateStatement",
    "afterEachMigrate",
]


@pytest.fixture(params=["postgresql", "mariadb"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(url of an empty database, the log table's qualified name outside its schema)."""
    create = "create table {t} (seq int not null, event varchar(100) not null)"
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        schema = "cblog_" + secrets.token_hex(3)
        with connected(url, tmp_path) as db:
            db.execute(f"create schema {schema}")
            db.execute(create.format(t=f"{schema}.cb_log"))
        yield url, f"{schema}.cb_log"
        return
    url = request.getfixturevalue("mysql_url")
    server = request.getfixturevalue("mysql_server")
    with server.scratch_database() as log_url:
        name = log_url.rsplit("/", 1)[1]
        server.execute(create.format(t=f"`{name}`.cb_log"))
        yield url, f"{name}.cb_log"


def log_script(table: str, event: str) -> str:
    count = f"(select count(*) from {table})"
    return f"insert into {table} (seq, event) select {count} + 1, '{event}';\n"


def project(tmp_path: Path, table: str, files: dict[str, str]) -> Path:
    callbacks = {f"{e}.sql": log_script(table, e) for e in EVENTS}
    return write_project(tmp_path / "p", {**callbacks, **files})


def events(url: str, table: str, tmp_path: Path) -> list[str]:
    with connected(url, tmp_path) as db:
        return [r[0] for r in db.query(f"select event from {table} order by seq")]


def history(url: str, tmp_path: Path) -> list[tuple]:
    with connected(url, tmp_path) as db:
        rows = db.query(
            "select version, script, checksum, type, success from flyway_schema_history "
            "order by installed_rank"
        )
    return [(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]


class Log:
    """The log table, read as what was added since the last call."""

    def __init__(self, url: str, table: str, tmp_path: Path) -> None:
        self.url, self.table, self.tmp_path, self.seen = url, table, tmp_path, 0

    def new(self) -> list[str]:
        now = events(self.url, self.table, self.tmp_path)
        added, self.seen = now[self.seen :], len(now)
        return added


def flyway_checksum(text: str) -> int:
    """Flyway's checksum of a script (`ChecksumCalculator.calculateChecksumForResource`):
    CRC32 over each line's UTF-8 bytes, line breaks left out, BOM filtered, as a Java int."""
    crc = 0
    for line in text.lstrip("\ufeff").splitlines():
        crc = zlib.crc32(line.encode("utf-8"), crc)
    return crc - (1 << 32) if crc >= 1 << 31 else crc


def test_migrate_validate_info_repair_sequences(tmp_path: Path, target: tuple[str, str]) -> None:
    url, table = target
    root = project(tmp_path, table, MIGRATIONS)
    log = Log(url, table, tmp_path)
    settings = settings_for(root, url)

    result = commands.migrate(settings)
    assert [a.script.script for a in result.applied] == ["V1__one.sql", "V2__two.sql", "R__r.sql"]
    assert log.new() == [
        "afterConnect",
        "beforeValidate",
        "afterValidate",
        "beforeMigrate",
        *EACH,  # V1
        *EACH,  # V2
        # DbMigrate.doMigrateGroup: at the first repeatable, afterVersioned then
        # beforeRepeatables.
        "afterVersioned",
        "beforeRepeatables",
        *EACH,  # R
        "afterMigrateApplied",
        "afterMigrate",
        "afterMigrateOperationFinish",
    ]
    # Nothing pending: DbMigrate.migrateAll still fires afterVersioned, not afterMigrateApplied.
    assert commands.migrate(settings).applied == []
    assert log.new() == [
        "afterConnect",
        "beforeValidate",
        "afterValidate",
        "beforeMigrate",
        "afterVersioned",
        "afterMigrate",
        "afterMigrateOperationFinish",
    ]
    commands.info(settings)
    assert log.new() == ["afterConnect", "beforeInfo", "afterInfo"]
    assert commands.validate(settings).problems == []
    assert log.new() == ["afterConnect", "beforeValidate", "afterValidate"]
    lifecycle.repair(settings)
    assert log.new() == ["afterConnect", "beforeRepair", "afterRepair"]
    # validateOnMigrate off: Flyway.migrate skips DbValidate, callbacks and all.
    commands.migrate(settings_for(root, url, validateOnMigrate=False))
    assert log.new() == [
        "afterConnect",
        "beforeMigrate",
        "afterVersioned",
        "afterMigrate",
        "afterMigrateOperationFinish",
    ]
    # The callbacks recorded nothing in the history.
    assert [r[1] for r in history(url, tmp_path)] == ["V1__one.sql", "V2__two.sql", "R__r.sql"]


def test_only_repeatables_pending_fires_after_versioned_before_them(
    tmp_path: Path, target: tuple[str, str]
) -> None:
    url, table = target
    root = project(tmp_path, table, {"R__r.sql": "create table r (a int);\n"})
    log = Log(url, table, tmp_path)
    commands.migrate(settings_for(root, url))
    # DbMigrate.doMigrateGroup: afterVersioned when the first repeatable comes up.
    assert log.new() == [
        "afterConnect",
        "beforeValidate",
        "afterValidate",
        "beforeMigrate",
        "afterVersioned",
        "beforeRepeatables",
        *EACH,
        "afterMigrateApplied",
        "afterMigrate",
        "afterMigrateOperationFinish",
    ]


def test_failed_validation_fires_after_validate_error_in_migrate_and_validate(
    tmp_path: Path, target: tuple[str, str]
) -> None:
    url, table = target
    root = project(tmp_path, table, MIGRATIONS)
    log = Log(url, table, tmp_path)
    commands.migrate(settings_for(root, url))
    log.new()
    (root / "migrations/V2__two.sql").write_text("create table two (a bigint);\n")
    (root / "migrations/V3__three.sql").write_text("create table three (a int);\n")
    settings = settings_for(root, url)

    problems = commands.validate(settings).problems
    assert [p.kind for p in problems] == ["checksum"]
    assert log.new() == ["afterConnect", "beforeValidate", "afterValidateError"]

    with pytest.raises(GateFailed) as caught:
        commands.migrate(settings)
    assert "checksum" in caught.value.message
    # Flyway.migrate throws after DbValidate returned: no beforeMigrate, no afterMigrateError.
    assert log.new() == ["afterConnect", "beforeValidate", "afterValidateError"]
    assert [r[1] for r in history(url, tmp_path)] == ["V1__one.sql", "V2__two.sql", "R__r.sql"]
    with connected(url, tmp_path) as db:
        assert not db.table_exists(db.current_schema(), "three")


def test_baseline_undo_clean_sequences(tmp_path: Path, target: tuple[str, str]) -> None:
    url, table = target
    root = project(
        tmp_path,
        table,
        {**MIGRATIONS, "U2__two.sql": "drop table two;\n"},
    )
    log = Log(url, table, tmp_path)
    settings = settings_for(root, url, cleanDisabled=False)
    with connected(url, tmp_path) as db:
        db.execute("create table legacy (a int)")

    # baselineOnMigrate on a non-empty schema: DbBaseline's callbacks inside migrate.
    commands.migrate(settings_for(root, url, baselineOnMigrate=True, baselineVersion="1"))
    assert log.new() == [
        "afterConnect",
        "beforeValidate",
        "afterValidate",
        "beforeBaseline",
        "afterBaseline",
        "beforeMigrate",
        *EACH,  # V2
        # DbMigrate.doMigrateGroup: at the first repeatable, afterVersioned then
        # beforeRepeatables.
        "afterVersioned",
        "beforeRepeatables",
        *EACH,  # R
        "afterMigrateApplied",
        "afterMigrate",
        "afterMigrateOperationFinish",
    ]
    assert [(r[0], r[3]) for r in history(url, tmp_path)] == [
        ("1", "BASELINE"),
        ("2", "SQL"),
        (None, "SQL"),
    ]

    # baseline refused (the history holds migrations): afterBaselineError.
    with pytest.raises(GateFailed):
        lifecycle.baseline(settings)
    assert log.new() == ["afterConnect", "beforeBaseline", "afterBaselineError"]

    lifecycle.undo(settings)
    assert log.new() == ["afterConnect", "beforeUndo", "afterUndo"]
    assert history(url, tmp_path)[-1][:2] == ("2", "U2__two.sql")

    # Version 2 applied again, its undo script gone: DbUndo fails after beforeUndo.
    commands.migrate(settings)
    log.new()
    (root / "migrations/U2__two.sql").unlink()
    with pytest.raises(InputError):
        lifecycle.undo(settings)
    assert log.new() == ["afterConnect", "beforeUndo", "afterUndoError"]

    lifecycle.clean(settings)
    assert log.new() == ["afterConnect", "beforeClean", "afterClean"]
    with connected(url, tmp_path) as db:
        assert not db.table_exists(db.current_schema(), "flyway_schema_history")

    # baseline on the cleaned schema: beforeBaseline, afterBaseline.
    lifecycle.baseline(settings)
    assert log.new() == ["afterConnect", "beforeBaseline", "afterBaseline"]
    assert [(r[0], r[3]) for r in history(url, tmp_path)] == [("1", "BASELINE")]


# ---- the real project: a beforeValidate.sql that repairs an old checksum ------------------

FLYWAY_HISTORY = (
    "create table flyway_schema_history (installed_rank int not null primary key, "
    "version varchar(50), description varchar(200) not null, type varchar(20) not null, "
    "script varchar(1000) not null, checksum int, installed_by varchar(100) not null, "
    "installed_on timestamp not null default current_timestamp, execution_time int not null, "
    "success boolean not null)"
)
V1 = "create table one (a int);\ninsert into one values (1);\n"
WRONG = 123456789  # the checksum an older version of V1 had


REPAIR_V1 = (
    f"update flyway_schema_history set checksum = {flyway_checksum(V1)} "
    "where version = '1' and script = 'V1__one.sql'"
)


def legacy_project(tmp_path: Path, url: str, before_validate: str = REPAIR_V1 + ";\n") -> Path:
    """A Flyway project whose history holds V1 with an old checksum, and V2 pending; its
    beforeValidate.sql sets V1's checksum to the file's (computed as Flyway does)."""
    root = write_project(
        tmp_path / "legacy",
        {
            "V1__one.sql": V1,
            "V2__two.sql": "create table two (a int);\n",
            "beforeValidate.sql": before_validate,
        },
    )
    with connected(url, tmp_path) as db:
        db.execute(FLYWAY_HISTORY)
        db.execute("create table one (a int)")
        db.execute("insert into one values (1)")
        db.execute(
            "insert into flyway_schema_history (installed_rank, version, description, type, "
            f"script, checksum, installed_by, execution_time, success) values (1, '1', 'one', "
            f"'SQL', 'V1__one.sql', {WRONG}, 'flyway', 7, true)"
        )
    return root


@pytest.fixture(params=["postgresql", "mariadb"])
def any_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("pg_url" if request.param == "postgresql" else "mysql_url")


def test_before_validate_repairs_the_checksum_migrate_then_applies(
    tmp_path: Path, any_url: str, dbci
) -> None:
    root = legacy_project(tmp_path, any_url)
    assert history(any_url, tmp_path) == [("1", "V1__one.sql", WRONG, "SQL", True)]
    proc = dbci("--project", root, "--url", any_url, "migrate")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Executing SQL callback: beforeValidate - beforeValidate.sql" in proc.stdout
    assert history(any_url, tmp_path) == [
        ("1", "V1__one.sql", flyway_checksum(V1), "SQL", True),
        ("2", "V2__two.sql", flyway_checksum("create table two (a int);\n"), "SQL", True),
    ]
    with connected(any_url, tmp_path) as db:
        assert db.table_exists(db.current_schema(), "two")


def test_before_validate_repairs_the_checksum_validate_passes_first_run(
    tmp_path: Path, any_url: str, dbci
) -> None:
    root = legacy_project(tmp_path, any_url)
    proc = dbci("--project", root, "--url", any_url, "validate")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert history(any_url, tmp_path) == [("1", "V1__one.sql", flyway_checksum(V1), "SQL", True)]
    with connected(any_url, tmp_path) as db:
        assert not db.table_exists(db.current_schema(), "two")  # validate applies nothing


def test_deploy_runs_before_validate_before_it_validates(tmp_path: Path, pg_url: str, dbci) -> None:
    # deploy validates (callbacks included) before its drift check, then migrates without
    # validating twice: beforeValidate's repaired checksum lets V2 through. Its drift check
    # rebuilds V1 on a fresh build database, where migrate fires beforeValidate too (as
    # Flyway does on any existing schema) before any history exists: the script checks.
    guarded = (
        "DO $$ BEGIN IF to_regclass('flyway_schema_history') IS NOT NULL THEN "
        f"{REPAIR_V1}; END IF; END $$;\n"
    )
    root = legacy_project(tmp_path, pg_url, guarded)
    proc = dbci("--project", root, "--url", pg_url, "deploy")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert history(pg_url, tmp_path) == [
        ("1", "V1__one.sql", flyway_checksum(V1), "SQL", True),
        ("2", "V2__two.sql", flyway_checksum("create table two (a int);\n"), "SQL", True),
    ]
