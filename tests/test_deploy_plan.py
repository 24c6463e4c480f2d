"""`deploy --plan`: a target changed since the check is refused naming the objects that
changed (from the check's target-snapshot.json), and nothing is applied (issue 25, item 7)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import psycopg
import pytest
from support.cli import run_dbci
from support.postgres import libpq_url
from support.projects import write_project

FILES = {
    "V1__customers.sql": "CREATE TABLE customers (id int PRIMARY KEY);\n",
    "V2__orders.sql": "CREATE TABLE orders (id int PRIMARY KEY);\n",
}
UNNAMED = "the target's schema changed since the check: run dbci check again and review it"


def _sql(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


def _checked(tmp_path: Path, url: str) -> tuple[Path, Path]:
    """A project migrated to V1 and checked against it: (its root, the plan)."""
    root = write_project(tmp_path / "p", FILES)
    migrated = run_dbci("--project", root, "--url", url, "migrate", "--target", "1")
    assert migrated.returncode == 0, migrated.stderr
    checked = run_dbci("--project", root, "--url", url, "check", "--dryrun")
    assert checked.returncode == 0, checked.stderr
    plan = root / "dbci-report" / "report.json"
    assert (plan.parent / "target-snapshot.json").is_file()
    return root, plan


def _refusal(stderr: str) -> str:
    """The one line of the refusal."""
    lines = [line for line in stderr.splitlines() if "changed since the check" in line]
    assert len(lines) == 1, stderr
    return lines[0]


def _nothing_applied(url: str) -> None:
    assert _sql(url, "SELECT max(version::int) FROM flyway_schema_history") == [(1,)]
    assert _sql(url, "SELECT to_regclass('public.orders') IS NULL") == [(True,)]


def _deploy(root: Path, url: str, plan: Path):  # noqa: ANN202 - a CompletedProcess
    return run_dbci("--project", root, "--url", url, "deploy", "--plan", plan)


def test_the_refusal_names_the_objects_changed_since_the_check(tmp_path: Path, pg_url: str) -> None:
    root, plan = _checked(tmp_path, pg_url)
    _sql(pg_url, "ALTER TABLE public.customers ADD COLUMN email text")
    _sql(pg_url, "CREATE INDEX ix_email ON public.customers (email)")
    refused = _deploy(root, pg_url, plan)
    assert refused.returncode == 1, refused.stderr  # a gate: exit code unchanged
    line = _refusal(refused.stderr)
    assert "the target's schema changed since the check: " in line
    assert "changed table public.customers" in line
    assert "added index public.ix_email" in line
    assert "(2 objects); run dbci check again and review it" in line
    _nothing_applied(pg_url)
    # Refused again the same way: the refused deploy's report keeps the plan, and the
    # check's snapshot is still beside it.
    again = _deploy(root, pg_url, plan)
    assert again.returncode == 1 and _refusal(again.stderr) == line
    # Put back as the check saw it: the plan is deployed.
    _sql(pg_url, "DROP INDEX public.ix_email")
    _sql(pg_url, "ALTER TABLE public.customers DROP COLUMN email")
    done = _deploy(root, pg_url, plan)
    assert done.returncode == 0, done.stderr
    assert _sql(pg_url, "SELECT max(version::int) FROM flyway_schema_history") == [(2,)]


def test_many_changes_name_five_then_how_many_more(tmp_path: Path, pg_url: str) -> None:
    root, plan = _checked(tmp_path, pg_url)
    for number in range(1, 9):
        _sql(pg_url, f"CREATE TABLE public.extra{number} (id int)")
    refused = _deploy(root, pg_url, plan)
    assert refused.returncode == 1
    line = _refusal(refused.stderr)
    assert line.count("added table public.extra") == 5, line
    assert " and 3 more (8 objects); run dbci check again" in line
    _nothing_applied(pg_url)


@pytest.mark.parametrize("spoil", ["missing", "another-check", "older-format", "not-json"])
def test_without_the_checked_snapshot_the_refusal_is_unnamed(
    tmp_path: Path, pg_url: str, spoil: str
) -> None:
    root, plan = _checked(tmp_path, pg_url)
    snapshot = plan.parent / "target-snapshot.json"
    if spoil == "missing":
        snapshot.unlink()
    elif spoil == "another-check":  # replaced since: not the schema the plan hashed
        data = json.loads(snapshot.read_text())
        data["objects"] = data["objects"][:1]
        snapshot.write_text(json.dumps(data))
    else:
        if spoil == "older-format":  # an older dbci's file, even one the plan hashed
            data = json.loads(snapshot.read_text())
            text = json.dumps({**data, "format": "dbci-snapshot/1"})
        else:
            text = "{not json"
        snapshot.write_text(text)
        report = json.loads(plan.read_text())
        report["plan"]["schema_sha256"] = hashlib.sha256(text.encode()).hexdigest()
        plan.write_text(json.dumps(report))
    _sql(pg_url, "ALTER TABLE public.customers ADD COLUMN email text")
    refused = _deploy(root, pg_url, plan)
    assert refused.returncode == 1, refused.stderr
    assert _refusal(refused.stderr).endswith(UNNAMED)
    _nothing_applied(pg_url)
