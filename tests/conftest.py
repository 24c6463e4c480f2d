"""Database fixtures for the whole suite. Real databases only; PostgreSQL tests never skip.

MySQL/MariaDB comes from `DBCI_TEST_MYSQL_URL`: skipped with the reason when unset or
unreachable, failed instead under `CI=true`.

Under CI (`support.ci.running_in_ci()`, the suite's one reading of `CI`) every skip is a
failure, unless the test is marked `@pytest.mark.optional(reason=...)`; the optional tests
that were skipped are listed, with their reasons, at the end of the run. The hooks that do it
live in `support/ci.py`, loaded below as a plugin.

PostgreSQL comes from `DBCI_TEST_POSTGRES_URL` if set and reachable, else from an embedded
`pgserver` started once per session. Under `CI=true` an unreachable `DBCI_TEST_POSTGRES_URL`
fails every test that needs PostgreSQL. The implementation lives in `tests/support/` so
plain scripts can use it too.
"""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import hypothesis
import pytest

try:  # tests/ is on sys.path (it has no __init__.py)
    from support import ci, cli, mysql, postgres
except ImportError:  # pragma: no cover - if tests/ ever becomes a package
    from tests.support import ci, cli, mysql, postgres

# pytester: the suite's own checks of the CI hooks (tests/test_ci_gate.py).
pytest_plugins = ["pytester"]

# Hypothesis fails an example that takes longer than 200 ms by default: a wall-clock limit
# that a busy CI machine breaks, and not what the property tests check. No deadline.
hypothesis.settings.register_profile("dbci", deadline=None)
hypothesis.settings.load_profile("dbci")


def pytest_configure(config: pytest.Config) -> None:
    """Load the CI gate (support/ci.py): under CI every skip is a failure, except the tests
    marked `optional(reason=...)`, listed at the end. Registered here rather than through
    `pytest_plugins`, which would ask to rewrite a module conftest has already imported."""
    if not config.pluginmanager.is_registered(ci):
        config.pluginmanager.register(ci, "dbci-ci-gate")

DATA = Path(__file__).parent / "data"  # files the tests check against


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[postgres.PgCluster]:
    """The session's PostgreSQL server (external or embedded), stopped at session end."""
    try:
        cluster = postgres.open_cluster()
    except postgres.PostgresUnavailable as err:
        problem = str(err)
    else:
        problem = None
    if problem is not None:  # fail outside `except` so the report shows one clean message
        pytest.fail(f"PostgreSQL unavailable: {problem}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture(scope="session")
def pg_admin_url(pg_cluster: postgres.PgCluster) -> str:
    """`postgresql+psycopg://` URL of the server's maintenance database `postgres`."""
    return pg_cluster.admin_url


@pytest.fixture
def pg_url(pg_cluster: postgres.PgCluster) -> Iterator[str]:
    """URL of a fresh, empty `dbci_t_<8 hex>` database, dropped (WITH FORCE) after the test."""
    with pg_cluster.scratch_database() as url:
        yield url


@pytest.fixture(scope="session")
def pg_password_server() -> Iterator[postgres.PasswordServer]:
    """A separate cluster needing a scram-sha-256 password (dbci / s3cret-pw, database dbci).

    Started only when a test asks for it; stopped and deleted at session end.
    """
    with ExitStack() as stack:
        yield postgres.enter_password_server(stack)


@pytest.fixture(scope="session")
def mysql_server() -> mysql.MySQLServer:
    """The MySQL/MariaDB server of `DBCI_TEST_MYSQL_URL`; skipped without one (a failure
    under CI, as every skip is)."""
    try:
        return mysql.open_server()
    except mysql.MySQLUnavailable as err:
        problem = str(err)
    pytest.skip(f"MySQL unavailable: {problem}")


@pytest.fixture
def mysql_url(mysql_server: mysql.MySQLServer) -> Iterator[str]:
    """URL (`mysql://`) of a fresh, empty `dbci_t_<8 hex>` database, dropped after the test."""
    with mysql_server.scratch_database() as url:
        yield url


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A local TCP server that accepts connections and never says a word (a hung host)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=2)
        for connection in held:
            connection.close()
        server.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """`sqlite:///<tmp_path>/test.db` (the file does not exist yet)."""
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(scope="session")
def junit_schema() -> Any:
    """JUnit's XML schema (tests/data/junit.xsd), for the report files dbci writes."""
    import xmlschema

    return xmlschema.XMLSchema(DATA / "junit.xsd")


@pytest.fixture(scope="session")
def sarif_validator() -> Any:
    """A validator of SARIF 2.1.0 (tests/data/sarif-schema-2.1.0.json), the schema checked."""
    import json

    import jsonschema

    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.fixture
def dbci() -> Callable[..., subprocess.CompletedProcess[str]]:
    """`run_dbci(*args, cwd=None, env=None)`: run `python -m dbci` and return the process."""
    return cli.run_dbci
