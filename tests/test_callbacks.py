"""SQL callbacks (`beforeMigrate.sql`, `afterEachMigrate__note.sql`, …) on real databases."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from support.projects import settings_for, write_project

from dbci.errors import GateFailed
from dbci.migrate import commands


@pytest.fixture(params=["postgresql", "sqlite"])
def url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url")


# The log every callback writes to; `seq` counts up on both engines without an identity.
CREATE_LOG = "create table if not exists cb_log (seq int not null, event varchar(100) not null);\n"


def log_event(event: str) -> str:
    return f"insert into cb_log (seq, event) select (select count(*) from cb_log) + 1, '{event}';\n"


def query(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql)).all()]
    finally:
        engine.dispose()


def events(url: str) -> list[str]:
    return [r[0] for r in query(url, "select event from cb_log order by seq")]


def has_table(url: str, name: str) -> bool:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return sa.inspect(conn).has_table(name)
    finally:
        engine.dispose()


def history(url: str) -> list[tuple]:
    if not has_table(url, "flyway_schema_history"):
        return []
    return query(
        url,
        "select version, script, success from flyway_schema_history order by installed_rank",
    )


def test_events_run_in_flyway_order(tmp_path: Path, url: str) -> None:
    root = write_project(
        tmp_path,
        {
            "beforeMigrate.sql": CREATE_LOG + log_event("beforeMigrate"),
            "beforeEachMigrate.sql": log_event("beforeEachMigrate"),
            "afterEachMigrate.sql": log_event("afterEachMigrate"),
            "afterVersioned.sql": log_event("afterVersioned"),
            "afterMigrateApplied.sql": log_event("afterMigrateApplied"),
            "afterMigrate.sql": log_event("afterMigrate"),
            "V1__one.sql": "create table one (a int);\n" + log_event("V1"),
            "V2__two.sql": "create table two (a int);\n" + log_event("V2"),
            "R__view.sql": "drop view if exists v;\ncreate view v as select a from one;\n"
            + log_event("R"),
        },
    )
    logged: list[str] = []
    result = commands.migrate(settings_for(root, url), log=logged.append)
    assert [a.script.script for a in result.applied] == [
        "V1__one.sql",
        "V2__two.sql",
        "R__view.sql",
    ]
    assert events(url) == [
        "beforeMigrate",
        "beforeEachMigrate",
        "V1",
        "afterEachMigrate",
        "beforeEachMigrate",
        "V2",
        "afterEachMigrate",
        "afterVersioned",
        "beforeEachMigrate",
        "R",
        "afterEachMigrate",
        "afterMigrateApplied",
        "afterMigrate",
    ]
    assert "Executing SQL callback: beforeMigrate - beforeMigrate.sql" in logged
    # callbacks record nothing in the history
    assert [r[1] for r in history(url)] == ["V1__one.sql", "V2__two.sql", "R__view.sql"]


def test_scripts_of_one_event_run_in_file_name_order(tmp_path: Path, url: str) -> None:
    root = write_project(
        tmp_path,
        {
            "beforeMigrate.sql": CREATE_LOG,
            "afterMigrate.sql": log_event("afterMigrate.sql"),
            "afterMigrate__b.sql": log_event("afterMigrate__b.sql"),
            "afterMigrate__a.sql": log_event("afterMigrate__a.sql"),
            "V1__one.sql": "create table one (a int);\n",
        },
    )
    commands.migrate(settings_for(root, url))
    assert events(url) == ["afterMigrate.sql", "afterMigrate__a.sql", "afterMigrate__b.sql"]


def test_placeholders_are_replaced_in_callbacks(tmp_path: Path, url: str) -> None:
    root = write_project(
        tmp_path,
        {
            "beforeMigrate.sql": CREATE_LOG,
            "afterMigrate.sql": log_event("${flyway:table}")
            + log_event("${note}")
            + log_event("${flyway:filename}"),
            "V1__one.sql": "create table one (a int);\n",
        },
    )
    commands.migrate(settings_for(root, url, placeholders={"note": "from placeholder"}))
    assert events(url) == ["flyway_schema_history", "from placeholder", "afterMigrate.sql"]


def test_failed_migration_rolls_back_before_each_and_runs_error_callbacks(
    tmp_path: Path, url: str
) -> None:
    root = write_project(
        tmp_path,
        {
            "beforeMigrate.sql": CREATE_LOG + log_event("beforeMigrate"),
            "beforeEachMigrate.sql": log_event("beforeEachMigrate"),
            "afterEachMigrate.sql": log_event("afterEachMigrate"),
            "afterEachMigrateError.sql": log_event("afterEachMigrateError"),
            "afterMigrateError.sql": log_event("afterMigrateError"),
            "afterMigrate.sql": log_event("afterMigrate"),
            "V1__one.sql": "create table one (a int);\n",
            "V2__bad.sql": "create table two (a int);\n\ninsert into nope values (1);\n",
        },
    )
    with pytest.raises(GateFailed) as caught:
        commands.migrate(settings_for(root, url))
    err = caught.value
    assert (err.file, err.line, err.exit_code) == ("migrations/V2__bad.sql", 3, 1)
    assert "nope" in err.message
    # V2's beforeEachMigrate insert went with V2's rollback; the error callbacks committed
    assert events(url) == [
        "beforeMigrate",
        "beforeEachMigrate",
        "afterEachMigrate",
        "afterEachMigrateError",
        "afterMigrateError",
    ]
    assert history(url) == [("1", "V1__one.sql", True)]
    assert not has_table(url, "two")


def test_failing_callback_names_its_own_file_and_line(tmp_path: Path, url: str) -> None:
    # The gate lets the first migration through and refuses the second (NOT NULL).
    root = write_project(
        tmp_path,
        {
            "beforeMigrate.sql": "create table gate (n int not null);\n",
            "beforeEachMigrate.sql": (
                "select 1;\n"
                "-- fails once a migration is recorded\n"
                "insert into gate (n) select case when (select count(*) from "
                "flyway_schema_history) >= 1 then null else 1 end;\n"
            ),
            "V1__one.sql": "create table one (a int);\n",
            "V2__two.sql": "create table two (a int);\ninsert into two values (2);\n",
        },
    )
    with pytest.raises(GateFailed) as caught:
        commands.migrate(settings_for(root, url))
    err = caught.value
    assert (err.file, err.line, err.exit_code) == ("migrations/beforeEachMigrate.sql", 3, 1)
    assert "beforeEachMigrate.sql" in err.message
    assert history(url) == [("1", "V1__one.sql", True)]  # nothing recorded for V2
    assert not has_table(url, "two")  # V2's changes rolled back with the callback's
    assert query(url, "select n from gate") == [(1,)]


def test_failing_command_callback_names_its_file(tmp_path: Path, url: str) -> None:
    root = write_project(
        tmp_path,
        {
            "afterMigrate.sql": "select 1;\ninsert into missing_table values (1);\n",
            "V1__one.sql": "create table one (a int);\n",
        },
    )
    with pytest.raises(GateFailed) as caught:
        commands.migrate(settings_for(root, url))
    assert (caught.value.file, caught.value.line) == ("migrations/afterMigrate.sql", 2)
    assert history(url) == [("1", "V1__one.sql", True)]  # the migration itself was committed


def test_validate_and_info_events(tmp_path: Path, url: str) -> None:
    root = write_project(
        tmp_path,
        {
            "beforeValidate.sql": log_event("beforeValidate"),
            "afterValidate.sql": log_event("afterValidate"),
            "afterValidateError.sql": log_event("afterValidateError"),
            "beforeInfo.sql": log_event("beforeInfo"),
            "afterInfo.sql": log_event("afterInfo"),
            "V1__log.sql": CREATE_LOG,
            "V2__two.sql": "create table two (a int);\n",
        },
    )
    commands.migrate(settings_for(root, url, validateOnMigrate=False))
    base = events(url)
    assert commands.validate(settings_for(root, url)).problems == []
    assert events(url)[len(base) :] == ["beforeValidate", "afterValidate"]
    base = events(url)
    commands.info(settings_for(root, url))
    assert events(url)[len(base) :] == ["beforeInfo", "afterInfo"]
    base = events(url)
    (root / "migrations/V2__two.sql").write_text("create table two (a bigint);\n")
    problems = commands.validate(settings_for(root, url)).problems
    assert [p.kind for p in problems] == ["checksum"]
    assert events(url)[len(base) :] == ["beforeValidate", "afterValidateError"]


def test_nothing_pending_still_runs_before_and_after_migrate(tmp_path: Path, url: str) -> None:
    root = write_project(
        tmp_path,
        {
            "beforeMigrate.sql": CREATE_LOG + log_event("beforeMigrate"),
            "afterMigrateApplied.sql": log_event("afterMigrateApplied"),
            "afterMigrate.sql": log_event("afterMigrate"),
            "V1__one.sql": "create table one (a int);\n",
        },
    )
    commands.migrate(settings_for(root, url))
    assert events(url) == ["beforeMigrate", "afterMigrateApplied", "afterMigrate"]
    result = commands.migrate(settings_for(root, url))
    assert result.applied == []
    assert events(url)[3:] == ["beforeMigrate", "afterMigrate"]


def test_before_each_statement_runs_before_every_statement(tmp_path: Path, url: str) -> None:
    root = write_project(
        tmp_path,
        {
            "beforeMigrate.sql": CREATE_LOG,
            "beforeEachMigrateStatement.sql": log_event("statement"),
            "V1__three.sql": (
                "create table one (a int);\ninsert into one values (1);\n"
                "insert into one values (2);\n"
            ),
            "V2__two.sql": "create table two (a int);\ninsert into two values (1);\n",
        },
    )
    commands.migrate(settings_for(root, url))
    assert events(url) == ["statement"] * 5


def test_before_connect_is_ignored_with_a_warning(tmp_path: Path, url: str) -> None:
    root = write_project(
        tmp_path,
        {
            "beforeConnect.sql": "create table connected (a int);\n",
            "V1__one.sql": "create table one (a int);\n",
        },
    )
    logged: list[str] = []
    result = commands.migrate(settings_for(root, url), log=logged.append)
    assert [a.script.script for a in result.applied] == ["V1__one.sql"]
    warnings = [line for line in logged if line.startswith("WARNING:")]
    assert len(warnings) == 1
    assert "migrations/beforeConnect.sql" in warnings[0] and "ignored" in warnings[0]
    assert not has_table(url, "connected")
    assert has_table(url, "one")


def test_cli_prints_the_callbacks_it_runs(tmp_path: Path, url: str, dbci) -> None:
    root = write_project(
        tmp_path,
        {
            "beforeMigrate.sql": CREATE_LOG + log_event("beforeMigrate"),
            "V1__one.sql": "create table one (a int);\n",
        },
    )
    proc = dbci("--project", root, "--url", url, "migrate")
    assert proc.returncode == 0, proc.stderr
    assert "Executing SQL callback: beforeMigrate - beforeMigrate.sql" in proc.stdout
    assert events(url) == ["beforeMigrate"]
