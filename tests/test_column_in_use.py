"""DB303 column-in-use: `dbci check` reports a pending migration that drops or renames a
column that a function, trigger or view (applied, or made by a pending migration) still
uses, at the statement that does it; and nothing where the code was changed first or
where the database keeps the object in step itself.

What is expected comes from the servers: after the migrations are applied for real, the
object the check named fails when it runs (PostgreSQL: "column … does not exist";
MariaDB: the view "references invalid table(s) or column(s)"), and the objects it did not
name still work. The build database is a second database on the same server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest
from support.cli import run_dbci
from support.mysql import MySQLServer
from support.postgres import PgCluster, libpq_url
from support.projects import write_project

V1_PG = """\
CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, fax text);
INSERT INTO customers VALUES (1, 'Ada', '555-0100');
CREATE FUNCTION customer_label(c_id bigint) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RETURN (SELECT name || ' ' || coalesce(fax, '-') FROM customers WHERE id = c_id);
END $$;
CREATE VIEW customer_names AS SELECT id, name FROM customers;
"""


@pytest.fixture
def pg_project(tmp_path: Path, pg_cluster: PgCluster) -> Iterator[tuple[Path, str]]:
    """(project root, target URL): a target and a build database beside it, `-e qa`."""
    with ExitStack() as stack:
        target = stack.enter_context(pg_cluster.scratch_database())
        build = stack.enter_context(pg_cluster.scratch_database())
        root = tmp_path / "shop"
        toml = (
            f'[environments.qa]\nurl = "{target}"\n'
            f'[environments.build]\nurl = "{build}"\nprovisioner = "clean"\n'
        )
        write_project(root, {}, toml)
        yield root, target


def _write(root: Path, files: dict[str, str | bytes]) -> None:
    for old in (root / "migrations").glob("*.sql"):
        old.unlink()
    write_project(root, files)


def _check(root: Path) -> list[dict[str, Any]]:
    done = run_dbci("--project", root, "-e", "qa", "--output", "json", "check")
    assert done.stdout.strip(), done.stderr
    report = json.loads(done.stdout)
    assert report["changes"] is not None, report
    return [f for f in report["code"]["findings"] if f["rule"] == "DB303"]


def _migrate(root: Path, *target: str) -> None:
    done = run_dbci("--project", root, "-e", "qa", "migrate", *target)
    assert done.returncode == 0, done.stderr


def _pg_error(url: str, sql: str) -> str | None:
    """PostgreSQL's error for `sql` on the target, or None when it runs."""
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        try:
            conn.execute(sql).fetchall()
        except psycopg.Error as exc:
            return str(exc).splitlines()[0]
    return None


def test_postgresql_drop_of_a_column_an_applied_function_reads(
    pg_project: tuple[Path, str],
) -> None:
    root, target = pg_project
    _write(root, {"V1__customers.sql": V1_PG})
    _migrate(root)
    v2 = "-- the fax goes\nALTER TABLE customers\n  DROP COLUMN fax;\n"
    _write(root, {"V1__customers.sql": V1_PG, "V2__drop_fax.sql": v2})
    found = _check(root)
    assert len(found) == 1, found
    (hit,) = found
    assert (hit["file"], hit["line"], hit["severity"]) == (
        "migrations/V2__drop_fax.sql",
        3,
        "error",
    )
    assert hit["message"].startswith("function public.customer_label(c_id bigint) still uses ")
    assert "customers.fax, which this drops" in hit["message"]
    # The view does not read fax: not named. The reference: deploy it and run both.
    _migrate(root)
    assert _pg_error(target, "SELECT * FROM customer_names") is None
    error = _pg_error(target, "SELECT customer_label(1)")
    assert error is not None and 'column "fax" does not exist' in error


def test_postgresql_rename_names_the_function_and_not_the_view_that_follows(
    pg_project: tuple[Path, str],
) -> None:
    root, target = pg_project
    v1 = V1_PG + "CREATE VIEW customer_faxes AS SELECT id, fax FROM customers;\n"
    _write(root, {"V1__customers.sql": v1})
    _migrate(root)
    v2 = "ALTER TABLE customers RENAME COLUMN fax TO fax_number;\n"
    _write(root, {"V1__customers.sql": v1, "V2__rename.sql": v2})
    found = _check(root)
    assert [(f["line"], f["message"]) for f in found] == [
        (
            1,
            "function public.customer_label(c_id bigint) still uses customers.fax, which this"
            " renames: it fails when it runs",
        )
    ]
    _migrate(root)
    assert _pg_error(target, "SELECT * FROM customer_faxes") is None  # PostgreSQL followed
    assert _pg_error(target, "SELECT customer_label(1)") is not None


def test_postgresql_trigger_function_and_a_pending_function(
    pg_project: tuple[Path, str],
) -> None:
    """A trigger function names only NEW.fax, not the table; a function made by a later
    pending migration uses the column that an earlier one dropped."""
    root, target = pg_project
    v1 = V1_PG + (
        "CREATE FUNCTION keep_fax() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN NEW.fax := trim(NEW.fax); RETURN NEW; END $$;\n"
        "CREATE TRIGGER customers_fax BEFORE UPDATE ON customers\n"
        "  FOR EACH ROW EXECUTE FUNCTION keep_fax();\n"
    )
    _write(root, {"V1__customers.sql": v1})
    _migrate(root)
    files = {
        "V1__customers.sql": v1,
        "V2__replace_label.sql": (
            "CREATE OR REPLACE FUNCTION customer_label(c_id bigint) RETURNS text\n"
            "  LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT name FROM customers"
            " WHERE id = c_id); END $$;\n"
        ),
        "V3__drop_fax.sql": "ALTER TABLE customers DROP COLUMN fax CASCADE;\n",
        "V4__fax_report.sql": (
            "CREATE FUNCTION fax_report() RETURNS SETOF text LANGUAGE plpgsql AS $$\n"
            "BEGIN RETURN QUERY SELECT fax FROM customers; END $$;\n"
        ),
    }
    _write(root, files)
    found = _check(root)
    named = sorted(f["message"].split(" still uses ")[0] for f in found)
    # customer_label was changed first (V2): not named.
    assert named == ["function public.fax_report()", "function public.keep_fax()"], found
    assert {(f["file"], f["line"]) for f in found} == {("migrations/V3__drop_fax.sql", 1)}
    _migrate(root)
    assert _pg_error(target, "SELECT customer_label(1)") is None
    assert _pg_error(target, "SELECT * FROM fax_report()") is not None
    assert _pg_error(target, "UPDATE customers SET name = 'Ada L.' WHERE id = 1") is not None


def test_postgresql_cascade_drops_the_view_with_the_column(
    pg_project: tuple[Path, str],
) -> None:
    root, target = pg_project
    v1 = V1_PG + "CREATE VIEW customer_faxes AS SELECT id, fax FROM customers;\n"
    _write(root, {"V1__customers.sql": v1})
    _migrate(root)
    label = (
        "CREATE OR REPLACE FUNCTION customer_label(c_id bigint) RETURNS text LANGUAGE sql\n"
        "  AS $$ SELECT name FROM customers WHERE id = c_id $$;\n"
    )
    # Without CASCADE, PostgreSQL refuses the drop: the build fails, no DB303 needed.
    v2 = label + "ALTER TABLE customers DROP COLUMN fax CASCADE;\n"
    _write(root, {"V1__customers.sql": v1, "V2__drop_fax.sql": v2})
    found = _check(root)
    assert [(f["line"], f["message"]) for f in found] == [
        (
            3,
            "view public.customer_faxes reads customers.fax, which this drops: the view is"
            " dropped with it (CASCADE)",
        )
    ]
    # Dropping the view on purpose first is the way to do it: nothing to say.
    v2 = label + "DROP VIEW customer_faxes;\nALTER TABLE customers DROP COLUMN fax;\n"
    _write(root, {"V1__customers.sql": v1, "V2__drop_fax.sql": v2})
    assert _check(root) == []
    _migrate(root)
    error = _pg_error(target, "SELECT * FROM customer_faxes")
    assert error is not None and "does not exist" in error


def test_postgresql_suppressed_and_tuned(pg_project: tuple[Path, str]) -> None:
    root, _ = pg_project
    _write(root, {"V1__customers.sql": V1_PG})
    _migrate(root)
    v2 = "-- dbci:ignore DB303, DB103\nALTER TABLE customers DROP COLUMN fax;\n"
    _write(root, {"V1__customers.sql": V1_PG, "V2__drop_fax.sql": v2})
    (hit,) = _check(root)
    assert hit["severity"] == "info" and "suppressed by dbci:ignore" in hit["message"]
    toml = (root / "dbci.toml").read_text()
    (root / "dbci.toml").write_text(toml + '[dbci.check.code.severity]\nDB303 = "off"\n')
    _write(root, {"V1__customers.sql": V1_PG, "V2__drop_fax.sql": v2.splitlines()[1] + "\n"})
    assert _check(root) == []


def test_mariadb_view_reading_a_dropped_column(tmp_path: Path, mysql_server: MySQLServer) -> None:
    """MariaDB keeps a view as text: the drop succeeds and the view is broken."""
    v1 = (
        "CREATE TABLE customers (id bigint PRIMARY KEY, name varchar(40), fax varchar(20));\n"
        "CREATE VIEW customer_faxes AS SELECT id, fax FROM customers;\n"
        "CREATE VIEW customer_names AS SELECT id, name FROM customers;\n"
    )
    with ExitStack() as stack:
        target = stack.enter_context(mysql_server.scratch_database())
        build = stack.enter_context(mysql_server.scratch_database())
        toml = (
            f'[environments.qa]\nurl = "{target}"\n'
            f'[environments.build]\nurl = "{build}"\nprovisioner = "clean"\n'
        )
        root = write_project(tmp_path / "shop", {"V1__customers.sql": v1}, toml)
        _migrate(root)
        _write(root, {"V1__customers.sql": v1, "V2__drop.sql": "ALTER TABLE customers DROP fax;\n"})
        found = _check(root)
        database = target.rsplit("/", 1)[1]
        assert [(f["file"], f["line"], f["message"]) for f in found] == [
            (
                "migrations/V2__drop.sql",
                1,
                "view customer_faxes still uses customers.fax, which this drops:"
                " it fails when it runs",
            )
        ]
        _migrate(root)
        mysql_server.execute("SELECT * FROM customer_names", database)
        with pytest.raises(pymysql.MySQLError, match="invalid table"):
            mysql_server.execute("SELECT * FROM customer_faxes", database)
