"""baseline, repair, clean, undo and info's states, on real PostgreSQL and SQLite databases."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from support.projects import settings_for, write_project

from dbci.errors import GateFailed, InputError
from dbci.migrate import commands, lifecycle
from dbci.migrate.state import State

THREE = {
    "V1__people.sql": "create table people (id int primary key, name varchar(50));\n",
    "U1__people.sql": "drop table people;\n",
    "V2__email.sql": "alter table people add column email varchar(80);\n"
    "create index people_email on people (email);\n",
    "U2__email.sql": "drop index people_email;\nalter table people drop column email;\n",
    "V3__orders.sql": "create table orders (id int primary key, person int references people);\n"
    "create view order_people as\n"
    "  select o.id, p.name from orders o join people p on p.id = o.person;\n",
    "U3__orders.sql": "drop view order_people;\ndrop table orders;\n",
}


@pytest.fixture(params=["postgresql", "sqlite"])
def url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url")


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def history(url: str) -> list[tuple]:
    """(rank, version, description, type, script, success) of every row; [] without a table."""
    engine = _engine(url)
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("flyway_schema_history"):
            return []
        rows = conn.execute(
            sa.text(
                "SELECT installed_rank, version, description, type, script, success "
                "FROM flyway_schema_history ORDER BY installed_rank"
            )
        ).all()
    return [tuple(r[:5]) + (bool(r[5]),) for r in rows]


def execute(url: str, *statements: str) -> None:
    engine = _engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))


def catalog(url: str) -> dict[str, object]:
    """The schema as the database describes it (history table left out): tables with their
    columns, indexes, foreign keys, and views with their definitions."""
    engine = _engine(url)
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        tables = {}
        for name in sorted(inspector.get_table_names()):
            if name.startswith("flyway_schema_history"):
                continue
            tables[name] = {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(name)
                ],
                "indexes": sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                    for i in inspector.get_indexes(name)
                ),
                "foreign_keys": sorted(
                    (tuple(f["constrained_columns"]), f["referred_table"])
                    for f in inspector.get_foreign_keys(name)
                ),
                "pk": tuple(inspector.get_pk_constraint(name)["constrained_columns"]),
            }
        views = {
            name: " ".join(str(inspector.get_view_definition(name)).split())
            for name in sorted(inspector.get_view_names())
        }
    return {"tables": tables, "views": views}


def states(settings) -> list[tuple[str, str, State]]:
    return [
        (e.category, e.version.text if e.version else e.description, e.state)
        for e in commands.info(settings).status.entries
    ]


# ---- baseline ------------------------------------------------------------------------------


def test_baseline_then_migrate_applies_only_later_versions(tmp_path: Path, url: str) -> None:
    root = write_project(tmp_path, THREE)
    result = lifecycle.baseline(settings_for(root, url, baselineVersion="2"))
    assert (result.version, result.created) == ("2", True)
    assert history(url)[-1][1:] == (
        "2",
        "<< Flyway Baseline >>",
        "BASELINE",
        "<< Flyway Baseline >>",
        True,
    )
    assert states(settings_for(root, url)) == [
        ("", "2", State.BASELINE),
        ("Versioned", "1", State.BELOW_BASELINE),
        ("Versioned", "2", State.BELOW_BASELINE),
        ("Versioned", "3", State.PENDING),
    ]
    # people does not exist (the baseline says it does): create it, as an existing DB would have
    execute(url, THREE["V1__people.sql"], "alter table people add column email varchar(80)")
    applied = commands.migrate(settings_for(root, url)).applied
    assert [a.script.script for a in applied] == ["V3__orders.sql"]


def test_baseline_description_and_repeat_is_a_no_op(tmp_path: Path, url: str) -> None:
    root = write_project(tmp_path, THREE)
    settings = settings_for(root, url, baselineVersion="1.5", baselineDescription="legacy")
    lifecycle.baseline(settings)
    again = lifecycle.baseline(settings)
    assert again.created is False
    assert [r[1:4] for r in history(url)] == [("1.5", "legacy", "BASELINE")]


def test_baseline_over_existing_history_is_refused_and_changes_nothing(
    tmp_path: Path, url: str
) -> None:
    root = write_project(tmp_path, THREE)
    commands.migrate(settings_for(root, url, target="1"))
    before = history(url)
    with pytest.raises(GateFailed, match="already contains 1 migration row"):
        lifecycle.baseline(settings_for(root, url))
    assert history(url) == before


def test_baseline_at_another_version_is_refused(tmp_path: Path, url: str) -> None:
    root = write_project(tmp_path, THREE)
    lifecycle.baseline(settings_for(root, url))
    with pytest.raises(GateFailed, match="already contains a baseline at version 1"):
        lifecycle.baseline(settings_for(root, url, baselineVersion="2"))


def test_bad_baseline_version_is_bad_input(tmp_path: Path, url: str) -> None:
    root = write_project(tmp_path, THREE)
    with pytest.raises(InputError, match="baselineVersion"):
        lifecycle.baseline(settings_for(root, url, baselineVersion="one"))
    assert history(url) == []


def test_migrate_refuses_non_empty_schema_without_history(tmp_path: Path, url: str) -> None:
    root = write_project(tmp_path, THREE)
    execute(url, "create table legacy (a int)")
    with pytest.raises(GateFailed, match="non-empty schema.*baselineOnMigrate"):
        commands.migrate(settings_for(root, url))
    assert history(url) == []  # no history table was created
    assert list(catalog(url)["tables"]) == ["legacy"]


def test_baseline_on_migrate(tmp_path: Path, url: str) -> None:
    root = write_project(tmp_path, THREE)
    execute(url, THREE["V1__people.sql"])
    result = commands.migrate(settings_for(root, url, baselineOnMigrate=True))
    assert [a.script.script for a in result.applied] == ["V2__email.sql", "V3__orders.sql"]
    assert [r[1:4] for r in history(url)] == [
        ("1", "<< Flyway Baseline >>", "BASELINE"),
        ("2", "email", "SQL"),
        ("3", "orders", "SQL"),
    ]


def test_baseline_on_migrate_leaves_an_empty_database_alone(tmp_path: Path, url: str) -> None:
    root = write_project(tmp_path, THREE)
    commands.migrate(settings_for(root, url, baselineOnMigrate=True))
    assert [r[3] for r in history(url)] == ["SQL", "SQL", "SQL"]


# ---- repair --------------------------------------------------------------------------------


def test_repair_realigns_checksum_and_description(tmp_path: Path, url: str) -> None:
    root = write_project(tmp_path, THREE)
    commands.migrate(settings_for(root, url))
    migrations = root / "migrations"
    (migrations / "V1__people.sql").write_text(THREE["V1__people.sql"] + "-- reviewed\n")
    (migrations / "V2__email.sql").rename(migrations / "V2__email_address.sql")
    problems = commands.validate(settings_for(root, url)).problems
    assert sorted(p.kind for p in problems) == ["checksum", "description"]
    result = lifecycle.repair(settings_for(root, url))
    assert len(result.realigned) == 2 and not result.removed_failed and not result.marked_deleted
    assert commands.validate(settings_for(root, url)).problems == []
    assert history(url)[1][2] == "email address"


def test_repair_marks_missing_as_deleted(tmp_path: Path, url: str) -> None:
    root = write_project(tmp_path, THREE)
    commands.migrate(settings_for(root, url))
    (root / "migrations" / "V2__email.sql").unlink()
    assert [p.kind for p in commands.validate(settings_for(root, url)).problems] == ["missing"]
    result = lifecycle.repair(settings_for(root, url))
    assert result.marked_deleted == ["version 2 (email)"]
    assert history(url)[-1][1:] == ("2", "email", "DELETE", "V2__email.sql", True)
    assert ("Versioned", "2", State.DELETED) in states(settings_for(root, url))
    assert commands.validate(settings_for(root, url)).problems == []
    # A second repair has nothing left to do.
    again = lifecycle.repair(settings_for(root, url))
    assert (again.marked_deleted, again.realigned, again.removed_failed) == ([], [], [])


def test_repair_removes_failed_rows_then_migrate_completes(tmp_path: Path, url: str) -> None:
    # VACUUM makes the migration run outside a transaction on both engines, so its
    # failure leaves a failed row, as on databases without transactional DDL.
    broken = "create table if not exists half (a int);\nvacuum;\nselect * from no_such_table;\n"
    root = write_project(tmp_path, {"V1__half.sql": broken})
    with pytest.raises(GateFailed):
        commands.migrate(settings_for(root, url))
    assert [r[5] for r in history(url)] == [False]
    assert [p.kind for p in commands.validate(settings_for(root, url)).problems] == ["failed"]
    (root / "migrations" / "V1__half.sql").write_text(
        "create table if not exists half (a int);\nvacuum;\n"
    )
    result = lifecycle.repair(settings_for(root, url))
    assert result.removed_failed == ["version 1 (half)"]
    assert history(url) == []
    commands.migrate(settings_for(root, url))
    assert [(r[1], r[5]) for r in history(url)] == [("1", True)]


def test_repair_without_history_is_refused(tmp_path: Path, url: str) -> None:
    root = write_project(tmp_path, THREE)
    with pytest.raises(GateFailed, match="nothing to repair.*no schema history table"):
        lifecycle.repair(settings_for(root, url))
    assert history(url) == [] and catalog(url) == {"tables": {}, "views": {}}


# ---- undo ----------------------------------------------------------------------------------


def test_undo_latest_then_migrate_round_trip(tmp_path: Path, url: str) -> None:
    root = write_project(tmp_path, THREE)
    commands.migrate(settings_for(root, url, target="2"))
    at_two = catalog(url)
    commands.migrate(settings_for(root, url))
    at_three = catalog(url)
    assert at_three != at_two

    result = lifecycle.undo(settings_for(root, url))
    assert [(s.version, s.script) for s in result.undone] == [("3", "U3__orders.sql")]
    assert (result.initial_version, result.final_version) == ("3", "2")
    assert catalog(url) == at_two
    assert history(url)[-1][1:] == ("3", "orders", "UNDO_SQL", "U3__orders.sql", True)
    entries = states(settings_for(root, url))
    assert ("Versioned", "3", State.UNDONE) in entries
    assert ("Undo", "3", State.SUCCESS) in entries
    assert ("Versioned", "3", State.PENDING) in entries

    commands.migrate(settings_for(root, url))
    assert catalog(url) == at_three
    assert ("Versioned", "3", State.SUCCESS) in states(settings_for(root, url))
    assert commands.validate(settings_for(root, url)).problems == []


def test_undo_down_to_target_and_back(tmp_path: Path, url: str) -> None:
    root = write_project(tmp_path, THREE)
    empty = catalog(url)
    commands.migrate(settings_for(root, url))
    full = catalog(url)
    result = lifecycle.undo(settings_for(root, url, target="1"))
    assert [s.version for s in result.undone] == ["3", "2", "1"]
    assert result.final_version is None
    assert catalog(url) == empty
    commands.migrate(settings_for(root, url))
    assert catalog(url) == full
    assert commands.info(settings_for(root, url)).status.current_version.text == "3"


def test_undo_target_stops_below_it(tmp_path: Path, url: str) -> None:
    root = write_project(tmp_path, THREE)
    commands.migrate(settings_for(root, url))
    result = lifecycle.undo(settings_for(root, url, target="2"))
    assert [s.version for s in result.undone] == ["3", "2"]
    assert result.final_version == "1"


def test_missing_undo_script_is_an_error_before_anything_runs(tmp_path: Path, url: str) -> None:
    files = dict(THREE)
    del files["U2__email.sql"]
    root = write_project(tmp_path, files)
    commands.migrate(settings_for(root, url))
    before_history, before_catalog = history(url), catalog(url)
    expected = r"no undo script for version 2: add U2__<description>\.sql"
    with pytest.raises(InputError, match=expected):
        lifecycle.undo(settings_for(root, url, target="2"))
    assert history(url) == before_history
    assert catalog(url) == before_catalog


def test_undo_failure_rolls_back_and_records_nothing(tmp_path: Path, url: str) -> None:
    files = dict(THREE)
    files["U3__orders.sql"] = "drop view order_people;\ndrop table no_such_table;\n"
    root = write_project(tmp_path, files)
    commands.migrate(settings_for(root, url))
    before_history, before_catalog = history(url), catalog(url)
    with pytest.raises(GateFailed) as caught:
        lifecycle.undo(settings_for(root, url))
    assert (caught.value.file, caught.value.line) == ("migrations/U3__orders.sql", 2)
    assert history(url) == before_history
    assert catalog(url) == before_catalog  # the view is back: the undo was one transaction


def test_undo_with_nothing_applied_and_without_history(tmp_path: Path, url: str) -> None:
    root = write_project(tmp_path, THREE)
    with pytest.raises(GateFailed, match="nothing to undo"):
        lifecycle.undo(settings_for(root, url))
    lifecycle.baseline(settings_for(root, url))
    assert lifecycle.undo(settings_for(root, url)).undone == []


# ---- clean ---------------------------------------------------------------------------------


def write_envs(tmp_path: Path, url: str, extra: str = "", *, elsewhere: str = "prod") -> Path:
    """dev, build and prod on `url`, but for the environment `elsewhere`, whose database is
    another one (never created): a protected environment's database is protected under any
    environment's name, so the others must not share it."""
    urls = {name: url for name in ("dev", "build", "prod")}
    urls[elsewhere] = _another_database(url, tmp_path)
    config = (
        f'[environments.dev]\nurl = "{urls["dev"]}"\n'
        f'[environments.build]\nurl = "{urls["build"]}"\nprovisioner = "clean"\n'
        f'[environments.prod]\nurl = "{urls["prod"]}"\nprovisioner = "clean"\n'
        "[environments.prod.flyway]\ncleanDisabled = false\n" + extra
    )
    return write_project(tmp_path, THREE, config)


def _another_database(url: str, tmp_path: Path) -> str:
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'elsewhere.db'}"
    return parsed.set(database="dbci_t_elsewhere").render_as_string(hide_password=False)


def env_settings(root: Path, env: str, **flyway):
    from dbci.settings.config import Overrides, load_settings

    return load_settings(Overrides(project=root, environment=env, settings=flyway), environ={})


def test_clean_with_provisioner_clean_drops_everything(tmp_path: Path, url: str) -> None:
    root = write_envs(tmp_path, url)
    commands.migrate(env_settings(root, "build"))
    assert catalog(url)["tables"]
    result = lifecycle.clean(env_settings(root, "build"))
    assert result.statements
    assert catalog(url) == {"tables": {}, "views": {}}
    assert history(url) == []
    commands.migrate(env_settings(root, "build"))  # and it migrates again from scratch
    assert len(history(url)) == 3


def test_clean_needs_an_explicit_setting(tmp_path: Path, url: str) -> None:
    root = write_envs(tmp_path, url)
    commands.migrate(env_settings(root, "dev"))
    before = catalog(url)
    with pytest.raises(InputError) as caught:
        lifecycle.clean(env_settings(root, "dev"))
    message = str(caught.value)
    assert 'provisioner = "clean"' in message and "cleanDisabled = false" in message
    assert catalog(url) == before
    lifecycle.clean(env_settings(root, "dev", cleanDisabled=False))
    assert catalog(url) == {"tables": {}, "views": {}}


def test_clean_on_a_protected_environment_changes_nothing(tmp_path: Path, url: str) -> None:
    root = write_envs(tmp_path, url, elsewhere="build")
    commands.migrate(env_settings(root, "prod"))
    before_catalog, before_history = catalog(url), history(url)
    with pytest.raises(InputError, match="environment 'prod' is protected"):
        lifecycle.clean(env_settings(root, "prod"))
    assert catalog(url) == before_catalog and history(url) == before_history


def test_protected_list_is_configurable(tmp_path: Path, url: str) -> None:
    root = write_envs(tmp_path, url, '[dbci]\nprotected = ["build"]\n', elsewhere="build")
    commands.migrate(env_settings(root, "prod"))
    with pytest.raises(InputError, match="environment 'build' is protected"):
        lifecycle.clean(env_settings(root, "build"))
    lifecycle.clean(env_settings(root, "prod"))  # no longer protected, and allowed
    assert catalog(url) == {"tables": {}, "views": {}}


def test_clean_drops_schemas_dbci_created(tmp_path: Path, pg_url: str) -> None:
    root = write_project(tmp_path, THREE)
    settings = settings_for(root, pg_url, schemas=["app"], cleanDisabled=False)
    commands.migrate(settings)
    execute(pg_url, "create table public.keep_me (a int)")
    result = lifecycle.clean(settings)
    assert result.dropped_schemas == ["app"]
    engine = _engine(pg_url)
    with engine.connect() as conn:
        assert "app" not in sa.inspect(conn).get_schema_names()
        assert sa.inspect(conn).get_table_names() == ["keep_me"]  # public is not managed


def test_clean_of_pg_objects_beyond_tables(tmp_path: Path, pg_url: str) -> None:
    files = {
        "V1__all.sql": "create type mood as enum ('ok', 'sad');\n"
        "create domain positive as int check (value > 0);\n"
        "create sequence counter;\n"
        "create table t (id int generated always as identity primary key, m mood, p positive);\n"
        "create materialized view mv as select id from t;\n"
        "create function f() returns int language sql as $$ select 1 $$;\n"
        "create procedure pr() language sql as $$ select 1 $$;\n"
        "create function trg() returns trigger language plpgsql as "
        "$$ begin return new; end $$;\n"
        "create trigger t_trg before insert on t for each row execute function trg();\n",
    }
    root = write_project(tmp_path, files)
    settings = settings_for(root, pg_url, cleanDisabled=False)
    commands.migrate(settings)
    lifecycle.clean(settings)
    engine = _engine(pg_url)
    with engine.connect() as conn:
        left = conn.execute(
            sa.text(
                "select (select count(*) from pg_class c join pg_namespace n on n.oid = "
                "c.relnamespace where n.nspname = 'public') + (select count(*) from pg_proc p "
                "join pg_namespace n on n.oid = p.pronamespace where n.nspname = 'public') + "
                "(select count(*) from pg_type t join pg_namespace n on n.oid = t.typnamespace "
                "where n.nspname = 'public')"
            )
        ).scalar()
    assert left == 0


# ---- info states ---------------------------------------------------------------------------


def test_info_shows_every_state(tmp_path: Path, url: str) -> None:
    """Four projects share one database, each with its own history table."""
    seen: set[State] = set()

    # A: success, superseded, outdated, pending, ignored, missing, future
    a = write_project(
        tmp_path / "a",
        {
            "V1__a1.sql": "create table a1 (x int);\n",
            "V2__a2.sql": "create table a2 (x int);\n",
            "V4__a4.sql": "create table a4 (x int);\n",
            "R__ra.sql": "create table if not exists ra (x int);\n",
        },
    )
    commands.migrate(settings_for(a, url, table="hist_a"))
    (a / "migrations" / "R__ra.sql").write_text("create table if not exists ra (y int);\n")
    commands.migrate(settings_for(a, url, table="hist_a"))
    (a / "migrations" / "R__ra.sql").write_text("create table if not exists ra (z int);\n")
    (a / "migrations" / "V3__a3.sql").write_text("create table a3 (x int);\n")
    (a / "migrations" / "V2__a2.sql").unlink()
    (a / "migrations" / "V4__a4.sql").unlink()
    shown = states(settings_for(a, url, table="hist_a"))
    assert ("Versioned", "1", State.SUCCESS) in shown
    assert ("Versioned", "2", State.MISSING) in shown
    assert ("Versioned", "3", State.IGNORED) in shown
    assert ("Versioned", "4", State.FUTURE) in shown
    assert ("Repeatable", "ra", State.SUPERSEDED) in shown
    assert ("Repeatable", "ra", State.OUTDATED) in shown
    assert ("Repeatable", "ra", State.PENDING) in shown
    seen |= {state for _, _, state in shown}

    # B: baseline, below baseline, failed (a migration that ran outside a transaction)
    b = write_project(
        tmp_path / "b",
        {
            "V1__b1.sql": "create table b1 (x int);\n",
            "V2__b2.sql": "create table b2 (x int);\n",
            "V3__b3.sql": "create table if not exists b3 (x int);\nvacuum;\nselect * from nope;\n",
        },
    )
    lifecycle.baseline(settings_for(b, url, table="hist_b", baselineVersion="2"))
    with pytest.raises(GateFailed):
        commands.migrate(settings_for(b, url, table="hist_b"))
    shown = states(settings_for(b, url, table="hist_b"))
    assert ("", "2", State.BASELINE) in shown
    assert ("Versioned", "1", State.BELOW_BASELINE) in shown
    assert ("Versioned", "3", State.FAILED) in shown
    seen |= {state for _, _, state in shown}

    # C: deleted (missing, then repaired). D: undone, and pending again.
    c = write_project(
        tmp_path / "c",
        {"V1__c1.sql": "create table c1 (x int);\n", "V2__c2.sql": "create table c2 (x int);\n"},
    )
    d = write_project(
        tmp_path / "d",
        {"V1__d1.sql": "create table d1 (x int);\n", "U1__d1.sql": "drop table d1;\n"},
    )
    for root, table in ((c, "hist_c"), (d, "hist_d")):
        # The database is not empty any more: start these histories below version 1.
        commands.migrate(
            settings_for(root, url, table=table, baselineOnMigrate=True, baselineVersion="0")
        )
    (c / "migrations" / "V1__c1.sql").unlink()
    lifecycle.repair(settings_for(c, url, table="hist_c"))
    shown = states(settings_for(c, url, table="hist_c"))
    assert ("Versioned", "1", State.DELETED) in shown
    seen |= {state for _, _, state in shown}
    lifecycle.undo(settings_for(d, url, table="hist_d"))
    shown = states(settings_for(d, url, table="hist_d"))
    assert ("Versioned", "1", State.UNDONE) in shown
    assert ("Undo", "1", State.SUCCESS) in shown
    assert ("Versioned", "1", State.PENDING) in shown
    seen |= {state for _, _, state in shown}

    wanted = {
        State.PENDING,
        State.SUCCESS,
        State.FAILED,
        State.UNDONE,
        State.BASELINE,
        State.BELOW_BASELINE,
        State.IGNORED,
        State.MISSING,
        State.FUTURE,
        State.OUTDATED,
        State.SUPERSEDED,
        State.DELETED,
    }
    assert wanted <= seen, wanted - seen


# ---- the command line: refusals are one line with the documented exit code -------------


def one_line(proc, code: int, *needles: str) -> str:
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dbci: error: "), proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_cli_refusals(tmp_path: Path, url: str, dbci) -> None:
    files = dict(THREE)
    del files["U3__orders.sql"]
    root = write_project(
        tmp_path, files, f'[environments.prod]\nurl = "{url}"\nprovisioner = "clean"\n'
    )
    base = ["--project", root, "--url", url]
    one_line(dbci(*base, "repair"), 1, "nothing to repair")
    one_line(dbci(*base, "undo"), 1, "nothing to undo")
    one_line(dbci(*base, "baseline", "--baseline-version", "x.y"), 2, "baselineVersion")
    assert history(url) == []
    assert dbci(*base, "migrate").returncode == 0
    before_history, before_catalog = history(url), catalog(url)
    one_line(dbci(*base, "baseline"), 1, "already contains 3 migration rows")
    one_line(dbci(*base, "undo"), 2, "no undo script for version 3")
    # --url reaches prod's database: protected under any name, whatever allows clean.
    one_line(dbci(*base, "clean"), 2, "database of protected environment 'prod'")
    one_line(dbci(*base, "clean", env={"DBCI_CLEAN_DISABLED": "false"}), 2, "'prod'")
    one_line(dbci("--project", root, "-e", "prod", "clean"), 2, "'prod' is protected")
    one_line(dbci(*base, "undo", "--target", "latest!"), 2, "--target")
    assert history(url) == before_history and catalog(url) == before_catalog


def test_cli_lifecycle_json(tmp_path: Path, url: str, dbci) -> None:
    import json

    root = write_project(tmp_path, THREE)
    base = ["--project", root, "--url", url, "--output", "json"]
    assert dbci(*base, "migrate").returncode == 0
    undo = json.loads(dbci(*base, "undo").stdout)
    assert (undo["initialSchemaVersion"], undo["targetSchemaVersion"]) == ("3", "2")
    assert undo["undoneMigrations"][0]["filepath"] == "U3__orders.sql"
    repair = json.loads(dbci(*base, "repair").stdout)
    assert repair["repairActions"] == []
    clean = json.loads(dbci(*base, "clean", env={"DBCI_CLEAN_DISABLED": "false"}).stdout)
    assert clean["statementsExecuted"] > 0
    baseline = json.loads(dbci(*base, "baseline", "--baseline-version", "7").stdout)
    assert baseline["baselineVersion"] == "7"


def test_extensions_alone_do_not_make_a_schema_non_empty(tmp_path: Path, pg_url: str) -> None:
    engine = _engine(pg_url)
    with engine.connect() as conn:
        available = {
            r[0] for r in conn.execute(sa.text("select name from pg_available_extensions")).all()
        }
    extension = next((e for e in ("citext", "hstore", "vector") if e in available), None)
    if extension is None:
        pytest.skip("this PostgreSQL offers none of citext, hstore, vector")
    execute(pg_url, f"create extension {extension} schema public")
    root = write_project(tmp_path, THREE)
    assert len(commands.migrate(settings_for(root, pg_url)).applied) == 3
