"""`migrate --dry-run FILE|-`: the SQL migrate would execute, written out, nothing executed.

The script is checked the strongest way there is: run it with a plain client on one fresh
database, run `dbci migrate` on another, and compare what the two databases hold.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from support import postgres
from support.projects import write_project

HISTORY = "flyway_schema_history"


@pytest.fixture(params=["postgresql", "sqlite"])
def url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url")


@pytest.fixture(params=["postgresql", "sqlite"])
def two_urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two fresh, empty databases of the same engine: A for the script, B for migrate."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
        return
    cluster: postgres.PgCluster = request.getfixturevalue("pg_cluster")
    with cluster.scratch_database() as a, cluster.scratch_database() as b:
        yield a, b


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def execute_script(url: str, text: str) -> None:
    """Run a whole SQL script the way a plain client would (not through dbci)."""
    if is_sqlite(url):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            conn.executescript(text)
        finally:
            conn.close()
        return
    with postgres.connect(url, autocommit=True) as conn:
        conn.execute(text)  # no parameters: the simple query protocol, many statements


def run_sql(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(sa.text(sql))
            return [tuple(r) for r in result.all()] if result.returns_rows else []
    finally:
        engine.dispose()


def snapshot(url: str, schema: str | None = None) -> dict:
    """The tables (columns, indexes), views and, on PostgreSQL, functions of a schema."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            tables = {}
            for name in sorted(inspector.get_table_names(schema=schema)):
                columns = [
                    (c["name"], str(c["type"]), c["nullable"])
                    for c in inspector.get_columns(name, schema=schema)
                ]
                indexes = sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                    for i in inspector.get_indexes(name, schema=schema)
                )
                pk = inspector.get_pk_constraint(name, schema=schema)["constrained_columns"]
                tables[name] = (columns, indexes, pk)
            views = {
                name: inspector.get_view_definition(name, schema=schema)
                for name in sorted(inspector.get_view_names(schema=schema))
            }
            functions: list[str] = []
            if not is_sqlite(url):
                functions = [
                    r[0]
                    for r in conn.execute(
                        sa.text(
                            "select p.proname from pg_proc p join pg_namespace n "
                            "on n.oid = p.pronamespace where n.nspname = :s order by 1"
                        ),
                        {"s": schema or "public"},
                    )
                ]
            return {"tables": tables, "views": views, "functions": functions}
    finally:
        engine.dispose()


def history(url: str, table: str = HISTORY) -> list[tuple]:
    """The history rows without installed_on and execution_time; none without a table."""
    schema, _, name = table.rpartition(".")
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table(name, schema=schema or None):
                return []
            rows = conn.execute(
                sa.text(
                    "select installed_rank, version, description, type, script, checksum, "
                    f"installed_by, success from {table} order by installed_rank"
                )
            ).all()
    finally:
        engine.dispose()
    return [tuple(r[:7]) + (bool(r[7]),) for r in rows]


def project(root: Path, url: str) -> Path:
    """Placeholders, an afterEachMigrate callback, 3 versioned migrations and a repeatable."""
    if is_sqlite(url):
        routine = (
            "create trigger ${prefix}items_touch after insert on ${prefix}items\n"
            "begin\n"
            "  update ${prefix}items set qty = qty + 1 where id = new.id;\n"
            "end;\n"
        )
        bumped = "1"
    else:
        routine = (
            "create function ${prefix}bump(x int) returns int language plpgsql as $$\n"
            "begin\n"
            "  -- a ; in a comment, and ${owner} replaced in the body\n"
            "  return x + 1;\n"
            "end;\n"
            "$$;\n"
        )
        bumped = "${prefix}bump(1)"
    return write_project(
        root,
        {
            "V1__audit.sql": (
                "create table ${prefix}audit (\n    id int,\n    note varchar(100)\n);\n"
            ),
            "V2__items.sql": (
                "-- several statements, one of them a routine with ; inside\n"
                "create table ${prefix}items (\n"
                "    id int primary key,\n"
                "    name varchar(50) not null,\n"
                "    qty int default 0\n"
                ");\n"
                "create index ${prefix}items_name on ${prefix}items (name);\n"
                f"{routine}"
                "insert into ${prefix}items (id, name, qty) "
                f"values (1, 'semi;colon', {bumped});\n"
            ),
            "V3__Bob's_more.sql": (
                "alter table ${prefix}items add column note varchar(20);\n"
                "insert into ${prefix}items (id, name, note) values (2, '${owner}', 'x');\n"
            ),
            "R__items_view.sql": (
                "drop view if exists ${prefix}items_view;\n"
                "create view ${prefix}items_view as select id, name from ${prefix}items;\n"
            ),
            "afterEachMigrate__audit.sql": (
                "insert into ${prefix}audit (id, note) "
                "select (select count(*) from ${prefix}audit) + 1, '${owner} was here';\n"
            ),
        },
        '[flyway.placeholders]\nprefix = "app_"\nowner = "the owner"\n',
    )


def data(url: str, schema: str | None = None) -> dict:
    prefix = f"{schema}." if schema else ""
    return {
        "items": run_sql(url, f"select id, name, qty, note from {prefix}app_items order by id"),
        "audit": run_sql(url, f"select id, note from {prefix}app_audit order by id"),
    }


def dry_run(dbci, root: Path, url: str, out: Path, *extra: str) -> str:
    proc = dbci("--project", root, "--url", url, "migrate", *extra, "--dry-run", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return out.read_text()


def migrate(dbci, root: Path, url: str, *extra: str) -> None:
    proc = dbci("--project", root, "--url", url, "migrate", *extra)
    assert proc.returncode == 0, proc.stderr


def insert_ranks(text: str, table: str = HISTORY) -> list[int]:
    """The installed_rank of every history INSERT in a script, in order."""
    return [
        int(m.group(1))
        for m in re.finditer(rf'INSERT INTO [^\n]*"{table}" \([^)]*\) VALUES \((\d+),', text)
    ]


def test_dry_run_writes_the_file_and_changes_nothing(tmp_path: Path, url: str, dbci) -> None:
    root = project(tmp_path / "p", url)
    out = tmp_path / "out" / "dry.sql"
    proc = dbci("--project", root, "--url", url, "migrate", "--dry-run", out)
    assert proc.returncode == 0, proc.stderr
    assert out.is_file()
    assert "Dry run: wrote the SQL of 4 pending migrations" in proc.stdout
    text = out.read_text()
    for name in ("V1__audit.sql", "V2__items.sql", "V3__Bob's_more.sql", "R__items_view.sql"):
        assert name in text
    assert "${" not in text  # placeholders replaced
    assert snapshot(url) == {"tables": {}, "views": {}, "functions": []}


def test_script_is_exactly_what_migrate_executes(
    tmp_path: Path, two_urls: tuple[str, str], dbci
) -> None:
    a, b = two_urls
    root = project(tmp_path / "p", a)
    text = dry_run(dbci, root, a, tmp_path / "dry.sql")
    assert insert_ranks(text) == [1, 2, 3, 4]
    execute_script(a, text)
    migrate(dbci, root, b)
    assert snapshot(a) == snapshot(b)
    assert snapshot(a)["tables"].keys() == {HISTORY, "app_audit", "app_items"}
    assert list(snapshot(a)["views"]) == ["app_items_view"]
    assert history(a) == history(b)
    assert [r[4] for r in history(a)] == [
        "V1__audit.sql",
        "V2__items.sql",
        "V3__Bob's_more.sql",
        "R__items_view.sql",
    ]
    assert data(a) == data(b)
    # PostgreSQL: bump(1) gives 2; SQLite: the trigger adds 1 to every inserted row
    second = 1 if is_sqlite(a) else 0
    assert data(a)["items"] == [(1, "semi;colon", 2, None), (2, "the owner", second, "x")]
    assert len(data(a)["audit"]) == 4  # the callback after each migration
    # the database the script ran on is migrated: dbci finds nothing left to do
    proc = dbci("--project", root, "--url", a, "validate")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    again = dry_run(dbci, root, a, tmp_path / "again.sql")
    assert "INSERT INTO" not in again and "no migration to apply" in again


def test_dry_run_after_some_migrations_holds_only_pending_ones(
    tmp_path: Path, two_urls: tuple[str, str], dbci
) -> None:
    a, b = two_urls
    root = project(tmp_path / "p", a)
    later = ("V2__items.sql", "V3__Bob's_more.sql", "R__items_view.sql")
    for name in later:
        (root / "migrations" / name).unlink()
    migrate(dbci, root, a)
    project(root, a)  # the later migrations arrive
    before = history(a)
    assert [r[1] for r in before] == ["1"]
    text = dry_run(dbci, root, a, tmp_path / "dry.sql")
    assert "V1__audit.sql" not in text
    for name in later:
        assert name in text
    assert not re.search(r"CREATE TABLE [^\n]*flyway_schema_history", text)  # it exists
    assert insert_ranks(text) == [2, 3, 4]
    assert history(a) == before  # still nothing executed
    execute_script(a, text)
    migrate(dbci, root, b)
    assert history(a) == history(b)
    assert snapshot(a) == snapshot(b)
    assert data(a) == data(b)


def test_pg_dry_run_creates_schemas_like_migrate(
    tmp_path: Path, pg_cluster: postgres.PgCluster, dbci
) -> None:
    with pg_cluster.scratch_database() as a, pg_cluster.scratch_database() as b:
        root = project(tmp_path / "p", a)
        text = dry_run(dbci, root, a, tmp_path / "dry.sql", "--schemas", "app")
        assert 'CREATE SCHEMA IF NOT EXISTS "app"' in text
        assert 'CREATE TABLE "app"."flyway_schema_history"' in text
        assert "<< Flyway Schema Creation >>" in text
        # Flyway writes its schema-creation row at installed_rank 0, the migrations from 1.
        assert insert_ranks(text) == [0, 1, 2, 3, 4]
        assert run_sql(a, "select count(*) from pg_namespace where nspname = 'app'") == [(0,)]
        execute_script(a, text)
        migrate(dbci, root, b, "--schemas", "app")
        table = f"app.{HISTORY}"
        assert history(a, table) == history(b, table)
        assert history(a, table)[0][2:6] == (
            "<< Flyway Schema Creation >>",
            "SCHEMA",
            '"app"',
            None,
        )
        assert snapshot(a, "app") == snapshot(b, "app")
        assert "app_items" in snapshot(a, "app")["tables"]
        assert snapshot(a) == snapshot(b)  # public: untouched by both
        assert data(a, "app") == data(b, "app")


def test_non_empty_schema_without_history(tmp_path: Path, two_urls: tuple[str, str], dbci) -> None:
    a, b = two_urls
    root = project(tmp_path / "p", a)
    for url in (a, b):  # the schema of V1, made without dbci
        run_sql(url, "create table app_audit (id int, note varchar(100))")
    out = tmp_path / "dry.sql"
    dry = dbci("--project", root, "--url", a, "migrate", "--dry-run", out)
    live = dbci("--project", root, "--url", b, "migrate")
    assert (dry.returncode, live.returncode) == (1, 1)
    assert len(dry.stderr.splitlines()) == 1
    assert dry.stderr.startswith("dbci: error: ") and "non-empty schema" in dry.stderr
    # the same refusal, word for word (but for the database's name)
    name_a, name_b = sa.engine.make_url(a).database, sa.engine.make_url(b).database
    assert dry.stderr == live.stderr.replace(name_b, name_a)
    assert not out.exists()
    assert history(a) == [] and history(b) == []

    proc = dbci("--project", root, "--url", a, "migrate", "--baseline-on-migrate", "--dry-run", out)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert "'<< Flyway Baseline >>'" in text and "'BASELINE'" in text
    assert "V1__audit.sql" not in text  # at the baseline version (1): skipped
    assert "V2__items.sql" in text and "V3__Bob's_more.sql" in text
    assert history(a) == []
    execute_script(a, text)
    migrate(dbci, root, b, "--baseline-on-migrate")
    assert history(a) == history(b)
    assert [(r[1], r[3]) for r in history(a)] == [
        ("1", "BASELINE"),
        ("2", "SQL"),
        ("3", "SQL"),
        (None, "SQL"),
    ]
    assert snapshot(a) == snapshot(b)


def test_dry_run_to_stdout_and_json(tmp_path: Path, url: str, dbci) -> None:
    root = project(tmp_path / "p", url)
    proc = dbci("--project", root, "--url", url, "migrate", "--dry-run", "-")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("-- dbci migrate --dry-run")
    assert "Database:" not in proc.stdout and "Database:" in proc.stderr
    assert "V3__Bob's_more.sql" in proc.stdout
    assert snapshot(url)["tables"] == {}
    execute_script(url, proc.stdout)  # nothing but SQL on stdout
    assert len(history(url)) == 4

    proc = dbci("--project", root, "--url", url, "--output", "json", "migrate", "--dry-run", "-")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("dbci: error: ")

    root2 = project(tmp_path / "p2", url)
    (root2 / "migrations/V4__later.sql").write_text("create table later (a int);\n")
    out = tmp_path / "dry.sql"
    proc = dbci("--project", root2, "--url", url, "--output", "json", "migrate", "--dry-run", out)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["dryRun"] is True
    assert report["pendingMigrations"] == ["V4__later.sql"]
    assert report["scriptFile"] == str(out)
    assert "V4__later.sql" in out.read_text()


def test_password_never_written_to_the_script(
    tmp_path: Path, pg_password_server: postgres.PasswordServer, dbci
) -> None:
    server = pg_password_server
    # The password server's database is shared by the session's tests: a schema of this
    # test's own keeps other tests' migrations out of its way.
    root = write_project(
        tmp_path / "p",
        {"V1__t.sql": "create table dry_run_pw_t (a int);\ninsert into dry_run_pw_t values (1);\n"},
        '[flyway]\nschemas = ["dry_run_pw"]\ntable = "dry_run_pw_history"\n',
    )
    plain = f"postgresql://{server.user}@{server.host}:{server.port}/{server.database}"
    jdbc = (
        f"jdbc:postgresql://{server.host}:{server.port}/{server.database}"
        f"?user={server.user}&password={server.password}"
    )
    cases = [
        ("--url", server.url()),
        ("--url", plain, "--password", server.password),
        ("--url", jdbc),
    ]
    for n, args in enumerate(cases):
        out = tmp_path / f"dry{n}.sql"
        proc = dbci("--project", root, *args, "migrate", "--dry-run", out)
        assert proc.returncode == 0, proc.stderr
        text = out.read_text()
        assert "dry_run_pw_t" in text
        assert server.password not in text
        assert server.password not in proc.stdout + proc.stderr
    assert history(server.url(), "dry_run_pw.dry_run_pw_history") == []  # nothing created


def connect_project(root: Path) -> Path:
    """A migrated project that then gets an afterConnect callback and a pending V2."""
    return write_project(
        root,
        {
            "V1__log.sql": "create table connect_log (a int);\n",
            "afterConnect.sql": "insert into connect_log (a) values (1);\n",
            "V2__t2.sql": "create table t2 (a int);\n",
        },
    )


def test_dry_run_does_not_execute_after_connect_callbacks(tmp_path: Path, url: str, dbci) -> None:
    root = write_project(tmp_path / "p", {"V1__log.sql": "create table connect_log (a int);\n"})
    migrate(dbci, root, url)
    connect_project(root)
    before = snapshot(url)
    dry_run(dbci, root, url, tmp_path / "dry.sql")
    assert run_sql(url, "select count(*) from connect_log") == [(0,)]  # nothing executed
    assert snapshot(url) == before


def test_after_connect_callback_is_in_the_script(tmp_path: Path, url: str, dbci) -> None:
    # migrate runs afterConnect on connecting: the script of what it runs holds it too
    root = write_project(tmp_path / "p", {"V1__log.sql": "create table connect_log (a int);\n"})
    migrate(dbci, root, url)
    connect_project(root)
    text = dry_run(dbci, root, url, tmp_path / "dry.sql")
    assert "afterConnect.sql" in text
    assert "insert into connect_log (a) values (1)" in text


def test_check_dry_run_shows_secret_placeholders_as_written(
    tmp_path: Path, pg_url: str, dbci
) -> None:
    """The check stage's dry run (a report file) leaves a secret placeholder as written in
    migrations and callbacks alike, while the run itself uses its value: a repeatable
    migration's checksum, taken after placeholders, is the one migrate records, so the
    applied repeatable is not pending again. `migrate --dry-run` by hand keeps the value."""
    token = "tok-dry-Run-8812"
    env = {"DBCI_PLACEHOLDERS_API_TOKEN": token}
    root = write_project(
        tmp_path / "p",
        {
            "V1__t.sql": "create table t (a text);\n",
            "R__fill.sql": "delete from t;\ninsert into t values ('${api_token}');\n",
            "beforeEachMigrate.sql": "select '${API_TOKEN}' as callback;\n",
            "beforeEachMigrateStatement.sql": "select 1 as statement_hook;\n",
        },
    )
    check = ("--project", root, "--url", pg_url, "check", "--dryrun")
    proc = dbci(*check, env=env)
    assert proc.returncode == 0, proc.stderr
    shown = (root / "dbci-report" / "dryrun.sql").read_text()
    assert token not in shown
    assert "insert into t values ('${api_token}');" in shown
    assert "select '${API_TOKEN}' as callback;" in shown  # as written, case and all
    assert shown.count("select 1 as statement_hook;") == 3  # before each of 3 statements
    by_hand_file = tmp_path / "by-hand.sql"
    proc = dbci("--project", root, "--url", pg_url, "migrate", "--dry-run", by_hand_file, env=env)
    assert proc.returncode == 0, proc.stderr
    by_hand = by_hand_file.read_text()
    assert f"insert into t values ('{token}');" in by_hand
    assert f"select '{token}' as callback;" in by_hand
    # The same history rows, the repeatable's checksum (taken with the value) included.
    assert _history_inserts(shown) == _history_inserts(by_hand)
    proc = dbci("--project", root, "--url", pg_url, "migrate", env=env)
    assert proc.returncode == 0, proc.stderr
    recorded = history(pg_url)[-1]
    assert recorded[4] == "R__fill.sql" and f"'R__fill.sql', {recorded[5]}," in shown
    proc = dbci(*check, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "no migration to apply" in (root / "dbci-report" / "dryrun.sql").read_text()


def _history_inserts(text: str) -> list[str]:
    """The VALUES of every history INSERT in a script."""
    return re.findall(rf'INSERT INTO [^\n]*"{HISTORY}" \([^)]*\) VALUES \(([^\n]*)\)', text)
