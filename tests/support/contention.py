"""Proof that concurrent runs really met on the migration lock.

Processes started "at once" may still run one after another (a slow start, a loaded
machine), and a test that only checks the end state would pass either way. So the test
takes the migration lock itself (`migration_lock_held`), starts the runs, and lets go only
once every one of them has said it is waiting for that lock (`wait_for_all`): by then
all of them are alive at the same moment and queued on one lock, which is what the test is
about. Output is read as it comes, by threads, so a process never blocks on a full pipe.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

WAITING = "Waiting for another migration to finish (lock)"
HISTORY = "flyway_schema_history"


def java_hash(text: str) -> int:
    """Java's `String.hashCode()` (UTF-16 code units, signed 32-bit), as Flyway uses it."""
    value = 0
    data = text.encode("utf-16-be")
    for i in range(0, len(data), 2):
        value = (31 * value + int.from_bytes(data[i : i + 2], "big")) & 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


# Flyway's PostgreSQLAdvisoryLockTemplate: LOCK_MAGIC_NUM ("Flyway") + table.hashCode().
FLYWAY_MAGIC = (0x46 << 40) + (0x6C << 32) + (0x79 << 24) + (0x77 << 16) + (0x61 << 8) + 0x79


@contextmanager
def migration_lock_held(url: str, schema: str | None = None) -> Iterator[None]:
    """Hold the migration lock dbci takes for `url`'s history table, from the test's own
    session: Flyway's advisory lock (PostgreSQL) or named lock (MySQL/MariaDB), or dbci's
    lock file beside a SQLite database."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme == "sqlite":
        yield from _sqlite_lock(url)
    elif scheme in {"postgresql", "postgres"}:
        yield from _postgres_lock(url, schema or "public")
    elif scheme in {"mysql", "mariadb"}:
        yield from _mysql_lock(url)
    else:
        raise ValueError(f"no migration lock known for {scheme}")


def _postgres_lock(url: str, schema: str) -> Iterator[None]:
    import psycopg

    key = FLYWAY_MAGIC + java_hash(f'"{schema}"."{HISTORY}"')
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(f"SELECT pg_advisory_lock({key})")
        yield  # closing the session releases the lock


def _mysql_lock(url: str) -> Iterator[None]:
    import pymysql

    parts = urlsplit(url)
    database = parts.path.lstrip("/")
    connection = pymysql.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=unquote(parts.username or "root"),
        password=unquote(parts.password or ""),
        autocommit=True,
    )
    try:
        with connection.cursor() as cursor:
            name = f"Flyway-{java_hash(f'`{database}`.`{HISTORY}`')}"
            cursor.execute("SELECT GET_LOCK(%s, 0)", (name,))
            assert cursor.fetchone() == (1,), f"the lock {name} is taken already"
        yield
    finally:
        connection.close()  # a named lock ends with its session


def _sqlite_lock(url: str) -> Iterator[None]:
    from filelock import FileLock

    # dbci's SQLite engine: a lock file in the temp directory, named by the database's path.
    database = Path(url.split(":///", 1)[1]).resolve()
    digest = hashlib.sha1(str(database).encode()).hexdigest()[:16]
    lock = FileLock(str(Path(tempfile.gettempdir()) / f"dbci-sqlite-{digest}.lock"))
    with lock.acquire(timeout=10):
        yield


class Watched:
    """A started process whose stdout and stderr are read as they come."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self._out: list[str] = []
        self._err: list[str] = []
        self._readers = [
            threading.Thread(target=self._read, args=(process.stdout, self._out), daemon=True),
            threading.Thread(target=self._read, args=(process.stderr, self._err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream, into: list[str]) -> None:  # noqa: ANN001 - a text pipe
        for line in iter(stream.readline, ""):
            into.append(line)

    @property
    def out(self) -> str:
        return "".join(self._out)

    def finish(self, timeout: float) -> tuple[int, str, str]:
        """Wait for the exit: (exit code, stdout, stderr)."""
        code = self.process.wait(timeout=timeout)
        for reader in self._readers:
            reader.join(timeout=10)
        return code, self.out, "".join(self._err)



def wait_for_all(watched: Sequence[Watched], pattern: str, timeout: float) -> None:
    """Until every process has printed a match of `pattern` (a multi-line regex). Else
    all are killed and AssertionError says how many did not (or ended first), and what
    one of them said."""
    found = re.compile(pattern, re.MULTILINE)
    deadline = time.monotonic() + timeout
    while True:
        missing = [w for w in watched if not found.search(w.out)]
        if not missing:
            return
        ended = [w for w in missing if w.process.poll() is not None]
        if ended or time.monotonic() > deadline:
            for w in watched:
                w.process.kill()
            code, out, err = (ended or missing)[0].finish(timeout=10)
            raise AssertionError(
                f"{len(missing)} of {len(watched)} runs never printed {pattern!r}"
                f"{' (one ended first)' if ended else ''}; one said (exit {code}):\n{out}{err}"
            )
        time.sleep(0.05)


def waiting_on(database: str) -> str:
    """The pattern of a run waiting for the lock of `database` (its name in the URL): dbci
    names the database it connected to, then says it waits for the migration lock."""
    return rf"^Database: \S*/{re.escape(database)}\b.*\n{re.escape(WAITING)}"
