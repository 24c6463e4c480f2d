"""`dbci deploy`: several targets, the drift gate, the checked plan, the lock, failures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import psycopg
from support.cli import run_dbci
from support.postgres import libpq_url
from support.projects import write_project

FILES = {
    "V1__a.sql": "CREATE TABLE a (id int PRIMARY KEY);\n",
    "V2__b.sql": "CREATE TABLE b (id int);\n",
}


def _rows(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


def _toml(**envs: str) -> str:
    return "".join(f'[environments.{name}]\nurl = "{url}"\n' for name, url in envs.items())


def test_two_targets_in_parallel_and_a_drifted_one_refuses(
    tmp_path: Path, pg_url: str, pg_cluster: object
) -> None:
    with pg_cluster.scratch_database() as other:  # type: ignore[attr-defined]
        root = write_project(tmp_path / "p", FILES, _toml(qa=pg_url, uat=other))
        done = run_dbci("--project", root, "--output", "json", "deploy", "-e", "qa,uat")
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert report["deploy"]["status"] == "success"
        assert [(t["environment"], t["to_version"]) for t in report["deploy"]["targets"]] == [
            ("qa", "2"),
            ("uat", "2"),
        ]
        assert _rows(other, "SELECT count(*) FROM dbci_snapshot_history") == [(1,)]
        _rows(pg_url, "ALTER TABLE a ADD COLUMN x int")
        (root / "migrations" / "V3__c.sql").write_text("CREATE TABLE c (id int);\n")
        done = run_dbci("--project", root, "--output", "json", "deploy", "-e", "qa,uat")
        assert done.returncode == 1
        targets = {t["environment"]: t for t in json.loads(done.stdout)["deploy"]["targets"]}
        assert targets["qa"]["status"] == "failed" and "has drifted" in targets["qa"]["error"]
        assert targets["qa"]["drift"] == [
            {"change": "Change", "type": "table", "schema": "public", "name": "a"}
        ]
        assert targets["uat"]["status"] == "success" and targets["uat"]["to_version"] == "3"
        assert _rows(pg_url, "SELECT max(version::int) FROM flyway_schema_history") == [(2,)]
        forced = run_dbci("--project", root, "deploy", "-e", "qa", "--no-fail-on-drift")
        assert forced.returncode == 0, forced.stderr


def test_deploy_holds_to_the_checked_plan(tmp_path: Path, pg_url: str) -> None:
    root = write_project(tmp_path / "p", FILES)
    assert run_dbci("--project", root, "--url", pg_url, "migrate", "--target", "1").returncode == 0
    assert run_dbci("--project", root, "--url", pg_url, "check", "--code").returncode == 0
    plan = root / "dbci-report" / "report.json"
    assert json.loads(plan.read_text())["plan"]["pending"][0]["script"] == "V2__b.sql"
    (root / "migrations" / "V2__b.sql").write_text("CREATE TABLE b (id bigint);\n")
    changed = run_dbci("--project", root, "--url", pg_url, "deploy", "--plan", plan)
    assert changed.returncode == 1
    assert "the migrations changed since the check (now pending or changed: V2__b.sql" in (
        changed.stderr
    )
    assert run_dbci("--project", root, "--url", pg_url, "check").returncode == 0
    _rows(pg_url, "CREATE INDEX a_id ON a (id)")  # the target changes after the check
    moved = run_dbci("--project", root, "--url", pg_url, "deploy", "--plan", plan)
    assert moved.returncode == 1 and "the target's schema changed since the check" in moved.stderr
    _rows(pg_url, "DROP INDEX a_id")
    ok = run_dbci("--project", root, "--url", pg_url, "deploy", "--plan", plan)
    assert ok.returncode == 0, ok.stderr


def test_concurrent_deploys_apply_each_migration_once(tmp_path: Path, pg_url: str) -> None:
    files = {f"V{i}__t{i}.sql": f"CREATE TABLE t{i} (id int);\n" for i in range(1, 21)}
    root = write_project(tmp_path / "p", files)
    cmd = [sys.executable, "-m", "dbci", "--project", str(root), "--url", pg_url, "deploy"]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)
    ]
    codes = [p.wait(timeout=120) for p in procs]
    assert codes == [0, 0, 0, 0], [p.stderr.read() for p in procs]
    rows = _rows(pg_url, "SELECT version, count(*) FROM flyway_schema_history GROUP BY version")
    assert len(rows) == 20 and all(count == 1 for _, count in rows)


def test_a_failing_migration_leaves_the_previous_version(tmp_path: Path, pg_url: str) -> None:
    root = write_project(
        tmp_path / "p", {**FILES, "V3__bad.sql": "CREATE TABLE c (id int);\nSELECT 1/0;\n"}
    )
    done = run_dbci("--project", root, "--url", pg_url, "--output", "json", "deploy")
    assert done.returncode == 1
    assert "V3__bad.sql:2" in done.stderr
    assert _rows(pg_url, "SELECT version, success FROM flyway_schema_history ORDER BY 1") == [
        ("1", True),
        ("2", True),
    ]
    assert _rows(pg_url, "SELECT to_regclass('c')") == [(None,)]
    # The report says what the failed deploy did apply, and where the target is now.
    deployed = json.loads(done.stdout)["deploy"]
    assert [m["version"] for m in deployed["applied"]] == ["1", "2"]
    assert deployed["to_version"] == "2" and deployed["status"] == "failed"


def test_a_stale_snapshot_is_not_taken_for_drift(tmp_path: Path, pg_url: str) -> None:
    """A deploy killed after its migrations and before its snapshot leaves the newest saved
    snapshot behind the history: the next deploy rebuilds instead of calling the migrations
    applied since drift. And history rows deleted by hand are drift again."""
    root = write_project(tmp_path / "p", FILES)
    assert run_dbci("--project", root, "--url", pg_url, "deploy").returncode == 0
    more = write_project(root, {"V3__c.sql": "CREATE TABLE c (id int);\n"})
    # V3 applied by a run that never saved its snapshot (as if killed just before).
    assert run_dbci("--project", more, "--url", pg_url, "migrate").returncode == 0
    more = write_project(root, {"V4__d.sql": "CREATE TABLE d (id int);\n"})
    done = run_dbci("--project", more, "--url", pg_url, "deploy")
    assert done.returncode == 0, done.stderr
    assert "Deploy --url: success, 3 -> 4 (1 applied)" in done.stdout
    _rows(pg_url, "DELETE FROM flyway_schema_history WHERE version = '4'")
    done = run_dbci("--project", more, "--url", pg_url, "deploy")
    assert (
        done.returncode == 1 and "drifted from its migrations (Add table public.d)" in done.stderr
    )


def test_a_snapshot_saved_by_an_older_dbci_is_not_taken_for_drift(
    tmp_path: Path, pg_url: str
) -> None:
    """A snapshot of format dbci-snapshot/1 read fewer kinds of objects (no policies, rules,
    statistics, …): comparing with it would call all of those drift. The deploy compares
    with a rebuild instead, and `check --drift-source snapshot-history` says why it
    cannot use it."""
    root = write_project(tmp_path / "p", FILES)
    assert run_dbci("--project", root, "--url", pg_url, "deploy").returncode == 0
    _rows(pg_url, "ALTER TABLE a ENABLE ROW LEVEL SECURITY")
    _rows(pg_url, "CREATE POLICY a_read ON a USING (id > 0)")
    # What an older dbci saved: a policy and row security it could not see.
    _rows(
        pg_url,
        "UPDATE dbci_snapshot_history SET snapshot = replace(snapshot, "
        "'dbci-snapshot/2', 'dbci-snapshot/1')",
    )
    done = run_dbci(
        "--project", root, "--url", pg_url, "check", "--drift", "--drift-source", "snapshot-history"
    )
    assert done.returncode == 2 and "saved by an older dbci" in done.stderr
    more = write_project(root, {"V3__c.sql": "CREATE TABLE c (id int);\n"})
    done = run_dbci("--project", more, "--url", pg_url, "deploy")
    # The rebuild (the migrations) has neither: the policy is drift, found by the rebuild.
    assert done.returncode == 1 and "Add policy public.a.a_read" in done.stderr, done.stderr


def test_undo_on_failure_is_not_needed_with_transactional_ddl(tmp_path: Path, pg_url: str) -> None:
    root = write_project(tmp_path / "p", {**FILES, "V3__bad.sql": "SELECT 1/0;\n"})
    done = run_dbci("--project", root, "--url", pg_url, "deploy", "--undo-on-failure")
    assert done.returncode == 1
    assert "Undo on failure: not needed, the failed migration was rolled back whole" in done.stdout
    assert _rows(pg_url, "SELECT count(*) FROM flyway_schema_history WHERE success") == [(2,)]


def test_progress_on_a_terminal(tmp_path: Path, pg_url: str) -> None:
    """Attached to a terminal, the migrations' lines overwrite one another with a bar."""
    import os
    import pty

    files = {f"V{i}__t{i}.sql": f"CREATE TABLE t{i} (id int);\n" for i in range(1, 6)}
    root = write_project(tmp_path / "p", files)
    leader, follower = pty.openpty()
    cmd = [sys.executable, "-m", "dbci", "--project", str(root), "--url", pg_url, "deploy"]
    proc = subprocess.Popen(cmd, stdout=follower, stderr=follower)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    assert proc.wait(timeout=60) == 0
    text = out.decode()
    assert "\r[#" in text and "5 applied: Migrated schema" in text


def test_fail_fast_stops_the_targets_not_started(tmp_path: Path, pg_url: str) -> None:
    toml = _toml(broken="postgresql://postgres@127.0.0.1:9/none", qa=pg_url)
    root = write_project(tmp_path / "p", FILES, toml)
    args = ["--project", root, "--output", "json", "deploy", "-e", "broken,qa", "--parallel", "1"]
    both = json.loads(run_dbci(*args).stdout)["deploy"]["targets"]
    assert [t["status"] for t in both] == ["failed", "success"]  # one failure, the other goes on
    _rows(pg_url, "DROP TABLE a, b, flyway_schema_history, dbci_snapshot_history")
    done = run_dbci(*args, "--fail-fast")
    assert done.returncode == 3  # the first failure's code: the database cannot be reached
    fast = json.loads(done.stdout)["deploy"]["targets"]
    assert [t["status"] for t in fast] == ["failed", "skipped"]
