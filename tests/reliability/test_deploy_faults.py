"""Faults during a deploy: the deploying process killed (SIGKILL), or its database
connections ended by the server's administrator (`pg_terminate_backend`, MariaDB's `KILL
CONNECTION`), at a random point of the deploy, fifty runs of each on each engine.

After the fault, on PostgreSQL no migration is recorded as successful without its
effect and none has its effect without its row; on MariaDB, whose DDL cannot be rolled
back, a migration cut off midway is recorded as failed. Then `repair` (where a failed row
was left) and a re-run of the deploy complete, `validate` passes, and every row of every
table is there. Each run's random point is drawn from a seed named in its label, so a
failing run can be replayed.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
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

from dbci.settings.config import Overrides, load_settings

RUNS = 50
MIGRATIONS = 6  # after the seed: V2..V7
SLEEP_MS = 20  # inside each migration: a fault lands inside one about as often as between
ENGINES = {"postgresql": "PostgreSQL", "mysql": "MariaDB"}
FAULTS = {
    "kill": "process killed (SIGKILL)",
    "terminate": "connection terminated",
}


@pytest.fixture(params=list(ENGINES))
def targets(request: pytest.FixtureRequest) -> Iterator[Callable[[], DeployTarget]]:
    """Makes databases on the engine's real server; all dropped afterwards."""
    made: list[DeployTarget] = []
    # The server is asked of pytest here, in its thread; `make` runs in the test's threads.
    server = request.getfixturevalue(
        "pg_cluster" if request.param == "postgresql" else "mysql_server"
    )

    def make() -> DeployTarget:
        kind = PostgresTarget if request.param == "postgresql" else MySQLTarget
        target = kind(server)
        made.append(target)
        return target

    yield make
    for target in made:
        target.drop()


def _seeded(target: DeployTarget, root: Path) -> None:
    """An empty target, then V1 (the customers) deployed, as before any run's fault."""
    from dbci.stages.deploy.stage import deploy

    target.reset()
    done = deploy(Overrides(project=root, environment="target", settings={"target": "1"}))
    assert done.status == "success", done.targets[0].error


def _deploy_with_fault(
    target: DeployTarget, root: Path, fault: str, delay: float
) -> tuple[int, str, str]:
    """Start `dbci deploy`; once it has connected, wait `delay` seconds and strike."""
    process = start_deploy(root)
    assert process.stdout is not None
    first = process.stdout.readline()  # "Database: …", printed once connected
    time.sleep(delay)
    if fault == "kill":
        process.kill()
    else:
        target.terminate_connections()
    out, err = process.communicate(timeout=180)
    return process.returncode, first + out, err


def _window(target: DeployTarget, root: Path) -> float:
    """How long a whole deploy runs after connecting (the median of three): the span the
    faults are drawn from."""
    spans = []
    for _ in range(3):
        _seeded(target, root)
        process = start_deploy(root)
        assert process.stdout is not None
        process.stdout.readline()
        started = time.monotonic()
        assert process.wait(timeout=180) == 0, process.communicate()
        spans.append(time.monotonic() - started)
    return sorted(spans)[1]


def test_deploys_cut_off_at_random_points_recover(
    targets: Callable[[], DeployTarget], tmp_path: Path, scenarios
) -> None:
    # The two kinds of fault run side by side, each on its own database: a run mostly
    # waits (on its subprocesses, the server, the fault's delay), and two cores are there.
    with ThreadPoolExecutor(max_workers=len(FAULTS)) as pool:
        struck = dict(
            zip(
                FAULTS,
                pool.map(
                    lambda fault: _runs(targets(), fault, tmp_path / fault, scenarios), FAULTS
                ),
                strict=True,
            )
        )
    # A fault drawn after a deploy's end cuts nothing off, and the machine's load moves the
    # end; but most must land inside, else the runs prove little.
    for fault, count in struck.items():
        assert count >= RUNS // 4, f"{fault}: only {count} of {RUNS} deploys were cut off"


def _runs(target: DeployTarget, fault: str, root: Path, scenarios: Any) -> int:
    """RUNS deploys to `target`, each cut off by `fault`; how many the fault cut off."""
    from dbci.migrate.commands import validate
    from dbci.migrate.lifecycle import repair
    from dbci.stages.deploy.stage import deploy

    root = write_scenario(root, target, MIGRATIONS, SLEEP_MS)
    versions = [str(v) for v in range(1, MIGRATIONS + 2)]
    expected = {"customers": SEED_ROWS} | {
        f"m{v}": ROWS_PER_TABLE for v in range(2, MIGRATIONS + 2)
    }
    settings = load_settings(Overrides(project=root, environment="target"))
    transactional = target.engine == "postgresql"
    window = _window(target, root)  # some faults land after the end: harmless too
    family = f"faults: {FAULTS[fault]} ({ENGINES[target.engine]})"
    struck = 0
    for number in range(RUNS):
        seed = f"{target.engine}-{fault}-{number}"
        with scenarios.run(family, f"seed {seed!r}") as run:
            run.data_checked = True
            _seeded(target, root)
            code, out, err = _deploy_with_fault(
                target, root, fault, random.Random(seed).uniform(0, window)
            )
            assert "Traceback" not in out + err
            if fault == "terminate" and code != 0:
                # Cut off from its database, the deploy ends with one line, exit 3.
                assert code == 3 and len(err.strip().splitlines()) == 1, (code, err)
            struck += code != 0
            target.settle()  # what the server still had of the deploy is done
            lost = lost_data(target, failed_rows_count=not transactional)
            run.data_lost = bool(lost)
            assert not lost, lost
            history = target.history()
            # The recovery runs in this process: the same functions as `dbci repair`,
            # `dbci deploy` and `dbci validate`, without three more interpreters' start.
            if transactional:
                assert not history.failures(), history.rows
            elif history.failures():
                repair(settings)
            rerun = deploy(Overrides(project=root, environment="target")).targets[0]
            assert rerun.status == "success", rerun.error
            checked = validate(settings)
            assert not checked.problems, [str(p) for p in checked.problems]
            lost = lost_data(target)
            run.data_lost = bool(lost)
            assert not lost, lost
            assert target.tables() == expected
            assert target.history().successes() == versions
    scenarios.note(f"{family}: {struck} of {RUNS} deploys cut off (the others exited 0)")
    return struck
