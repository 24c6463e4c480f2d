"""The embedded PostgreSQL build database: the `pgserver` package's binaries, started for
one build in a temporary folder and stopped (at once: its data is thrown away) after it.

A user with no passwd entry (`docker run --user 1234:1234`, OpenShift) gets its initdb run
with nss_wrapper (see `dbci.engines.postgresql.nss_wrapper`)."""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dbci import cancel
from dbci.engines.postgresql import nss_wrapper
from dbci.errors import DatabaseUnavailable, InputError


@contextmanager
def embedded_postgresql(directory: Path) -> Iterator[tuple[str, str]]:
    """Start PostgreSQL in `directory`; yield (its URL, where the URL comes from); stop it."""
    try:
        server = _start_pgserver(directory)
    except BaseException:
        # Cut off while it started (a signal): pgserver may have started the server
        # without handing it over.
        with cancel.cleaning_up():
            _stop_postmaster(directory / "pgdata")
        raise
    try:
        yield server.get_uri("postgres"), "the embedded PostgreSQL"
    finally:
        with cancel.cleaning_up():
            _stop_embedded(server, directory / "pgdata")


def _stop_embedded(server: Any, pgdata: Path) -> None:
    """Stop the embedded server, whose data is thrown away next: an immediate shutdown,
    not pgserver's `pg_ctl stop` (a checkpoint, under a lock that every pgserver on the
    machine shares, so that one build's teardown waits for another's initdb). pgserver is
    then told there is nothing left to stop at exit."""
    _stop_postmaster(pgdata)
    cleanup = getattr(server, "_cleanup", None)
    if cleanup is not None:
        atexit.unregister(cleanup)
    else:  # another pgserver than the one this was written for: its own way
        server.cleanup()


def _stop_postmaster(pgdata: Path, wait_seconds: float = 5.0) -> None:
    """Stop a PostgreSQL still running in `pgdata` (its `postmaster.pid`), at once: an
    immediate shutdown (SIGQUIT), as `pg_ctl stop -m immediate` sends; the data is thrown
    away next. Nothing when none runs there."""
    lockfile = pgdata / "postmaster.pid"
    try:
        pid = int(lockfile.read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, signal.SIGQUIT)
    except ProcessLookupError:
        return
    except PermissionError:  # not ours (pgserver runs it as its own user under root)
        pass
    # Done when the postmaster has removed its lock file on the way out, or is gone (a
    # dead process that its parent has not reaped yet counts as gone).
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline and lockfile.exists() and _running(pid):
        time.sleep(0.01)


def _running(pid: int) -> bool:
    """Whether process `pid` runs (a zombie does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return not Path("/proc").is_dir()  # /proc had no entry: gone
    return state not in ("Z", "X")


def _start_pgserver(directory: Path) -> Any:
    """Start PostgreSQL from the `pgserver` package's binaries in `directory`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: no XDG_RUNTIME_DIR on CI machines
        try:
            import pgserver
        except ImportError:
            raise InputError(
                "the embedded PostgreSQL needs the pgserver package (pip install pgserver), "
                "or configure a build environment"
            ) from None
        pgdata = directory / "pgdata"
        if nss_wrapper.needed():
            # A user with no passwd entry (docker run --user 1234): initdb, the one tool that
            # needs the entry, is run here with nss_wrapper in its own environment (pgserver
            # takes none for its tools, and dbci's os.environ is left alone); pgserver then
            # finds the data folder made and only starts the server, as it would anyway.
            _initdb(pgdata, nss_wrapper.initdb_environment(directory / "nss", home=directory))
        try:
            # pgserver's __init__ re-exports get_server without listing it in __all__.
            return pgserver.get_server(pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
        except Exception as exc:
            raise DatabaseUnavailable(
                f"the embedded PostgreSQL did not start: {' '.join(str(exc).split())[:300]}"
            ) from None


def _initdb(pgdata: Path, env: dict[str, str]) -> None:
    """Make the data folder `pgdata` with pgserver's initdb, in the environment `env`, as
    pgserver itself makes it (trust logins, UTF-8, the superuser `postgres` that its URLs
    name)."""
    from pgserver._commands import POSTGRES_BIN_PATH

    command = [str(POSTGRES_BIN_PATH / "initdb"), "-D", str(pgdata)]
    command += ["--auth=trust", "--auth-local=trust", "--encoding=utf8", "-U", "postgres"]
    try:
        # initdb leaves no process behind that could hold the pipes open.
        done = subprocess.run(
            command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True
        )
    except OSError as exc:
        raise DatabaseUnavailable(f"the embedded PostgreSQL did not start: initdb: {exc}") from None
    if done.returncode != 0:
        said = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[0]
        raise DatabaseUnavailable(
            f"the embedded PostgreSQL did not start: initdb failed (exit {done.returncode}): "
            f"{said[:300]}"
        )
