"""migrate, info and validate on real PostgreSQL and SQLite databases."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from support.projects import settings_for, write_project

from dbci.errors import GateFailed, InputError
from dbci.migrate import commands
from dbci.migrate.state import State


@pytest.fixture(params=["postgresql", "sqlite"])
def url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url")


def history(url: str, table: str = "flyway_schema_history") -> list[tuple]:
    """The history table's rows; none when the table does not exist."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        schema, _, name = table.rpartition(".")
        if not sa.inspect(conn).has_table(name, schema=schema or None):
            engine.dispose()
            return []
        rows = conn.execute(
            sa.text(
                f"SELECT installed_rank, version, description, type, script, checksum, success "
                f"FROM {table} ORDER BY installed_rank"
            )
        ).all()
    engine.dispose()
    return [tuple(r[:6]) + (bool(r[6]),) for r in rows]


def scalar(url: str, sql: str):
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        value = conn.execute(sa.text(sql)).scalar()
    engine.dispose()
    return value


BASIC = {
    "V1__Create_person_table.sql": (
        "create table PERSON (\n    ID int not null,\n    NAME varchar(100) not null\n);\n"
    ),
    "V2__Add_people.sql": (
        "insert into PERSON (ID, NAME) values (1, 'Axel');\n"
        "insert into PERSON (ID, NAME) values (2, 'Mr. Foo');\n"
        "insert into PERSON (ID, NAME) values (3, 'Ms. Bar');\n"
    ),
    "R__people_view.sql": (
        "drop view if exists people;\ncreate view people as select * from PERSON;\n"
    ),
}


def test_migrate_records_flyway_rows_and_is_idempotent(tmp_path: Path, url: str) -> None:
    root = write_project(tmp_path, BASIC)
    result = commands.migrate(settings_for(root, url))
    assert [a.script.script for a in result.applied] == [
        "V1__Create_person_table.sql",
        "V2__Add_people.sql",
        "R__people_view.sql",
    ]
    rows = history(url)
    assert rows[0] == (
        1,
        "1",
        "Create person table",
        "SQL",
        "V1__Create_person_table.sql",
        1715188512,
        True,
    )
    assert rows[1] == (2, "2", "Add people", "SQL", "V2__Add_people.sql", 476766047, True)
    assert rows[2][1:5] == (None, "people view", "SQL", "R__people_view.sql")
    assert scalar(url, "select count(*) from people") == 3
    again = commands.migrate(settings_for(root, url))
    assert again.applied == [] and again.initial_version == "2"
    assert len(history(url)) == 3


def test_repeatable_reruns_when_changed_and_info_states(tmp_path: Path, url: str) -> None:
    root = write_project(tmp_path, BASIC)
    commands.migrate(settings_for(root, url))
    (root / "migrations/R__people_view.sql").write_text(
        "drop view if exists people;\ncreate view people as select ID from PERSON;\n"
    )
    info = commands.info(settings_for(root, url))
    states = [(e.description, e.state) for e in info.status.entries]
    assert ("people view", State.OUTDATED) in states and ("people view", State.PENDING) in states
    result = commands.migrate(settings_for(root, url))
    assert [a.script.description for a in result.applied] == ["people view"]
    rows = history(url)
    assert [r[2] for r in rows] == [
        "Create person table",
        "Add people",
        "people view",
        "people view",
    ]
    states = [e.state for e in commands.info(settings_for(root, url)).status.entries]
    assert states == [State.SUCCESS, State.SUCCESS, State.SUPERSEDED, State.SUCCESS]


def test_failing_statement_names_file_line_and_keeps_last_good(tmp_path: Path, url: str) -> None:
    root = write_project(
        tmp_path,
        {
            **BASIC,
            "V3__broken.sql": (
                "create table ok3 (a int);\n\n-- comment\ninsert into nope values (1);\n"
            ),
            "V4__later.sql": "create table t4 (a int);\n",
        },
    )
    with pytest.raises(GateFailed) as caught:
        commands.migrate(settings_for(root, url))
    err = caught.value
    assert (err.file, err.line, err.exit_code) == ("migrations/V3__broken.sql", 4, 1)
    assert "nope" in err.message
    rows = history(url)
    assert [r[1] for r in rows] == ["1", "2"]  # no row for 3 or later, and no partial 3
    with pytest.raises(sa.exc.DBAPIError):
        scalar(url, "select count(*) from ok3")


def test_syntax_error_line_inside_multiline_statement(tmp_path: Path, pg_url: str) -> None:
    root = write_project(
        tmp_path, {"V1__x.sql": "select 1;\ncreate table t (\n  a int,\n  b intt\n);\n"}
    )
    with pytest.raises(GateFailed) as caught:
        commands.migrate(settings_for(root, pg_url))
    assert caught.value.line == 4
    assert 'type "intt" does not exist' in caught.value.message


def test_bad_script_content_applies_nothing(tmp_path: Path, url: str) -> None:
    root = write_project(
        tmp_path,
        {
            "V1__fine.sql": "create table fine (a int);",
            "V2__placeholder.sql": "select 1;\nselect '${undefined_thing}';\n",
        },
    )
    with pytest.raises(InputError) as caught:
        commands.migrate(settings_for(root, url))
    assert (caught.value.file, caught.value.line) == ("migrations/V2__placeholder.sql", 2)
    assert "${undefined_thing}" in caught.value.message
    assert history(url) == []  # nothing created: not even the history table


def test_placeholders_and_builtins(tmp_path: Path, url: str) -> None:
    root = write_project(
        tmp_path,
        {
            "V1__t.sql": "create table ${table_name} (a varchar(200));\n"
            "insert into ${table_name} values ('${flyway:table}/${flyway:filename}');\n",
        },
        '[flyway.placeholders]\ntable_name = "from_placeholder"\n',
    )
    commands.migrate(settings_for(root, url))
    assert scalar(url, "select a from from_placeholder") == "flyway_schema_history/V1__t.sql"
    # versioned checksums are taken before replacement
    from dbci.migrate.checksum import flyway_checksum

    text = (root / "migrations/V1__t.sql").read_text()
    assert history(url)[0][5] == flyway_checksum(text)


def test_target_and_out_of_order(tmp_path: Path, url: str) -> None:
    root = write_project(
        tmp_path, {f"V{n}__m{n}.sql": f"create table m{n} (a int);" for n in (1, 2, 4)}
    )
    result = commands.migrate(settings_for(root, url, target="2"))
    assert [a.script.version.text for a in result.applied] == ["1", "2"]
    commands.migrate(settings_for(root, url))
    (root / "migrations/V3__m3.sql").write_text("create table m3 (a int);")
    status = commands.info(settings_for(root, url)).status
    assert [e.state for e in status.entries if e.version and e.version.text == "3"] == [
        State.IGNORED
    ]
    with pytest.raises(GateFailed, match="not applied and is below the current version"):
        commands.migrate(settings_for(root, url))
    problems = commands.validate(settings_for(root, url)).problems
    assert [p.kind for p in problems] == ["ignored"]
    result = commands.migrate(settings_for(root, url, outOfOrder=True))
    assert [a.script.version.text for a in result.applied] == ["3"]
    states = [e.state for e in commands.info(settings_for(root, url)).status.entries]
    assert states[-1] is State.OUT_OF_ORDER
    assert commands.validate(settings_for(root, url)).problems == []


def test_validate_problems(tmp_path: Path, url: str) -> None:
    root = write_project(
        tmp_path, {f"V{n}__m{n}.sql": f"create table m{n} (a int);" for n in (1, 2, 3)}
    )
    commands.migrate(settings_for(root, url))
    (root / "migrations/V1__m1.sql").write_text("create table m1 (a bigint);")
    (root / "migrations/V2__m2.sql").rename(root / "migrations/V2__renamed.sql")
    (root / "migrations/V3__m3.sql").unlink()
    problems = commands.validate(settings_for(root, url)).problems
    assert [p.kind for p in problems] == ["checksum", "description"]  # 3 is future: ignored
    assert problems[0].file == "migrations/V1__m1.sql"
    s = settings_for(root, url, ignoreMigrationPatterns=[])
    assert [p.kind for p in commands.validate(s).problems][-1] == "future"
    (root / "migrations/V4__m4.sql").write_text("select 1;")  # now 3 is missing, 4 pending
    problems = commands.validate(settings_for(root, url)).problems
    assert [p.kind for p in problems] == ["checksum", "description", "missing"]
    problems = commands.validate(settings_for(root, url), fail_on_pending=True).problems
    assert [p.kind for p in problems] == ["checksum", "description", "missing", "pending"]
    with pytest.raises(GateFailed, match="checksum mismatch"):
        commands.migrate(settings_for(root, url))


def test_info_is_read_only(tmp_path: Path, url: str) -> None:
    root = write_project(tmp_path, BASIC)
    status = commands.info(settings_for(root, url)).status
    assert [e.state for e in status.entries] == [State.PENDING] * 3
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert not sa.inspect(conn).has_table("flyway_schema_history")
    engine.dispose()


def test_custom_table_name(tmp_path: Path, url: str) -> None:
    root = write_project(tmp_path, BASIC)
    commands.migrate(settings_for(root, url, table="schema_version"))
    assert len(history(url, "schema_version")) == 3


def test_pg_schemas_created_with_marker_row_and_search_path(tmp_path: Path, pg_url: str) -> None:
    root = write_project(tmp_path, {"V1__t.sql": "create table t (a int);"})
    commands.migrate(settings_for(root, pg_url, schemas=["app", "audit"]))
    rows = history(pg_url, "app.flyway_schema_history")
    assert rows[0] == (
        0,  # Flyway's SchemaHistory.addAppliedMigration: a SCHEMA row is rank 0
        None,
        "<< Flyway Schema Creation >>",
        "SCHEMA",
        '"app","audit"',
        None,
        True,
    )
    assert rows[1][1] == "1"
    assert scalar(pg_url, "select count(*) from app.t") == 0  # unqualified name went to app


def test_pg_concurrently_runs_outside_transaction(tmp_path: Path, pg_url: str) -> None:
    root = write_project(
        tmp_path,
        {
            "V1__t.sql": "create table t (a int);",
            "V2__idx.sql": "create index concurrently t_a on t (a);",
            "V3__vac.sql": "vacuum t;",
        },
    )
    commands.migrate(settings_for(root, pg_url))
    assert scalar(pg_url, "select count(*) from pg_indexes where indexname = 't_a'") == 1
    assert [r[6] for r in history(pg_url)] == [True, True, True]


def test_execute_in_transaction_false_records_failed_row(tmp_path: Path, url: str) -> None:
    root = write_project(
        tmp_path,
        {
            "V1__t.sql": "create table t (a int);",
            "V2__partial.sql": "insert into t values (1);\ninsert into missing values (2);\n",
            "V2__partial.sql.conf": "executeInTransaction=false\n",
        },
    )
    with pytest.raises(GateFailed) as caught:
        commands.migrate(settings_for(root, url))
    assert caught.value.line == 2
    assert "statement 1 of 2 had already been applied" in caught.value.message
    assert [(r[1], r[6]) for r in history(url)] == [("1", True), ("2", False)]
    assert scalar(url, "select count(*) from t") == 1  # the first statement stayed
    problems = commands.validate(settings_for(root, url)).problems
    assert [p.kind for p in problems] == ["failed"]
    with pytest.raises(GateFailed, match="failed migration version 2"):
        commands.migrate(settings_for(root, url))


def test_pg_script_text_reaches_the_server_untouched(tmp_path: Path, pg_url: str) -> None:
    root = write_project(
        tmp_path,
        {
            "V1__funcs.sql": (
                "create table t (a text);\n"
                "insert into t values ('100% sure; really');\n"
                "create function f(x int) returns int language plpgsql as $body$\n"
                "begin\n  if x > 1 then return x; end if;\n  return -1; -- ; in a comment\nend;\n"
                "$body$;\n"
                "create function g(int) returns int language sql begin atomic select $1 + 1; end;\n"
            ),
        },
    )
    commands.migrate(settings_for(root, pg_url))
    assert scalar(pg_url, "select a from t") == "100% sure; really"
    assert scalar(pg_url, "select f(5) + g(1)") == 7


def test_runtime_error_without_position_still_names_its_line(tmp_path: Path, pg_url: str) -> None:
    # PostgreSQL runs a script in one round trip; division by zero carries no position, so
    # dbci re-runs the statements one by one (rolled back) to name the failing line.
    url = pg_url
    root = write_project(
        tmp_path,
        {
            "V1__t.sql": "create table t (a int);\ninsert into t values (1);\n\nselect 1 / 0;\n",
        },
    )
    with pytest.raises(GateFailed) as caught:
        commands.migrate(settings_for(root, url))
    assert caught.value.line == 4
    assert "division by zero" in caught.value.message
    assert history(url) == []


def test_quotes_and_colons_in_names_are_recorded_verbatim(tmp_path: Path, url: str) -> None:
    root = write_project(tmp_path, {"V1__it's_a_:type_test.sql": "create table t (a int);"})
    commands.migrate(settings_for(root, url))
    assert history(url)[0][2:5] == ("it's a :type test", "SQL", "V1__it's_a_:type_test.sql")


def test_baseline_migration_on_an_empty_database(tmp_path: Path, url: str) -> None:
    root = write_project(
        tmp_path,
        {
            "V1__a.sql": "create table a (x int);",
            "V2__b.sql": "create table b (x int);",
            "B2__ab.sql": "create table a (x int);\ncreate table b (x int);",
            "V3__c.sql": "create table c (x int);",
        },
    )
    result = commands.migrate(settings_for(root, url))
    assert [a.script.script for a in result.applied] == ["B2__ab.sql", "V3__c.sql"]
    assert [(r[1], r[3]) for r in history(url)] == [("2", "SQL_BASELINE"), ("3", "SQL")]
    states = {(e.script, e.state) for e in commands.info(settings_for(root, url)).status.entries}
    assert ("V1__a.sql", State.BELOW_BASELINE) in states
    assert ("B2__ab.sql", State.SUCCESS) in states
    assert commands.validate(settings_for(root, url)).problems == []
    # a database that already has versioned history ignores baseline migrations
    other = tmp_path / "other.db"
    result = commands.migrate(settings_for(root, f"sqlite:///{other}", target="1"))
    assert [a.script.script for a in result.applied] == ["V1__a.sql"]
    result = commands.migrate(settings_for(root, f"sqlite:///{other}"))
    assert [a.script.script for a in result.applied] == ["V2__b.sql", "V3__c.sql"]


def test_pg_batches_stop_at_the_failing_migration(tmp_path: Path, pg_url: str) -> None:
    # 40 quick migrations go to the server in growing batches; number 30 fails with an
    # error that carries no position, midway through a batch.
    files = {f"V{n}__m{n}.sql": f"create table m{n} (a int);\n" for n in range(1, 41)}
    files["V30__m30.sql"] = "create table m30 (a int);\n\nselect 1 / 0;\n"
    root = write_project(tmp_path, files)
    with pytest.raises(GateFailed) as caught:
        commands.migrate(settings_for(root, pg_url))
    assert (caught.value.file, caught.value.line) == ("migrations/V30__m30.sql", 3)
    assert [r[1] for r in history(pg_url)] == [str(n) for n in range(1, 30)]
    assert scalar(pg_url, "select to_regclass('m30') is null")  # 30 rolled back whole
    assert scalar(pg_url, "select to_regclass('m29') is not null")
    (root / "migrations/V30__m30.sql").write_text("create table m30 (a int);\n")
    result = commands.migrate(settings_for(root, pg_url))
    assert [a.script.version.text for a in result.applied] == [str(n) for n in range(30, 41)]


def test_pg_batched_execution_times_are_each_migrations_own(tmp_path: Path, pg_url: str) -> None:
    files = {f"V{n}__m{n}.sql": f"create table m{n} (a int);\n" for n in range(1, 9)}
    files["V6__slow.sql"] = "select pg_sleep(0.3);\n"
    del files["V6__m6.sql"]
    root = write_project(tmp_path, files)
    result = commands.migrate(settings_for(root, pg_url))
    times = {a.script.version.text: a.execution_ms for a in result.applied}
    # V6's sleep is counted once, in V6: it cannot take less than its 300 ms, and all the
    # others together (a CREATE TABLE each) take less than it. Were the batch's time shared
    # out, or V6's given to a neighbour, the others would hold 300 ms or more of it.
    assert times["6"] >= 300
    assert sum(ms for v, ms in times.items() if v != "6") < times["6"]
    engine = sa.create_engine(pg_url)
    with engine.connect() as conn:
        recorded = dict(
            conn.execute(sa.text("select version, execution_time from flyway_schema_history")).all()
        )
    engine.dispose()
    assert recorded == times


def test_scripts_with_their_own_begin_commit_still_apply(tmp_path: Path, url: str) -> None:
    # psql-style scripts often carry BEGIN/COMMIT; they run (non-atomically, as in Flyway)
    root = write_project(
        tmp_path,
        {
            "V1__a.sql": "BEGIN;\ncreate table a (x int);\nCOMMIT;\n",
            "V2__b.sql": "create table b (x int);\n",
        },
    )
    commands.migrate(settings_for(root, url))
    assert [(r[1], r[6]) for r in history(url)] == [("1", True), ("2", True)]


def test_a_large_migration_with_an_emoji_is_split_a_window_at_a_time(
    tmp_path: Path, pg_url: str
) -> None:
    """A 17 MB migration with a character beyond the Basic Multilingual Plane: Python would
    hold its text at four bytes a character, so it is kept as its bytes (`raw`) and split a
    window at a time. It applies whole, every row and character intact, with the checksum
    Flyway computes over its lines (CRC32 of the UTF-8 bytes without line breaks)."""
    import zlib

    from dbci.migrate.discovery import discover

    rows = [f"({i}, 'row {i}: it''s 😀 東京; ok')" for i in range(1000)]
    insert = "INSERT INTO big VALUES\n" + ",\n".join(rows) + ";\n"
    count = 17 * 1024 * 1024 // len(insert.encode()) + 1
    text = "CREATE TABLE big (id int, note text);\n" + insert * count
    root = write_project(tmp_path, {"V1__big.sql": text})
    settings = settings_for(root, pg_url)
    [script] = discover(settings).versioned
    assert script.raw is not None and script.content == ""
    crc = zlib.crc32(text.encode().replace(b"\n", b""))
    flyway = crc - (1 << 32) if crc >= (1 << 31) else crc
    assert script.checksum == flyway
    commands.migrate(settings)
    assert history(pg_url)[0][5] == flyway
    assert scalar(pg_url, "select count(*) from big") == 1000 * count
    assert scalar(pg_url, "select note from big where id = 7 limit 1") == "row 7: it's 😀 東京; ok"
