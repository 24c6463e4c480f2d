"""Every statement that can lose data is marked, in each place a person reviews it: the
change list of `dbci diff` (text and JSON), the warnings `dbci generate` writes above the
statements of a migration, and the change and drift lists of the reports (report.json,
the Markdown summary and comment, the HTML page).

Each case is a real one on a real server: a column dropped, a column narrowed (MariaDB's
MODIFY COLUMN), a table dropped, a table made by hand that reverting the drift drops. That
the statement really loses data is checked on the database itself: after it runs, the
catalog no longer has the column, or the server refuses the rows that would not fit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pymysql
import pytest
from support import mysql, postgres
from support.cli import run_dbci
from support.postgres import libpq_url
from support.projects import write_project

from dbci.schema.generate import WARNING


@pytest.fixture
def two_pg(pg_cluster: postgres.PgCluster) -> Iterator[tuple[str, str]]:
    """Two fresh PostgreSQL databases."""
    with pg_cluster.scratch_database() as a, pg_cluster.scratch_database() as b:
        yield a, b


def _pg(url: str, statements: str) -> list[tuple]:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        cursor = conn.execute(statements)
        return cursor.fetchall() if cursor.description else []


def _pg_columns(url: str, table: str) -> list[str]:
    rows = _pg(
        url,
        "SELECT attname FROM pg_attribute WHERE attrelid = "
        f"'public.{table}'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
    )
    return [r[0] for r in rows]


def _rows(text: str) -> list[list[str]]:
    """The cells of a text table's rows."""
    return [[c.strip() for c in line.split("|")[1:-1]] for line in text.splitlines() if "|" in line]


def _warned(script: str) -> list[str]:
    """The statement lines that come right after a data-loss warning."""
    lines = script.splitlines()
    return [lines[i + 1] for i, line in enumerate(lines[:-1]) if line == WARNING]


def test_diff_marks_a_dropped_column_and_a_dropped_table(two_pg: tuple[str, str]) -> None:
    a, b = two_pg
    _pg(a, "CREATE TABLE t (a int, b int); CREATE TABLE gone (x int); INSERT INTO t VALUES (1, 2)")
    _pg(b, "CREATE TABLE t (a int); CREATE TABLE kept (x int)")
    text = run_dbci("diff", "--source", f"url:{a}", "--target", f"url:{b}")
    assert text.returncode == 0, text.stderr
    rows = {(r[2], r[4]): r[1] for r in _rows(text.stdout)[1:]}
    assert rows[("table", "t")] == "Change (destructive)"
    assert rows[("table", "gone")] == "Drop (destructive)"
    assert rows[("table", "kept")] == "Add"  # an added table loses nothing

    as_json = run_dbci("--output", "json", "diff", "--source", f"url:{a}", "--target", f"url:{b}")
    marks = {c["name"]: c["destructive"] for c in json.loads(as_json.stdout)["changes"]}
    assert marks == {"t": True, "gone": True, "kept": False}

    # The script does lose it: column b and its value are gone from A.
    script = run_dbci("diff", "--source", f"url:{a}", "--target", f"url:{b}", "--sql", "-")
    _pg(a, script.stdout)
    assert _pg_columns(a, "t") == ["a"]


def test_generate_warns_above_a_dropped_column(tmp_path: Path, two_pg: tuple[str, str]) -> None:
    dev, built = two_pg
    root = write_project(tmp_path / "p", {"V1__t.sql": "CREATE TABLE t (a int, b int);\n"})
    _pg(dev, "CREATE TABLE t (a int)")
    done = run_dbci(
        "--project", root, "--output", "json", "diff", "generate",
        "--source", "migrations", "--target", f"url:{dev}", "--description", "drop b",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["generate"]["warnings"] == 1
    migration = (root / "migrations" / "V2__drop_b.sql").read_text()
    assert _warned(migration) == ['ALTER TABLE "public"."t" DROP COLUMN "b";']
    undo = (root / "migrations" / "U2__drop_b.sql").read_text()
    assert WARNING not in undo and "ADD COLUMN" in undo  # adding a column loses nothing

    # The warned statement is the one that loses the column, on a database V1 made.
    _pg(built, "CREATE TABLE t (a int, b int); INSERT INTO t VALUES (1, 2)")
    _pg(built, migration)
    assert _pg_columns(built, "t") == ["a"]


@pytest.fixture
def two_mysql(mysql_server: mysql.MySQLServer) -> Iterator[tuple[str, str]]:
    """Two fresh MySQL/MariaDB databases."""
    with mysql_server.scratch_database() as a, mysql_server.scratch_database() as b:
        yield a, b


def _my(server: mysql.MySQLServer, url: str, statement: str) -> None:
    server.execute(statement, database=url.rsplit("/", 1)[1])


def test_generate_warns_above_a_narrowed_mysql_column(
    tmp_path: Path, mysql_server: mysql.MySQLServer, two_mysql: tuple[str, str]
) -> None:
    """MariaDB changes a column with MODIFY COLUMN, which restates its type with its default:
    the statement of the table whose type narrows is warned, the one of a default is not."""
    a, b = two_mysql
    _my(mysql_server, a, "CREATE TABLE t (a varchar(20), c int DEFAULT 1)")
    _my(mysql_server, a, "CREATE TABLE u (c int DEFAULT 1)")
    _my(mysql_server, b, "CREATE TABLE t (a varchar(5), c int DEFAULT 2)")
    _my(mysql_server, b, "CREATE TABLE u (c int DEFAULT 2)")
    root = write_project(tmp_path / "p", {})
    done = run_dbci(
        "--project", root, "--output", "json", "diff", "generate",
        "--source", f"url:{a}", "--target", f"url:{b}", "--description", "narrow",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    changes = {c["name"]: c["destructive"] for c in json.loads(done.stdout)["changes"]}
    assert changes == {"t": True, "u": False}
    migration = (root / "migrations" / "V1__narrow.sql").read_text()
    assert _warned(migration) == ["ALTER TABLE `t`"], migration
    assert "ALTER TABLE `u`" in migration
    # The warned statement cannot keep a value that does not fit: the server says so.
    _my(mysql_server, a, "INSERT INTO t (a) VALUES ('longer than five')")
    statement = migration[migration.index("ALTER TABLE `t`") :].split(";\n")[0]
    with pytest.raises(pymysql.err.DataError, match="Data truncated"):
        _my(mysql_server, a, statement)


def test_reports_mark_destructive_changes_and_drift(tmp_path: Path, pg_url: str) -> None:
    files = {
        "V1__t.sql": "CREATE TABLE t (a int, b int);\n",
        "V2__drop_b.sql": "ALTER TABLE t DROP COLUMN b;\nCREATE TABLE other (x int);\n",
    }
    root = write_project(tmp_path / "p", files)
    assert run_dbci("--project", root, "--url", pg_url, "migrate", "--target", "1").returncode == 0
    _pg(pg_url, "CREATE TABLE manual (x int); INSERT INTO manual VALUES (1)")
    done = run_dbci(
        "--project", root, "--url", pg_url, "--output", "json", "check", "--changes", "--drift"
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((root / "dbci-report" / "report.json").read_text())
    marks = {o["name"]: o["destructive"] for o in report["changes"]["objects"]}
    assert marks == {"t": True, "other": False}
    drift = {i["name"]: i["revert_destructive"] for i in report["drift"]["items"]}
    assert drift == {"manual": True}  # drift-revert.sql drops it, and its row

    rendered = run_dbci("--project", root, "report")
    assert rendered.returncode == 0, rendered.stderr
    folder = root / "dbci-report"
    summary = (folder / "summary.md").read_text()
    assert "- table public.other\n\n#### Change" in summary  # the list is still a list
    assert "- table public.t **(destructive: can lose data)**" in summary
    assert "- table public.other\n" in summary
    assert "- Add table public.manual **(reverting it can lose data)**" in summary
    html = (folder / "report.html").read_text()
    assert html.count("destructive: can lose data") == 1
    assert html.count("reverting it can lose data") == 1


# A: what MariaDB has before; B: after. Each object A has that B changes or drops is one
# a migration can lose data with, or one it must not say so of (`cf`, `h`, `cv`).
_MARIADB_A = [
    "CREATE TABLE v (id int, gone int) WITH SYSTEM VERSIONING",
    "CREATE TABLE w (id int) WITH SYSTEM VERSIONING",
    "CREATE TABLE d (id int) PARTITION BY LIST (id) (PARTITION a VALUES IN (1, 2), "
    "PARTITION b VALUES IN (3), PARTITION c VALUES IN (4))",
    "CREATE TABLE r (id int)",
    "CREATE TABLE h (id int)",
    "CREATE TABLE k (id int, x int, KEY gi (x))",
    "CREATE VIEW gv AS SELECT 1 AS one",
    "CREATE VIEW cv AS SELECT 1 AS one",
    "CREATE FUNCTION gf() RETURNS int RETURN 1",
    "CREATE FUNCTION cf() RETURNS int RETURN 1",
    "CREATE PROCEDURE gp() SELECT 1",
    "CREATE TRIGGER gt BEFORE INSERT ON h FOR EACH ROW SET NEW.id = NEW.id",
    "CREATE EVENT ge ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01' DO SELECT 1",
    "CREATE SEQUENCE gs",
]
_MARIADB_B = [
    "CREATE TABLE v (id int) WITH SYSTEM VERSIONING",
    "CREATE TABLE w (id int)",
    "CREATE TABLE d (id int) PARTITION BY LIST (id) (PARTITION a VALUES IN (1, 2), "
    "PARTITION c VALUES IN (4))",
    "CREATE TABLE r (id int) PARTITION BY RANGE (id) (PARTITION p0 VALUES LESS THAN (10))",
    "CREATE TABLE h (id int) PARTITION BY HASH (id) PARTITIONS 2",
    "CREATE TABLE k (id int, x int, y int)",
    "CREATE VIEW cv AS SELECT 2 AS one",
    "CREATE FUNCTION cf() RETURNS int RETURN 2",
]


def test_generate_warns_above_every_mariadb_change_the_diff_marks_destructive(
    tmp_path: Path, mysql_server: mysql.MySQLServer, two_mysql: tuple[str, str]
) -> None:
    """Each change the diff marks destructive gets a warning above its statement: a column
    dropped under MariaDB's SET STATEMENT … FOR, history dropped with DROP SYSTEM
    VERSIONING, a partition dropped, a table repartitioned by RANGE, an index dropped inside
    ALTER TABLE, and each dropped view, routine, trigger, event and sequence. A changed view
    or function and a repartition by HASH (which keeps every row) get none."""
    a, b = two_mysql
    for statement in _MARIADB_A:
        _my(mysql_server, a, statement)
    for statement in _MARIADB_B:
        _my(mysql_server, b, statement)
    root = write_project(tmp_path / "p", {})
    done = run_dbci(
        "--project", root, "--output", "json", "diff", "generate",
        "--source", f"url:{a}", "--target", f"url:{b}", "--description", "lossy",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    marks = {(c["type"], c["name"]) for c in output["changes"] if c["destructive"]}
    assert marks == {
        ("table", "v"), ("table", "w"), ("table", "d"), ("table", "r"), ("index", "gi"),
        ("view", "gv"), ("function", "gf()"), ("procedure", "gp()"), ("trigger", "h.gt"),
        ("event", "ge"), ("sequence", "gs"),
    }  # fmt: skip
    migration = (root / "migrations" / "V1__lossy.sql").read_text()
    warned = _warned(migration)
    assert sorted(warned) == sorted(
        [
            "SET STATEMENT system_versioning_alter_history=KEEP FOR ALTER TABLE `v`",
            "SET STATEMENT system_versioning_alter_history=KEEP FOR ALTER TABLE `w`",
            "ALTER TABLE `d` DROP PARTITION `b`;",
            "ALTER TABLE `r` PARTITION BY RANGE (`id`)",
            "ALTER TABLE `k`",
            "DROP VIEW IF EXISTS `gv`;",
            "DROP FUNCTION IF EXISTS `gf`;",
            "DROP PROCEDURE IF EXISTS `gp`;",
            "DROP TRIGGER IF EXISTS `gt`;",
            "DROP EVENT IF EXISTS `ge`;",
            "DROP SEQUENCE `gs`;",
        ]
    ), migration
    assert output["generate"]["warnings"] == len(warned)
    assert "ALTER TABLE `h` PARTITION BY HASH" in migration  # not warned: keeps its rows
    assert "DROP FUNCTION IF EXISTS `cf`" in migration  # recreated, not warned

    # The warned statements do lose data on A: the partition's row, the dropped column,
    # the history of w.
    _my(mysql_server, a, "INSERT INTO d VALUES (1), (3)")
    _my(mysql_server, a, "INSERT INTO w VALUES (1)")
    _my(mysql_server, a, "UPDATE w SET id = 2")
    for statement in migration.split(";\n"):
        body = "\n".join(s for s in statement.splitlines() if not s.startswith("--"))
        if body.strip():
            _my(mysql_server, a, body)
    name = a.rsplit("/", 1)[1]
    assert mysql_server.execute("SELECT id FROM d ORDER BY id", name) == [(1,)]
    assert mysql_server.execute(
        "SELECT column_name FROM information_schema.columns "
        f"WHERE table_schema = '{name}' AND table_name = 'v'"
    ) == [("id",)]
    assert mysql_server.execute("SELECT count(*) FROM w", name) == [(1,)]  # no history


def test_generate_warns_above_postgresql_drops_the_diff_marks(
    tmp_path: Path, two_pg: tuple[str, str]
) -> None:
    """PostgreSQL: a dropped view, function, trigger and index are marked destructive by the
    diff, and generate warns each DROP; a view whose query changes is recreated, unwarned."""
    a, b = two_pg
    common = "CREATE TABLE t (x int); CREATE FUNCTION tf() RETURNS trigger LANGUAGE plpgsql "
    common += "AS 'BEGIN RETURN NEW; END';"
    _pg(a, common + "CREATE INDEX gi ON t (x); CREATE VIEW gv AS SELECT 1 AS one;")
    _pg(a, "CREATE VIEW cv AS SELECT x FROM t; CREATE FUNCTION gf() RETURNS int RETURN 1;")
    _pg(a, "CREATE TRIGGER gt BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION tf()")
    _pg(b, common + "CREATE VIEW cv AS SELECT x, 1 AS one FROM t")
    root = write_project(tmp_path / "p", {})
    done = run_dbci(
        "--project", root, "--output", "json", "diff", "generate",
        "--source", f"url:{a}", "--target", f"url:{b}", "--description", "drops",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    marks = {c["type"] for c in output["changes"] if c["destructive"]}
    assert marks == {"index", "view", "function", "trigger"}
    assert {c["name"] for c in output["changes"] if c["type"] == "view"} == {"gv", "cv"}
    migration = (root / "migrations" / "V1__drops.sql").read_text()
    warned = _warned(migration)
    assert sorted(w.split(" ", 2)[1] for w in warned) == [
        "FUNCTION", "INDEX", "TRIGGER", "VIEW"
    ], migration  # fmt: skip
    assert [w for w in warned if '"cv"' in w] == [] and '"cv"' in migration
    assert output["generate"]["warnings"] == 4
