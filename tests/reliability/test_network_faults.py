"""Network faults: a host that refuses, and a host that accepts the connection and never
answers. Each command fails within the configured connect timeout, in one line with exit
3 and no password, on every engine with a network protocol; nothing hangs."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from support.projects import write_project
from support.timing import Bound, hanging_up, timed

TIMEOUT_SECONDS = 2

pytestmark = pytest.mark.scenario("network: refused or silent host")


def _closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@pytest.mark.parametrize("scheme", ["postgresql", "mysql"])
@pytest.mark.parametrize("fault", ["silent", "refused"])
@pytest.mark.parametrize("command", ["info", "migrate", "validate"])
def test_a_dead_host_fails_within_the_timeout(
    tmp_path: Path, dbci, silent_server: int, scheme: str, fault: str, command: str
) -> None:
    port = silent_server if fault == "silent" else _closed_port()
    root = write_project(tmp_path, {"V1__t.sql": "CREATE TABLE t (id INT);\n"})
    (root / "flyway.toml").write_text(f"[flyway]\nconnectTimeout = {TIMEOUT_SECONDS}\n")
    # The bound: the connect timeout, plus what the same command costs against a host that
    # hangs up at once (Python's start, the driver's import, a connection; no wait). A
    # silent host never answers: without the timeout the run would last until the test's
    # own process timeout, and fail.
    with hanging_up() as reference_port:
        reference = f"{scheme}://dbci:pa55-w0rd@127.0.0.1:{reference_port}/app"
        _, took = timed(lambda: dbci(command, "--url", reference, cwd=root))
    bound = Bound(wait=TIMEOUT_SECONDS, reference=took)
    url = f"{scheme}://dbci:pa55-w0rd@127.0.0.1:{port}/app"
    done, elapsed = timed(lambda: dbci(command, "--url", url, cwd=root))
    assert done.returncode == 3, done.stderr
    bound.check(elapsed, f"{command} against a {fault} host")
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dbci: error: cannot connect to ")
    assert "pa55-w0rd" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
