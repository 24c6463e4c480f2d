"""`dbci check -e TARGET`: changes, drift (and its scripts), dry run, gates, pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from support.cli import run_dbci
from support.postgres import libpq_url
from support.projects import write_project

FILES = {
    "V1__init.sql": (
        "CREATE TABLE customers (id int PRIMARY KEY, name text DEFAULT 'x');\n"
        "CREATE INDEX customers_name ON customers (name);\n"
        "CREATE FUNCTION greeting() RETURNS text LANGUAGE sql AS $$SELECT 'hello'$$;\n"
    ),
    "V2__orders.sql": "CREATE TABLE orders (id int PRIMARY KEY, customer_id int);\n",
}


def _sql(url: str, statements: str) -> None:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(statements)


def _check(root: Path, url: str, *args: str) -> tuple[int, dict]:
    done = run_dbci("--project", root, "--url", url, "--output", "json", "check", *args)
    assert done.stdout.strip(), done.stderr
    return done.returncode, json.loads(done.stdout)


def test_drift_lists_exactly_what_was_changed_by_hand(tmp_path: Path, pg_url: str) -> None:
    root = write_project(tmp_path / "p", FILES)
    assert run_dbci("--project", root, "--url", pg_url, "migrate", "--target", "1").returncode == 0
    _sql(
        pg_url,
        "ALTER TABLE customers ADD COLUMN email text;"
        "DROP INDEX customers_name;"
        "CREATE OR REPLACE FUNCTION greeting() RETURNS text LANGUAGE sql AS $$SELECT 'hi'$$;"
        "CREATE TABLE extra (a int);"
        "ALTER TABLE customers ALTER COLUMN name SET DEFAULT 'y';",
    )
    code, report = _check(root, pg_url)
    assert code == 0  # drift is a warning unless asked to fail on it
    drift = report["drift"]
    assert drift["detected"] and drift["source"] == "rebuild"
    assert sorted((i["change"], i["type"], i["name"]) for i in drift["items"]) == [
        ("Add", "table", "extra"),
        ("Change", "function", "greeting()"),
        ("Change", "table", "customers"),
        ("Drop", "index", "customers_name"),
    ]
    customers = next(i for i in drift["items"] if i["name"] == "customers")
    assert "email" in customers["actual_sql"] and "email" not in customers["expected_sql"]
    assert "'y'" in customers["actual_sql"] and "'x'" in customers["expected_sql"]
    changes = report["changes"]
    assert (changes["from_version"], changes["to_version"]) == ("1", "2")
    assert [p["script"] for p in changes["pending"]] == ["V2__orders.sql"]
    assert [(o["change"], o["name"]) for o in changes["objects"]] == [("Add", "orders")]
    assert "CREATE TABLE orders" in report["dryrun"]["sql"]
    reports = root / "dbci-report"
    assert (reports / "dryrun.sql").read_text() == report["dryrun"]["sql"]
    assert (reports / "target-snapshot.json").is_file()

    failed = run_dbci("--project", root, "--url", pg_url, "check", "--drift", "--fail-on-drift")
    assert failed.returncode == 1
    assert "gates failed: drift (4 objects, 0 migrations)" in failed.stderr

    revert = (reports / "drift-revert.sql").read_text()
    with psycopg.connect(libpq_url(pg_url), autocommit=True) as conn:
        conn.execute(revert)
    code, report = _check(root, pg_url, "--drift", "--fail-on-drift")
    assert code == 0 and report["drift"]["detected"] is False and report["drift"]["items"] == []
    assert not (reports / "drift-revert.sql").exists()


def test_the_incorporate_script_adopts_the_drift(tmp_path: Path, pg_url: str) -> None:
    root = write_project(tmp_path / "p", FILES)
    assert run_dbci("--project", root, "--url", pg_url, "migrate").returncode == 0
    _sql(pg_url, "CREATE TABLE extra (a int); ALTER TABLE orders ADD COLUMN note text;")
    _check(root, pg_url, "--drift")
    incorporate = (root / "dbci-report" / "drift-incorporate.sql").read_text()
    (root / "migrations" / "V3__adopt.sql").write_text(incorporate)
    # the target already has it: baseline-like, the new migration is what it would adopt
    code, report = _check(root, pg_url, "--changes")
    objects = sorted((o["change"], o["name"]) for o in report["changes"]["objects"])
    assert objects == [("Add", "extra"), ("Change", "orders")]


def test_a_clean_target_reports_clean(tmp_path: Path, pg_url: str) -> None:
    root = write_project(tmp_path / "p", FILES)
    assert run_dbci("--project", root, "--url", pg_url, "migrate").returncode == 0
    code, report = _check(root, pg_url, "--fail-on-drift")
    assert code == 0 and report["status"] == "passed"
    assert report["drift"]["detected"] is False
    assert report["changes"]["pending"] == [] and report["changes"]["objects"] == []
    assert report["code"]["files_checked"] == 0


def test_repo_drift_and_a_failed_migration_are_reported(tmp_path: Path, pg_url: str) -> None:
    root = write_project(tmp_path / "p", FILES)
    assert run_dbci("--project", root, "--url", pg_url, "migrate").returncode == 0
    (root / "migrations" / "V2__orders.sql").write_text("CREATE TABLE orders (id bigint);\n")
    (root / "migrations" / "V1__init.sql").unlink()
    code, report = _check(root, pg_url, "--drift", "--dryrun", "--fail-on-drift")
    kinds = sorted(r["kind"] for r in report["drift"]["repo"])
    assert kinds == ["checksum", "missing"]
    assert code == 1
    assert report["dryrun"]["sql"] is None and "validate failed" in report["dryrun"]["error"]


def test_a_target_without_history_or_ahead_of_the_files(tmp_path: Path, pg_url: str) -> None:
    root = write_project(tmp_path / "p", FILES)
    done = run_dbci("--project", root, "--url", pg_url, "check", "--changes")
    assert done.returncode == 0, done.stderr
    assert "has no schema history table" in done.stdout
    assert run_dbci("--project", root, "--url", pg_url, "migrate").returncode == 0
    (root / "migrations" / "V2__orders.sql").unlink()
    ahead = run_dbci("--project", root, "--url", pg_url, "check")
    assert ahead.returncode == 2
    assert "is at version 2, ahead of the migrations on disk (latest 1)" in ahead.stderr
    assert len(ahead.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--url", "postgresql://postgres@127.0.0.1:9/none"], 3, "cannot connect"),
        (["check", "--drift"], 2, "needs a target"),
        (["--drift-source", "somewhere"], 2, "--drift-source 'somewhere'"),
    ],
)
def test_bad_check_input(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    root = write_project(tmp_path / "p", FILES)
    if args[0] == "check":
        done = run_dbci("--project", root, *args)
    elif args[0] == "--url":
        done = run_dbci("--project", root, *args, "check")
    else:
        done = run_dbci("--project", root, "--url", "postgresql://x@127.0.0.1:9/x", "check", *args)
    assert done.returncode == code, done.stderr
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_pipeline_builds_then_checks(tmp_path: Path, pg_url: str) -> None:
    root = write_project(tmp_path / "p", FILES)
    done = run_dbci("--project", root, "--url", pg_url, "--output", "json", "pipeline")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["build"]["status"] == "passed" and len(report["build"]["migrations"]) == 2
    assert len(report["changes"]["pending"]) == 2 and report["drift"]["detected"] is False


def test_drift_against_a_snapshot_file_or_the_deploy_snapshots(tmp_path: Path, pg_url: str) -> None:
    root = write_project(tmp_path / "p", FILES)
    assert run_dbci("--project", root, "--url", pg_url, "migrate").returncode == 0
    saved = tmp_path / "after-deploy.json"
    assert run_dbci("--project", root, "--url", pg_url, "snapshot", "--to", saved).returncode == 0
    _sql(pg_url, "CREATE TABLE extra (a int);")
    code, report = _check(root, pg_url, "--drift", "--drift-source", f"snapshot:{saved}")
    assert report["drift"]["source"] == f"snapshot:{saved}"
    assert [(i["change"], i["name"]) for i in report["drift"]["items"]] == [("Add", "extra")]
    done = run_dbci(
        "--project", root, "--url", pg_url, "check", "--drift", "--drift-source", "snapshot-history"
    )
    assert done.returncode == 2 and "has no dbci_snapshot_history table" in done.stderr


def test_every_part_with_a_snapshot_file_measures_drift_against_that_file(
    tmp_path: Path, pg_url: str
) -> None:
    # The README's `dbci -e qa check --drift-source snapshot:FILE` runs every part: the
    # changes still come from the build, the drift from the file (not from the rebuild).
    root = write_project(tmp_path / "p", FILES)
    assert run_dbci("--project", root, "--url", pg_url, "migrate", "--target", "1").returncode == 0
    _sql(pg_url, "CREATE TABLE kept_by_hand (a int);")  # in the file, not in the migrations
    saved = tmp_path / "accepted.json"
    assert run_dbci("--project", root, "--url", pg_url, "snapshot", "--to", saved).returncode == 0
    code, report = _check(root, pg_url, "--drift-source", f"snapshot:{saved}")
    assert code == 0
    assert report["drift"]["source"] == f"snapshot:{saved}"
    assert report["drift"]["detected"] is False and report["drift"]["items"] == []
    assert [p["version"] for p in report["changes"]["pending"]] == ["2"]
    # The same target against the rebuild: the table made by hand is drift.
    code, report = _check(root, pg_url)
    assert [(i["change"], i["name"]) for i in report["drift"]["items"]] == [("Add", "kept_by_hand")]
