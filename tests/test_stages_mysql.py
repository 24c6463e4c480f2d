"""The build, check and deploy stages on MySQL/MariaDB: a create-database build
environment on the real server, a target that drifts, and --undo-on-failure."""

from __future__ import annotations

import json
from pathlib import Path

from support.mysql import MySQLServer
from support.projects import write_project

MIGRATIONS = {
    "V1__people.sql": "CREATE TABLE person (id INT PRIMARY KEY AUTO_INCREMENT,\n"
    "  name VARCHAR(100) NOT NULL);\n",
    "V2__orders.sql": "CREATE TABLE orders (id INT PRIMARY KEY, person_id INT NOT NULL,\n"
    "  CONSTRAINT fk_person FOREIGN KEY (person_id) REFERENCES person (id));\n"
    "CREATE VIEW v_orders AS SELECT o.id, p.name FROM orders o JOIN person p "
    "ON p.id = o.person_id;\n",
    "U2__orders.sql": "DROP VIEW v_orders;\nDROP TABLE orders;\n",
}


def _project(tmp_path: Path, server: MySQLServer, target: str) -> Path:
    toml = (
        "[environments.build]\n"
        f'url = "{server.database_url("test")}"\n'
        'provisioner = "create-database"\n\n'
        "[environments.qa]\n"
        f'url = "{target}"\n'
    )
    root = write_project(tmp_path, MIGRATIONS)
    (root / "flyway.toml").write_text(toml)
    return root


def _report(root: Path) -> dict:
    return json.loads((root / "dbci-report" / "report.json").read_text())


def _build_databases(server: MySQLServer) -> list[str]:
    rows = server.execute("SHOW DATABASES LIKE 'dbci\\_build\\_%'")
    return [name for (name,) in rows]


def test_build_verifies_undo_on_a_created_database(tmp_path: Path, mysql_url, mysql_server, dbci):
    root = _project(tmp_path, mysql_server, mysql_url)
    before = _build_databases(mysql_server)
    done = dbci("build", cwd=root)
    assert done.returncode == 0, done.stderr
    build = _report(root)["build"]
    assert build["status"] == "passed" and build["provisioner"] == "create-database"
    assert [m["version"] for m in build["migrations"]] == ["1", "2"]
    assert build["undo"] == [
        {
            "version": "2",
            "script": "migrations/U2__orders.sql",
            "status": "verified",
            "not_restored": [],
        }
    ]
    assert _build_databases(mysql_server) == before  # dropped after the build

    # An undo that leaves the view behind is caught, by snapshots (no transactional DDL).
    (root / "migrations" / "U2__orders.sql").write_text("DROP TABLE orders;\n")
    broken = dbci("build", cwd=root)
    assert broken.returncode == 1
    undo = _report(root)["build"]["undo"][0]
    assert undo["status"] == "broken" and any("v_orders" in n for n in undo["not_restored"])


def test_check_finds_drift_and_deploy_applies(tmp_path: Path, mysql_url, mysql_server, dbci):
    root = _project(tmp_path, mysql_server, mysql_url)
    check = dbci("check", "-e", "qa", cwd=root)
    assert check.returncode == 0, check.stderr
    changes = _report(root)["changes"]["objects"]
    assert {(c["change"], c["type"], c["name"]) for c in changes} >= {
        ("Add", "table", "person"),
        ("Add", "table", "orders"),
        ("Add", "view", "v_orders"),
    }
    deploy = dbci("deploy", "-e", "qa", cwd=root)
    assert deploy.returncode == 0, deploy.stderr

    database = mysql_url.rsplit("/", 1)[1]
    mysql_server.execute("ALTER TABLE person ADD COLUMN sneaky INT", database)
    drifted = dbci("check", "-e", "qa", cwd=root)
    assert drifted.returncode == 0, drifted.stderr
    drift = _report(root)["drift"]
    assert drift["detected"] and [i["name"] for i in drift["items"]] == ["person"]
    revert = (root / "dbci-report" / "drift-revert.sql").read_text()
    assert "DROP COLUMN `sneaky`" in revert
    for statement in revert.split(";\n"):
        if statement.strip():
            mysql_server.execute(statement, database)
    clean = dbci("check", "-e", "qa", cwd=root)
    assert clean.returncode == 0 and not _report(root)["drift"]["detected"]

    # The drift gate refuses a deploy onto a drifted target.
    mysql_server.execute("CREATE TABLE stray (id INT)", database)
    (root / "migrations" / "V3__more.sql").write_text("CREATE TABLE more (id INT);\n")
    gated = dbci("deploy", "-e", "qa", cwd=root)
    assert gated.returncode == 1 and "drifted" in gated.stderr


def test_undo_on_failure_undoes_what_this_deploy_applied(
    tmp_path: Path, mysql_url, mysql_server, dbci
):
    root = _project(tmp_path, mysql_server, mysql_url)
    assert dbci("deploy", "-e", "qa", cwd=root).returncode == 0
    migrations = root / "migrations"
    (migrations / "V3__three.sql").write_text("CREATE TABLE three (id INT);\n")
    (migrations / "U3__three.sql").write_text("DROP TABLE three;\n")
    (migrations / "V4__four.sql").write_text(
        "CREATE TABLE four (id INT);\nCREATE TABLE three (id INT);\n"
    )
    done = dbci("deploy", "-e", "qa", "--undo-on-failure", cwd=root)
    assert done.returncode == 1
    assert "migrations/V4__four.sql:2:" in done.stderr
    assert "statement 1 of 2 had already been applied" in done.stderr
    assert "Undid version 3" in done.stdout
    database = mysql_url.rsplit("/", 1)[1]
    tables = {t for (t,) in mysql_server.execute("SHOW TABLES", database)}
    assert "three" not in tables  # undone
    assert "four" in tables  # the failed migration's first statement: recorded as failed
    rows = mysql_server.execute(
        "SELECT version, type, success FROM flyway_schema_history ORDER BY installed_rank",
        database,
    )
    assert rows[-2:] == [("4", "SQL", 0), ("3", "UNDO_SQL", 1)]


def test_deploy_runs_an_interrupted_migration_again(tmp_path: Path, mysql_url, mysql_server, dbci):
    """What a migration cut off midway leaves (its failed row removed by repair) is let
    through the drift gate when it is that migration's own objects; anything else is not,
    and a re-run that does not end as the migrations say fails."""
    root = _project(tmp_path, mysql_server, mysql_url)
    assert dbci("deploy", "-e", "qa", cwd=root).returncode == 0
    database = mysql_url.rsplit("/", 1)[1]
    (root / "migrations" / "V3__items.sql").write_text(
        "CREATE TABLE IF NOT EXISTS items (id INT PRIMARY KEY, order_id INT);\n"
        "CREATE INDEX IF NOT EXISTS items_order ON items (order_id);\n"
    )
    # The first statement ran; the run was killed before the second (and repair ran).
    mysql_server.execute("CREATE TABLE items (id INT PRIMARY KEY, order_id INT)", database)
    done = dbci("deploy", "-e", "qa", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "V3__items.sql changes them (an interrupted migration): running it again" in done.stdout
    # Not that migration's doing: a table it does not touch.
    (root / "migrations" / "V4__tags.sql").write_text("CREATE TABLE IF NOT EXISTS tags (id INT);\n")
    mysql_server.execute("CREATE TABLE stray (id INT)", database)
    refused = dbci("deploy", "-e", "qa", cwd=root)
    assert refused.returncode == 1 and "drifted from its migrations (Add table stray)" in (
        refused.stderr
    )
    # Its objects, but not as it makes them: the re-run cannot repair that, and says so.
    mysql_server.execute("DROP TABLE stray", database)
    mysql_server.execute("CREATE TABLE tags (id INT, extra INT)", database)
    wrong = dbci("deploy", "-e", "qa", cwd=root)
    assert wrong.returncode == 1
    assert "differs from its migrations after the interrupted migration ran again" in wrong.stderr
