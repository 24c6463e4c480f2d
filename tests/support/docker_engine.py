"""A private Docker engine for the image test: Debian's `docker.io`, its own daemon.

The daemon keeps everything of its own under one temporary directory (data root, exec root,
socket, pid file, log) and touches none of the host's network settings: no bridge, no
iptables or masquerading rules (`--bridge=none --iptables=false --ip-masq=false`), so its
containers run on the host's network (`--network host`). `stop()` ends the daemon and removes
that directory, images and containers with it.

Debian's package is installed when `dockerd` is missing (root only; `apt-get install
docker.io`), as the image test's `make image-test` promises on a fresh Debian machine.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

START_SECONDS = 60.0  # a daemon that does not answer by then has failed to start
STOP_SECONDS = 30.0


class EngineUnavailable(Exception):
    """The Docker engine could not be installed or started (the reason, one paragraph)."""


def _install_docker_io() -> None:
    """Debian's docker.io, when there is no dockerd (root only)."""
    if os.geteuid() != 0:
        raise EngineUnavailable("dockerd is not installed and only root can install docker.io")
    for args in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "docker.io"]):
        result = subprocess.run(
            args,
            capture_output=True,
            text=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            timeout=900,
        )
        if result.returncode != 0:
            tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            raise EngineUnavailable(f"{' '.join(args)} failed: {' / '.join(tail)}")


def _docker_client(dockerd: str) -> str:
    """The client installed beside `dockerd` (Debian's /usr/bin/docker), else the PATH's.

    Another client found first on the PATH may be much newer than Debian's daemon; the one
    of the same package always speaks its API."""
    beside = Path(dockerd).resolve().parent.parent / "bin" / "docker"
    if beside.is_file():
        return str(beside)
    found = shutil.which("docker")
    if found is None:
        raise EngineUnavailable("no docker client beside dockerd or on the PATH")
    return found


@dataclass
class DockerEngine:
    """A running private daemon; `docker(...)` runs its client against it."""

    root: Path
    client: str
    process: subprocess.Popen[bytes]
    started_seconds: float
    _stopped: bool = field(default=False, repr=False)

    @property
    def socket(self) -> Path:
        return self.root / "docker.sock"

    @property
    def environ(self) -> dict[str, str]:
        """The environment for a client of this daemon (and only this one)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
        env["DOCKER_HOST"] = f"unix://{self.socket}"
        env["DOCKER_BUILDKIT"] = "0"  # the classic builder: it uses the imported base as is
        return env

    def docker(
        self, *args: str, timeout: float = 600, input: bytes | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[bytes]:
        """Run `docker ARGS` against this daemon; a failure raises with its output."""
        result = subprocess.run(
            [self.client, *args],
            capture_output=True,
            env=self.environ,
            timeout=timeout,
            input=input,
        )
        if check and result.returncode != 0:
            output = (result.stdout + result.stderr).decode(errors="replace")
            raise AssertionError(f"docker {' '.join(args[:3])} … failed:\n{output[-4000:]}")
        return result

    def log_tail(self, lines: int = 20) -> str:
        path = self.root / "dockerd.log"
        if not path.is_file():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """End the daemon (and the containers it still runs) and remove all its data."""
        if self._stopped:
            return
        self._stopped = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        # Whatever the daemon left mounted under its root (an overlay of a container that
        # was running) is unmounted before the directory goes.
        mounts = Path("/proc/self/mounts").read_text().splitlines()
        inside = sorted(
            (line.split()[1] for line in mounts if line.split()[1].startswith(str(self.root))),
            key=len,
            reverse=True,
        )
        for mount in inside:
            subprocess.run(["umount", "-l", mount], capture_output=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def start_engine() -> DockerEngine:
    """Install (when missing) and start a private Docker daemon; EngineUnavailable if it
    cannot start."""
    dockerd = shutil.which("dockerd") or (
        "/usr/sbin/dockerd" if Path("/usr/sbin/dockerd").is_file() else None
    )
    if dockerd is None:
        _install_docker_io()
        dockerd = shutil.which("dockerd") or "/usr/sbin/dockerd"
    client = _docker_client(dockerd)
    # A short path: the daemon's sockets live under it (a socket path has ~100 bytes).
    root = Path(tempfile.mkdtemp(prefix="dbci-docker-", dir="/tmp"))
    log = (root / "dockerd.log").open("wb")
    started = time.monotonic()
    process = subprocess.Popen(
        [
            dockerd,
            "--data-root", str(root / "data"),
            "--exec-root", str(root / "exec"),
            "--pidfile", str(root / "docker.pid"),
            "-H", f"unix://{root / 'docker.sock'}",
            "--bridge=none",
            "--iptables=false",
            "--ip-masq=false",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a Ctrl-C of the test reaches it only through stop()
    )
    log.close()
    engine = DockerEngine(root=root, client=client, process=process, started_seconds=0.0)
    deadline = started + START_SECONDS
    while True:
        if process.poll() is not None:
            tail = engine.log_tail()
            engine.stop()
            raise EngineUnavailable(f"dockerd exited with {process.returncode}:\n{tail}")
        if engine.socket.exists():
            if engine.docker("version", check=False, timeout=30).returncode == 0:
                break
        if time.monotonic() > deadline:
            tail = engine.log_tail()
            engine.stop()
            raise EngineUnavailable(f"dockerd did not answer in {START_SECONDS:.0f} s:\n{tail}")
        time.sleep(0.2)
    engine.started_seconds = time.monotonic() - started
    return engine
