"""Who holds the lock a migration waits for, seen while it waits.

Once a lock timeout has ended the wait, the server no longer says what the statement was
waiting for. So while a writing session runs a statement for longer than a moment, a
thread asks a second connection (opened only then) what that session waits for and who
holds it (PostgreSQL: `pg_locks` and `pg_blocking_pids`; MySQL: the process list, InnoDB's
transactions and lock waits). A statement that then fails on its lock timeout is reported
with the last answer. Statements that finish quickly cost nothing but two clock reads.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from dbci.migrate.locking import LockWait

if TYPE_CHECKING:
    from dbci.engines.base import Database


class LockWatch:
    """Watches one connection's statements for lock waits (see the module's doc)."""

    def __init__(self, db: Database, *, after: float) -> None:
        self.db = db
        self.after = after  # seconds a statement runs before the first look
        self.backend = db.backend_id()
        self._side: Database | None = None
        self._seen: tuple[float, LockWait] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dbci-lockwatch", daemon=True)
        self._thread.start()

    def latest(self, max_age: float) -> LockWait | None:
        """The last lock wait seen, if it was seen within `max_age` seconds: what the
        statement that just timed out on its lock was waiting for."""
        seen = self._seen
        if seen is None or time.monotonic() - seen[0] > max_age:
            return None
        return seen[1]

    def close(self) -> None:
        """Stop watching; close the side connection."""
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        side, self._side = self._side, None
        if side is not None:
            side.close()

    def _run(self) -> None:
        interval = max(0.1, self.after / 2)
        while not self._stop.wait(interval):
            started = self.db.running_since
            if started is None or time.monotonic() - started < self.after:
                continue
            wait = self._look()
            if wait is not None and self.db.running_since == started:
                self._seen = (time.monotonic(), wait)

    def _look(self) -> LockWait | None:
        if self.backend is None:
            return None
        from dbci import cancel
        try:
            # A look that fails (or a run being cancelled) only costs the detail.
            with cancel.cleaning_up():
                if self._side is None:
                    self._side = type(self.db).connect(
                        self.db.url, where=self.db.where, connect_timeout=5
                    )
                    cancel.unregister(self._side)  # its short queries need no cancelling
                return self._side.describe_lock_wait(self.backend)
        except BaseException:  # noqa: BLE001 - this thread must never die loudly
            return None
