"""`dbci build`: provisioners, timings, undo verification, SQL tests, the report."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import psycopg
from support.cli import run_dbci
from support.postgres import libpq_url
from support.projects import write_project

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo"


def _report(root: Path) -> dict:
    return json.loads((root / "dbci-report" / "report.json").read_text())


def test_build_of_the_demo_on_the_embedded_default(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("build", "dbci-report"))
    done = run_dbci("--project", root, "--output", "json", "build")
    assert done.returncode == 0, done.stderr
    build = json.loads(done.stdout)["build"]
    assert build["status"] == "passed" and build["provisioner"] == "embedded"
    assert [m["script"] for m in build["migrations"]] == [
        "V1__create_customers.sql",
        "V2__create_orders.sql",
        "V3__seed_data.sql",
        "V3_1__add_customer_country.sql",
        "R__customer_totals.sql",
    ]
    assert all(m["status"] == "success" and m["duration_ms"] >= 0 for m in build["migrations"])
    assert build["undo_verified"] is None  # the demo has no undo scripts
    report = _report(root)
    assert report["build"]["snapshot"] == "dbci-report/build-snapshot.json"
    snapshot = json.loads((root / "dbci-report" / "build-snapshot.json").read_text())
    assert any(o["name"] == "customers" for o in snapshot["objects"])
    assert not (root / "build").exists()  # the environment's own database is not touched


UNDO_PROJECT = {
    "V1__a.sql": "CREATE TABLE a (id int PRIMARY KEY);\n",
    "U1__a.sql": "DROP TABLE a;\n",
    "V2__b.sql": "CREATE TABLE b (id int);\nCREATE INDEX b_i ON b (id);\n",
    "U2__b.sql": "DROP INDEX b_i;\n",  # leaves table b: broken
    "V3__c.sql": "CREATE VIEW c AS SELECT id FROM a;\n",
    "U3__c.sql": "DROP VIEW c;\n",
    "V4__data.sql": "INSERT INTO a VALUES (1), (2);\n",
    # the catalogs differ afterwards (a dropped column stays behind), the schema does not
    "V5__x.sql": "ALTER TABLE a ADD COLUMN x int;\n",
    "U5__x.sql": "ALTER TABLE a DROP COLUMN x;\n",
}


def test_undo_verification_and_sql_tests_on_embedded_postgresql(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", UNDO_PROJECT)
    tests = root / "tests" / "sql"
    tests.mkdir(parents=True)
    (tests / "a_count.sql").write_text(
        "INSERT INTO a VALUES (3);\n-- expect: SELECT count(*) = 3 FROM a\n"
    )
    (tests / "b_wrong.sql").write_text("-- expect: count(*) = 99 FROM a\n")
    (tests / "c_error.sql").write_text("SELECT 1;\nSELECT * FROM missing_table;\n")
    (tests / "d_pgtap.sql").write_text("SELECT plan(1);\nSELECT ok(true);\n")
    done = run_dbci("--project", root, "--output", "json", "build", "--dialect", "postgresql")
    assert done.returncode == 1, done.stderr
    build = json.loads(done.stdout)["build"]
    assert build["undo_verified"] is False
    assert [(u["version"], u["status"]) for u in build["undo"]] == [
        ("1", "verified"),
        ("2", "broken"),
        ("3", "verified"),
        ("5", "verified"),
    ]
    assert build["undo"][1]["not_restored"] == ["Add table public.b"]
    assert [m["script"] for m in build["migrations"]] == [
        "V1__a.sql",
        "V2__b.sql",
        "V3__c.sql",
        "V4__data.sql",
        "V5__x.sql",
    ]
    tests_by_name = {t["name"]: t for t in build["tests"]}
    assert tests_by_name["tests/sql/a_count.sql"]["status"] == "passed"
    assert tests_by_name["tests/sql/b_wrong.sql"]["status"] == "failed"
    assert "line 1: expected true" in tests_by_name["tests/sql/b_wrong.sql"]["message"]
    assert tests_by_name["tests/sql/c_error.sql"]["message"].startswith("line 2:")
    assert tests_by_name["tests/sql/d_pgtap.sql"]["status"] == "skipped"  # no pgtap here
    assert _report(root)["status"] == "failed"
    junit = ET.parse(root / "dbci-report" / "junit.xml").getroot()
    suites = {s.get("name"): s for s in junit.findall("testsuite")}
    assert suites["build.sql-tests"].get("tests") == "4"
    assert suites["build.sql-tests"].get("failures") == "2"
    assert suites["build.sql-tests"].get("skipped") == "1"
    assert suites["build.undo"].get("failures") == "1"
    broken = [c for c in suites["build.undo"] if c.find("failure") is not None]
    assert broken[0].get("name") == "migrations/U2__b.sql"
    assert "Add table public.b" in broken[0].find("failure").text

    plain = run_dbci(
        "--project",
        root,
        "--output",
        "json",
        "build",
        "--dialect",
        "postgresql",
        "--no-verify-undo",
        "--build-version",
        "2",
    )
    build = json.loads(plain.stdout)["build"]
    assert [m["version"] for m in build["migrations"]] == ["1", "2"]
    assert build["undo_verified"] is None and build["undo"] == []


def test_a_failing_migration_is_reported_with_what_was_done(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "p",
        {
            "V1__ok.sql": "CREATE TABLE a (id int);\n",
            "V2__bad.sql": "CREATE TABLE b (id int);\nCREATE TABLE a (id int);\n",
        },
    )
    done = run_dbci("--project", root, "build", "--dialect", "postgresql")
    assert done.returncode == 1
    assert done.stderr.strip().startswith("dbci: error: migrations/V2__bad.sql:2:")
    build = _report(root)["build"]
    assert build["status"] == "failed" and "already exists" in build["error"]
    assert [(m["script"], m["status"]) for m in build["migrations"]] == [
        ("V1__ok.sql", "success"),
        ("migrations/V2__bad.sql", "failed"),
    ]


def _build_databases(admin_url: str) -> set[str]:
    with psycopg.connect(libpq_url(admin_url)) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'dbci_build_%'"
        ).fetchall()
    return {r[0] for r in rows}


def test_create_database_provisioner(tmp_path: Path, pg_admin_url: str) -> None:
    toml = f'[environments.build]\nurl = "{pg_admin_url}"\nprovisioner = "create-database"\n'
    root = write_project(tmp_path / "p", {"V1__a.sql": "CREATE TABLE a (id int);\n"}, toml)
    before = _build_databases(pg_admin_url)
    done = run_dbci("--project", root, "--output", "json", "build")
    assert done.returncode == 0, done.stderr
    build = json.loads(done.stdout)["build"]
    assert build["provisioner"] == "create-database" and "dbci_build_" in build["database"]
    assert _build_databases(pg_admin_url) == before  # dropped afterwards
    kept = run_dbci("--project", root, "build", "--keep")
    assert kept.returncode == 0
    extra = _build_databases(pg_admin_url) - before
    assert len(extra) == 1
    with psycopg.connect(libpq_url(pg_admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{extra.pop()}" WITH (FORCE)')


def test_clean_provisioner_and_the_shadow_environment(tmp_path: Path, pg_url: str) -> None:
    toml = (
        '[flywayDesktop]\nshadowEnvironment = "shadow"\n'
        f'[environments.shadow]\nurl = "{pg_url}"\nprovisioner = "clean"\n'
    )
    root = write_project(tmp_path / "p", {"V1__a.sql": "CREATE TABLE a (id int);\n"}, toml)
    with psycopg.connect(libpq_url(pg_url), autocommit=True) as conn:
        conn.execute("CREATE TABLE leftover (id int)")
    done = run_dbci("--project", root, "--output", "json", "build")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["build"]["provisioner"] == "clean"
    with psycopg.connect(libpq_url(pg_url)) as conn:
        tables = {
            r[0]
            for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
    assert tables == {"a", "flyway_schema_history"}


def test_bad_build_input_is_one_line_and_exit_2(tmp_path: Path, pg_url: str) -> None:
    cases = [
        (f'[environments.build]\nurl = "{pg_url}"\n', [], "clean refused on environment 'build'"),
        (
            f'[environments.build]\nurl = "{pg_url}"\nprovisioner = "magic"\n',
            [],
            "unknown provisioner 'magic'",
        ),
        ("", ["--build-environment", "nope"], "unknown build environment 'nope'"),
        ("", ["--dialect", "oracle"], "unknown dialect 'oracle'"),
        ("", ["--build-version", "x.y"], "x.y"),
    ]
    for i, (toml, args, message) in enumerate(cases):
        root = write_project(tmp_path / f"p{i}", {"V1__a.sql": "CREATE TABLE a (id int);\n"}, toml)
        done = run_dbci("--project", root, "build", *args)
        assert done.returncode == 2, (message, done.stdout, done.stderr)
        assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_docker_provisioner_against_a_standin_engine(tmp_path: Path, pg_url: str) -> None:
    """A local HTTP stand-in answers the Engine API (make test needs no Docker engine), and
    its container publishes the real PostgreSQL server's port, so the build runs for real."""
    from urllib.parse import urlsplit

    from support.docker_standin import docker_standin

    parts = urlsplit(pg_url)
    database = parts.path.lstrip("/")
    toml = (
        '[environments.build]\nprovisioner = "docker"\n'
        f'url = "postgresql://{parts.username}@127.0.0.1/{database}"\n'
        '[environments.build.dbci.docker]\nimage = "postgres:16"\n'
        'env = { POSTGRES_PASSWORD = "build" }\nwait_seconds = 5\n'
    )
    root = write_project(tmp_path / "p", {"V1__a.sql": "CREATE TABLE a (id int);\n"}, toml)
    with docker_standin(parts.port or 5432) as engine:
        env = {"DOCKER_HOST": engine.url}
        done = run_dbci("--project", root, "--output", "json", "build", env=env)
        assert done.returncode == 0, done.stderr
        build = json.loads(done.stdout)["build"]
        assert build["provisioner"] == "docker" and build["status"] == "passed"
        assert "docker postgres:16" in build["database"]
        assert engine.containers == {}  # removed afterwards
        created = [c for c in engine.calls if c.startswith("POST /containers/create")]
        assert created and any(c.startswith("DELETE /containers/") for c in engine.calls)

        (root / "dbci.toml").write_text(toml.replace("postgres:16", "no-such/image:1"))
        missing = run_dbci("--project", root, "build", env=env)
        assert missing.returncode == 2, missing.stderr
        assert "image 'no-such/image:1' cannot be started" in missing.stderr
        assert len(missing.stderr.strip().splitlines()) == 1

        engine.pullable.add("postgres:17")
        (root / "dbci.toml").write_text(toml.replace("postgres:16", "postgres:17"))
        pulled = run_dbci("--project", root, "build", env=env)
        assert pulled.returncode == 0, pulled.stderr
        assert "POST /images/create" in engine.calls

    gone = run_dbci("--project", root, "build", env={"DOCKER_HOST": "tcp://127.0.0.1:9"})
    assert gone.returncode == 3 and "cannot" in gone.stderr


def test_undo_verification_on_sqlite(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "p",
        {
            "V1__a.sql": "CREATE TABLE a (id integer PRIMARY KEY);\n",
            "U1__a.sql": "DROP TABLE a;\n",
            "V2__b.sql": "CREATE TABLE b (id integer);\nCREATE INDEX b_i ON b (id);\n",
            "U2__b.sql": "DROP TABLE b;\n",
            "V3__c.sql": "CREATE TABLE c (id integer);\n",
            "U3__c.sql": "SELECT 1;\n",
        },
    )
    done = run_dbci("--project", root, "--output", "json", "build", "--dialect", "sqlite")
    build = json.loads(done.stdout)["build"]
    assert [(u["version"], u["status"]) for u in build["undo"]] == [
        ("1", "verified"),
        ("2", "verified"),
        ("3", "broken"),
    ]
    assert build["undo"][2]["not_restored"] == ["Add table main.c"]
    assert done.returncode == 1 and build["undo_verified"] is False
