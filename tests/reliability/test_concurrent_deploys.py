"""Concurrency: eight `dbci deploy` processes start together against one target, twenty
rounds on PostgreSQL and twenty on MariaDB. Every process exits 0, every migration is
applied exactly once (by one of them), the history has one successful row per migration
and nothing else, and every table holds all its rows. Each round proves the eight met: the
test holds the target's migration lock until all eight say they wait for it, then lets
them race for it (tests/support/contention.py)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.contention import Watched, migration_lock_held, wait_for_all, waiting_on
from support.targets import (
    ROWS_PER_TABLE,
    SEED_ROWS,
    DeployTarget,
    MySQLTarget,
    PostgresTarget,
    lost_data,
    start_deploy,
    write_scenario,
)

ROUNDS = 20
PROCESSES = 8
MIGRATIONS = 10  # after the seed: V2..V11
SLEEP_MS = 10  # inside each migration, so that the processes meet on the lock
ENGINES = {"postgresql": "PostgreSQL", "mysql": "MariaDB"}
_APPLIED = re.compile(r"^Deploy target: success, .* \((\d+) applied\)$", re.MULTILINE)


@pytest.fixture(params=list(ENGINES))
def target(request: pytest.FixtureRequest) -> Iterator[DeployTarget]:
    """An empty database on the engine's real server, dropped afterwards."""
    if request.param == "postgresql":
        made: DeployTarget = PostgresTarget(request.getfixturevalue("pg_cluster"))
    else:
        made = MySQLTarget(request.getfixturevalue("mysql_server"))
    yield made
    made.drop()


def test_eight_deploys_at_once_apply_each_migration_once(
    target: DeployTarget, tmp_path: Path, scenarios
) -> None:
    root = write_scenario(tmp_path, target, MIGRATIONS, SLEEP_MS)
    versions = [str(v) for v in range(1, MIGRATIONS + 2)]
    expected_tables = {"customers": SEED_ROWS} | {
        f"m{v}": ROWS_PER_TABLE for v in range(2, MIGRATIONS + 2)
    }
    family = f"concurrency: {PROCESSES} deploys at once ({ENGINES[target.engine]})"
    for round_ in range(1, ROUNDS + 1):
        with scenarios.run(family, f"round {round_}") as run:
            run.data_checked = True
            target.reset()
            with migration_lock_held(target.url):
                runs = [Watched(start_deploy(root)) for _ in range(PROCESSES)]
                wait_for_all(runs, waiting_on(target.name), timeout=120)
            finished = [run.finish(timeout=180) for run in runs]
            history = target.history()
            tables = target.tables()
            run.data_lost = bool(lost_data(target))
            for code, out, err in finished:
                assert code == 0, f"exit {code}: {err.strip() or out.strip()}"
                assert "Traceback" not in out + err
            assert Counter(v for v, _ in history.rows) == Counter(versions), history.rows
            assert not history.failures(), history.rows
            applied = [int(m.group(1)) for _, out, _ in finished for m in _APPLIED.finditer(out)]
            assert len(applied) == PROCESSES and sum(applied) == len(versions), applied
            assert tables == expected_tables
