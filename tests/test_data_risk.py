"""Danger weighed with the target's data: a check against a target whose tables have rows
says how many, from the catalog's statistics only (never the table's data).

The expected counts are what the target's own catalog says (`pg_class.reltuples` after
VACUUM, `information_schema.tables.table_rows`), read by the test, not by dbci.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from support.cli import run_dbci
from support.mysql import MySQLServer
from support.postgres import libpq_url
from support.projects import write_project

V1 = "CREATE TABLE orders (id int PRIMARY KEY, note text);\n"
V2 = (
    "ALTER TABLE orders ADD COLUMN placed_by text NOT NULL;\n"
    "ALTER TABLE orders ALTER COLUMN note TYPE varchar(20);\n"
    "ALTER TABLE orders ADD CONSTRAINT orders_note_key UNIQUE (note);\n"
)


def _findings(root: Path, url: str) -> dict[str, dict]:
    done = run_dbci("--project", root, "--url", url, "--output", "json", "check", "--code")
    assert done.stdout.strip(), done.stderr
    report = json.loads(done.stdout)
    return {f["rule"]: f for f in report["code"]["findings"] if f["source"] == "dbci"}


def test_postgresql_rows_make_the_not_null_column_a_certain_failure(
    tmp_path: Path, pg_url: str
) -> None:
    root = write_project(tmp_path / "shop", {"V1__orders.sql": V1, "V2__placed_by.sql": V2})
    assert run_dbci("--project", root, "--url", pg_url, "migrate", "--target", "1").returncode == 0
    with psycopg.connect(libpq_url(pg_url), autocommit=True) as conn:
        conn.execute("INSERT INTO orders SELECT g, 'n' FROM generate_series(1, 50000) g")
        conn.execute("VACUUM ANALYZE orders")
        (estimate,) = conn.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = 'orders'::regclass"
        ).fetchone()
    assert 45_000 <= estimate <= 55_000
    found = _findings(root, pg_url)
    not_null, retype = found["DB203"], found["DB201"]
    assert not_null["severity"] == "error" and not_null["table"] == "orders"
    assert not_null["message"].startswith(f"will fail: orders has ~{estimate:,} rows on "), not_null
    assert "adding a NOT NULL column without a default" in not_null["message"]
    assert retype["message"].endswith(
        f": rewrites ~{estimate:,} rows on {_dbname(pg_url)} (catalog estimate)"
    ), retype
    unique = found["DB207"]  # its index is built under the lock, row by row
    assert unique["table"] == "orders"
    assert unique["message"].endswith(
        f": indexes ~{estimate:,} rows on {_dbname(pg_url)} (catalog estimate)"
    ), unique


def test_postgresql_empty_table_is_said_to_be_empty(tmp_path: Path, pg_url: str) -> None:
    root = write_project(tmp_path / "shop", {"V1__orders.sql": V1, "V2__placed_by.sql": V2})
    assert run_dbci("--project", root, "--url", pg_url, "migrate", "--target", "1").returncode == 0
    with psycopg.connect(libpq_url(pg_url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE orders")  # an empty table, measured: reltuples 0
    not_null = _findings(root, pg_url)["DB203"]
    assert not_null["message"].endswith(
        f"(catalog estimate: orders is empty on {_dbname(pg_url)})"
    ), not_null


def test_postgresql_without_statistics_says_nothing_it_does_not_know(
    tmp_path: Path, pg_url: str
) -> None:
    """A table never vacuumed or analyzed has no estimate (reltuples -1): the finding is
    the rule's own words, with no number made up."""
    root = write_project(tmp_path / "shop", {"V1__orders.sql": V1, "V2__placed_by.sql": V2})
    assert run_dbci("--project", root, "--url", pg_url, "migrate", "--target", "1").returncode == 0
    with psycopg.connect(libpq_url(pg_url), autocommit=True) as conn:
        (reltuples,) = conn.execute(
            "SELECT reltuples FROM pg_class WHERE oid = 'orders'::regclass"
        ).fetchone()
    assert reltuples == -1  # PostgreSQL 14+: never vacuumed or analyzed
    not_null = _findings(root, pg_url)["DB203"]
    assert not_null["message"] == (
        "adding a NOT NULL column without a default fails on orders once it has rows"
    )


def test_mariadb_rows_from_information_schema(
    tmp_path: Path, mysql_url: str, mysql_server: MySQLServer
) -> None:
    v2 = "ALTER TABLE orders ADD COLUMN placed_by varchar(40) NOT NULL;\n"
    root = write_project(tmp_path / "shop", {"V1__orders.sql": V1, "V2__placed_by.sql": v2})
    assert (
        run_dbci("--project", root, "--url", mysql_url, "migrate", "--target", "1").returncode == 0
    )
    database = _dbname(mysql_url)
    mysql_server.execute("INSERT INTO orders SELECT seq, 'n' FROM seq_1_to_20000", database)
    mysql_server.execute("ANALYZE TABLE orders", database)
    ((estimate,),) = mysql_server.execute(
        "SELECT table_rows FROM information_schema.tables"
        f" WHERE table_schema = '{database}' AND table_name = 'orders'",
    )
    assert estimate > 0
    not_null = _findings(root, mysql_url)["DB203"]
    assert not_null["message"].startswith(f"will fail: orders has ~{estimate:,} rows on "), not_null


def _dbname(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]
