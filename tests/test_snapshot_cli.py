"""`dbci snapshot` and `dbci diff` through the real command line, and their bad input."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from support.projects import write_project

from dbci.schema.model import FORMAT


def sqlite_file(path: Path, script: str) -> str:
    connection = sqlite3.connect(path)
    connection.executescript(script)
    connection.close()
    return f"sqlite:///{path}"


A_SQL = (
    "create table people (id integer primary key, name text not null);\n"
    "create table orders (id integer primary key, person int references people (id));\n"
    "create index orders_person on orders (person);\n"
    "create view named as select name from people;\n"
)
B_SQL = (
    "create table people (id integer primary key, name text not null, email text);\n"
    "create table items (id integer primary key);\n"
    "create view named as select name, email from people;\n"
)


def one_line(proc, code: int, *needles: str) -> str:
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dbci: error: "), proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_snapshot_is_byte_identical_and_leaves_out_history(tmp_path: Path, dbci) -> None:
    root = write_project(tmp_path / "p", {"V1__t.sql": A_SQL})
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert dbci("--project", root, "--url", url, "migrate").returncode == 0
    first = dbci("--project", root, "--url", url, "snapshot", "--to", tmp_path / "one.json")
    second = dbci("--project", root, "--url", url, "snapshot")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    text = (tmp_path / "one.json").read_text()
    assert text == second.stdout  # --to and stdout: the same bytes, run after run
    data = json.loads(text)
    assert data["format"] == FORMAT and data["dialect"] == "sqlite"
    names = [(o["type"], o["name"]) for o in data["objects"]]
    assert ("table", "people") in names and ("view", "named") in names
    assert not any("flyway_schema_history" in name for _, name in names)
    assert names == sorted(names, key=lambda n: (["table", "view", "index"].index(n[0]), n[1]))


def test_diff_text_json_sql_and_exit_code(tmp_path: Path, dbci) -> None:
    a = sqlite_file(tmp_path / "a.db", A_SQL)
    b = sqlite_file(tmp_path / "b.db", B_SQL)
    proc = dbci("diff", "--source", f"url:{a}", "--target", f"url:{b}")
    assert proc.returncode == 0, proc.stderr
    rows = [[cell.strip() for cell in line.split("|")[1:-1]] for line in proc.stdout.splitlines()]
    assert ["Add", "table", "main", "items"] in [r[1:] for r in rows if r]
    assert ["Drop (destructive)", "table", "main", "orders"] in [r[1:] for r in rows if r]

    proc = dbci("--output", "json", "diff", "--source", f"url:{a}", "--target", f"url:{b}")
    changes = json.loads(proc.stdout)["changes"]
    assert {tuple(sorted(c)) for c in changes} == {
        ("after_sql", "before_sql", "change", "destructive", "id", "name", "schema", "type")
    }
    by_name = {(c["type"], c["name"]): c for c in changes}
    assert by_name[("table", "items")]["change"] == "Add"
    assert by_name[("table", "orders")]["change"] == "Drop"
    assert by_name[("table", "orders")]["destructive"] is True
    assert by_name[("table", "orders")]["after_sql"] is None
    assert "CREATE TABLE" in by_name[("table", "orders")]["before_sql"]
    assert by_name[("view", "named")]["change"] == "Change"
    assert [c["id"] for c in changes] == list(range(1, len(changes) + 1))

    out = tmp_path / "a_to_b.sql"
    proc = dbci("diff", "--source", f"url:{a}", "--target", f"url:{b}", "--sql", out, "--exit-code")
    assert proc.returncode == 1  # differences, as `git diff --exit-code`
    connection = sqlite3.connect(tmp_path / "a.db")
    connection.executescript(out.read_text())
    connection.close()
    proc = dbci("diff", "--source", f"url:{a}", "--target", f"url:{b}", "--exit-code")
    assert proc.returncode == 0, proc.stdout  # now the same
    assert "No differences." in proc.stdout


def test_diff_of_snapshot_files_and_sql_to_stdout(tmp_path: Path, dbci) -> None:
    a = sqlite_file(tmp_path / "a.db", A_SQL)
    b = sqlite_file(tmp_path / "b.db", B_SQL)
    assert dbci("--url", a, "snapshot", "--to", tmp_path / "a.json").returncode == 0
    assert dbci("--url", b, "snapshot", "--to", tmp_path / "b.json").returncode == 0
    from_files = dbci(
        "diff",
        "--source",
        f"snapshot:{tmp_path / 'a.json'}",
        "--target",
        f"snapshot:{tmp_path / 'b.json'}",
        "--sql",
        "-",
    )
    live = dbci("diff", "--source", f"url:{a}", "--target", f"url:{b}", "--sql", "-")
    assert from_files.returncode == 0 and live.returncode == 0
    assert from_files.stdout == live.stdout  # only SQL on stdout, the same either way
    assert from_files.stdout.startswith(("DROP", "CREATE", "ALTER"))
    assert "| Id |" in from_files.stderr  # the change table goes to stderr then


def test_diff_between_environments(tmp_path: Path, dbci) -> None:
    a = sqlite_file(tmp_path / "a.db", A_SQL)
    b = sqlite_file(tmp_path / "b.db", B_SQL)
    config = f'[environments.dev]\nurl = "{a}"\n[environments.qa]\nurl = "{b}"\n'
    root = write_project(tmp_path / "p", {}, config)
    proc = dbci(
        "--project", root, "--output", "json", "diff", "--source", "env:dev", "--target", "env:qa"
    )
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["changes"]) >= 3


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "not a dbci snapshot (invalid JSON"),
        ('{"tables": []}', 'no "format" key'),
        (
            '{"format": "dbci-snapshot/9", "dialect": "sqlite", "objects": []}',
            "snapshot format 'dbci-snapshot/9' is not the one this dbci reads",
        ),
        (
            # A snapshot of the format before the object kinds of issue 24 were read.
            '{"format": "dbci-snapshot/1", "dialect": "sqlite", "objects": []}',
            "snapshot format 'dbci-snapshot/1' was written by an older dbci",
        ),
        (
            '{"format": "dbci-snapshot/2", "dialect": "sqlite", "objects": [{"type": "table"}]}',
            "object 0 (table) is malformed",
        ),
        (
            '{"format": "dbci-snapshot/2", "dialect": "sqlite", "objects": [{"type": "blob"}]}',
            "object 0 (blob) is malformed",
        ),
        ("[1, 2]", 'no "format" key'),
    ],
)
def test_bad_snapshot_files(tmp_path: Path, dbci, content: str, needle: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    a = sqlite_file(tmp_path / "a.db", A_SQL)
    proc = dbci("diff", "--source", f"snapshot:{bad}", "--target", f"url:{a}")
    one_line(proc, 2, str(bad), needle)


def test_bad_sources(tmp_path: Path, dbci) -> None:
    a = sqlite_file(tmp_path / "a.db", A_SQL)
    one_line(
        dbci("diff", "--source", "nowhere", "--target", f"url:{a}"),
        2,
        "--source: 'nowhere' is not a source",
    )
    one_line(
        dbci("diff", "--project", tmp_path, "--source", f"url:{a}", "--target", "schemaModel"),
        2,
        "no schema model at",
        "dbci model -e ENVIRONMENT",
    )
    one_line(
        dbci("diff", "--source", f"snapshot:{tmp_path / 'missing.json'}", "--target", f"url:{a}"),
        2,
        "cannot read snapshot",
    )
    root = write_project(tmp_path / "p", {}, f'[environments.dev]\nurl = "{a}"\n')
    one_line(
        dbci("--project", root, "diff", "--source", "env:nope", "--target", "env:dev"),
        2,
        "unknown environment 'nope'",
    )
    one_line(
        dbci(
            "diff", "--source", f"url:{a}", "--target", f"url:{a}", "--sql", "-", "--output", "json"
        ),
        2,
        "--sql - and --output json",
    )


def test_unreachable_environment(tmp_path: Path, dbci) -> None:
    a = sqlite_file(tmp_path / "a.db", A_SQL)
    config = (
        f'[environments.dev]\nurl = "{a}"\n'
        '[environments.down]\nurl = "jdbc:postgresql://127.0.0.1:1/nothing"\n'
        'user = "x"\npassword = "hunter2-secret"\n'
    )
    root = write_project(tmp_path / "p", {}, config)
    proc = dbci("--project", root, "diff", "--source", "env:dev", "--target", "env:down")
    line = one_line(proc, 3, "cannot connect to environment 'down'")
    assert "hunter2-secret" not in proc.stdout + proc.stderr and "***" in line
    proc = dbci("--project", root, "-e", "down", "snapshot")
    one_line(proc, 3, "cannot connect to environment 'down'")


def test_two_dialects_are_refused(tmp_path: Path, dbci, pg_url: str) -> None:
    a = sqlite_file(tmp_path / "a.db", A_SQL)
    one_line(
        dbci("diff", "--source", f"url:{a}", "--target", f"url:{pg_url}"),
        2,
        "--source is a sqlite schema and --target a postgresql schema",
    )


RICH_PG = """
create schema app;
create type app.mood as enum ('ok', 'sad');
create domain app.positive as int check (value > 0);
create type app.pair as (a int, b text);
create sequence app.counter;
create table app.people (
    id int generated always as identity primary key,
    name text not null default 'x' collate "C",
    mood app.mood,
    score app.positive,
    twice int generated always as (id * 2) stored,
    unique (name)
);
create table app.orders (id serial primary key, person int references app.people (id),
    check (id > 0));
create index orders_person on app.orders (person) include (id) where person > 0;
create view app.named as select name from app.people;
create materialized view app.counts as select count(*) from app.orders;
create function app.f(a int) returns int language sql immutable as $$ select a + 1 $$;
create procedure app.p() language sql as $$ select 1 $$;
create function app.trg() returns trigger language plpgsql as $$ begin return new; end $$;
create trigger orders_trg before insert on app.orders for each row execute function app.trg();
comment on table app.people is 'who';
comment on column app.people.name is 'what they are called';
"""


def test_postgresql_snapshot_json_round_trip(tmp_path: Path, dbci, pg_url: str) -> None:
    import sqlalchemy as sa

    from dbci.engines import open_database
    from dbci.schema.introspect import snapshot
    from dbci.schema.snapshot_file import load
    from dbci.settings.config import Overrides, load_settings

    engine = sa.create_engine(pg_url, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql(RICH_PG)
    first = dbci("--url", pg_url, "--schemas", "app", "snapshot", "--to", tmp_path / "a.json")
    second = dbci("--url", pg_url, "--schemas", "app", "snapshot")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert (tmp_path / "a.json").read_text() == second.stdout
    db = open_database(load_settings(Overrides(url=pg_url), environ={}))
    try:
        live = snapshot(db, ["app"])
    finally:
        db.close()
    loaded = load(tmp_path / "a.json")
    kinds = {key[0] for key in live.objects}
    assert {
        "schema",
        "enum",
        "domain",
        "composite type",
        "sequence",
        "table",
        "index",
        "view",
        "materialized view",
        "function",
        "procedure",
        "trigger",
    } <= kinds
    assert loaded.objects == live.objects


def test_sqlite_expression_indexes_are_in_the_snapshot(tmp_path: Path, dbci) -> None:
    """SQLAlchemy's reflection skips them; dbci reads their statement from sqlite_master."""
    a = sqlite_file(
        tmp_path / "a.db", "create table t (a text);\ncreate index t_l on t (lower(a));"
    )
    b = sqlite_file(
        tmp_path / "b.db", "create table t (a text);\ncreate index t_l on t (upper(a));"
    )
    proc = dbci("--url", a, "snapshot")
    assert proc.returncode == 0 and proc.stderr.count("\n") == 1, proc.stderr  # no warning
    index = next(o for o in json.loads(proc.stdout)["objects"] if o["type"] == "index")
    assert index["definition"] == "CREATE INDEX t_l on t (lower(a))"
    proc = dbci("diff", "--source", f"url:{a}", "--target", f"url:{b}", "--sql", "-")
    connection = sqlite3.connect(tmp_path / "a.db")
    connection.executescript(proc.stdout)
    connection.close()
    assert (
        dbci("diff", "--source", f"url:{a}", "--target", f"url:{b}", "--exit-code").returncode == 0
    )
