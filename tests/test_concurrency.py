"""Several `dbci migrate` runs against one database: each migration is applied once.

The runs are proved to have met: the test holds the migration lock until every one of
them says it waits for it, then lets them race (tests/support/contention.py)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from support.contention import Watched, migration_lock_held, wait_for_all, waiting_on
from support.projects import write_project

RUNS = 4
MIGRATIONS = 15


def start(root: Path, url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "dbci", "--project", str(root), "--url", url, "migrate"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("engine", ["postgresql", "sqlite"])
def test_concurrent_migrates_apply_each_migration_once(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue("pg_url" if engine == "postgresql" else "sqlite_url")
    slow = "select pg_sleep(0.02);\n" if engine == "postgresql" else ""
    root = write_project(
        tmp_path,
        {f"V{n}__m{n}.sql": f"create table m{n} (a int);\n{slow}" for n in range(1, MIGRATIONS)},
    )
    with migration_lock_held(url):
        runs = [Watched(start(root, url)) for _ in range(RUNS)]
        wait_for_all(runs, waiting_on(Path(sa.make_url(url).database or "").name), timeout=60)
    results = [run.finish(timeout=120) for run in runs]
    for code, out, err in results:
        assert code == 0, out + err
    engine_ = sa.create_engine(url)
    with engine_.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT version, success FROM flyway_schema_history ORDER BY installed_rank")
        ).all()
    engine_.dispose()
    counts = Counter(r[0] for r in rows)
    assert sorted(counts, key=float) == [str(n) for n in range(1, MIGRATIONS)]
    assert set(counts.values()) == {1}
    assert all(r[1] for r in rows)
    applied_by = [out.count("Migrated schema") for _, out, _ in results]
    assert sum(applied_by) == MIGRATIONS - 1  # one run did the work, the others found none
