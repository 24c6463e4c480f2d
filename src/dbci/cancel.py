"""Cancellation: SIGINT (Ctrl-C, GitHub's cancel) and SIGTERM (GitLab's cancel, GitHub's
second signal, `docker stop`) stop a run within seconds, leaving the database as it was
before the running migration.

On the first signal dbci

1. records it, and at once asks the server of every open connection to cancel what it is
   running (`pg_cancel_backend`'s request through libpq, `KILL QUERY` from a side
   connection on MySQL, `interrupt()` on SQLite, `SQLCancel` on ODBC), from a thread of
   its own so that a slow network never holds the signal handler;
2. lets the cancelled statement fail; the code that sees the failure asks `requested()`
   and raises `Cancelled` instead of reporting a failed migration, after rolling the
   migration back. Between statements (the next migration, a lock retry, the next stage)
   `check()` raises it;
3. where the main thread runs no database call (`shielded`) and no clean-up
   (`cleaning_up`), raises `Cancelled` straight from the handler: linting, diffing or
   starting a server stops where it is.

`Cancelled` is a `KeyboardInterrupt`: no `except Exception` swallows it, and psycopg
cancels a query it interrupts on the server before passing it on. Every `with` and
`finally` on the way out releases what it holds: the migration lock, the connections, the
embedded PostgreSQL, a created build database. The command line turns it into one line
and exit 130 (SIGINT) or 143 (SIGTERM). A second signal during that clean-up ends the
process at once, with the same code.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
import weakref
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any, Protocol

_NAMES = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}


class Cancellable(Protocol):
    """What can be cancelled on the server: an open database connection."""

    def cancel_running(self) -> None:
        """Ask the server to cancel the statement running on this connection, if any."""


class Cancelled(KeyboardInterrupt):
    """The run was cancelled by a signal; `exit_code` is 128 + the signal's number."""

    def __init__(self, signum: int, detail: str = "") -> None:
        super().__init__(signum)
        self.signum = signum
        self.detail = detail
        # Whether a stage's report already says the run was cancelled (the stage that
        # wrote it set `detail` to say where): an outer stage does not write it again.
        self.reported = False

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def signal_name(self) -> str:
        return _NAMES.get(signal.Signals(self.signum), f"signal {self.signum}")

    def __str__(self) -> str:
        return f"cancelled by {self.signal_name}" + (f": {self.detail}" if self.detail else "")


class _State:
    def __init__(self) -> None:
        self.signum: int | None = None
        self.event = threading.Event()
        self.open: weakref.WeakSet[Any] = weakref.WeakSet()
        self.lock = threading.Lock()
        # The main thread's depth in database calls and clean-ups: while above zero the
        # handler does not raise (a half-read network reply, a half-stopped server).
        self.deferred = 0
        # Per thread: inside a clean-up, where `check` lets everything run to its end.
        self.local = threading.local()
        # Whether a signal thread counts the signals (`handling_signals`), and how many
        # it has taken.
        self.watched = False
        self.taken = 0


_state = _State()


def requested() -> bool:
    """Whether a signal asked this run to stop."""
    return _state.event.is_set()


def signum() -> int | None:
    """The signal that asked this run to stop, if one did."""
    return _state.signum


def check() -> None:
    """Raise `Cancelled` if a signal asked this run to stop: a point between two steps of
    work (each statement, migration, lock retry, stage). Inside `cleaning_up` it never
    raises: a clean-up runs to its end."""
    if _state.event.is_set() and not getattr(_state.local, "cleaning", 0):
        raise cancelled()


def cancelled(detail: str = "") -> Cancelled:
    """The `Cancelled` to raise for this run's signal (SIGINT when none was recorded)."""
    return Cancelled(_state.signum or signal.SIGINT, detail)


def wait(seconds: float) -> None:
    """Sleep up to `seconds`; a signal ends the sleep with `Cancelled`."""
    if _state.event.wait(seconds):
        check()


def register(connection: Cancellable) -> None:
    """A connection opened: cancel what it runs when a signal comes."""
    with _state.lock:
        _state.open.add(connection)


def unregister(connection: Cancellable) -> None:
    """A connection closed."""
    with _state.lock:
        _state.open.discard(connection)


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """A database call the signal handler must not cut in two (a half-read reply would
    leave the connection unusable for the rollback). On the main thread a signal during
    it only cancels the statement on the server; the call's failure, or the next `check`,
    ends the run. Other threads never run the handler."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _state.deferred += 1
    try:
        yield
    finally:
        _state.deferred -= 1


@contextlib.contextmanager
def cleaning_up() -> Iterator[None]:
    """A clean-up (a rollback, releasing the lock, stopping a server, dropping a build
    database, writing the report): `check` does not raise inside it and the handler does
    not cut into it, so that it runs to its end after a signal."""
    local = _state.local
    local.cleaning = getattr(local, "cleaning", 0) + 1
    try:
        with shielded():
            yield
    finally:
        local.cleaning -= 1


def _cancel_one(connection: Cancellable) -> None:
    with contextlib.suppress(Exception):  # a connection already gone has nothing running
        connection.cancel_running()


def _cancel_all() -> None:
    with _state.lock:
        connections = list(_state.open)
    for connection in connections:
        _cancel_one(connection)


def _received(signum: int) -> None:
    """A signal came: the first one cancels, a second one ends the process at once."""
    _state.taken += 1
    if _state.taken > 1:
        # A second signal: the clean-up of the first is taking too long for the caller.
        name = _NAMES.get(signal.Signals(signum), str(signum))
        os.write(2, f"dbci: error: cancelled again by {name}: stopped at once\n".encode())
        os._exit(128 + (_state.signum or signum))
    _record(signum)
    threading.Thread(target=_cancel_all, name="dbci-cancel", daemon=True).start()


def _record(signum: int) -> None:
    # No lock: the main thread's handler may run while that thread holds `_state.lock`.
    if _state.signum is None:
        _state.signum = signum
    _state.event.set()


def _handle(signum: int, frame: FrameType | None) -> None:
    """The Python handler, on the main thread: with a signal thread (`_watch`) it records
    the signal and raises; without one it also cancels and counts."""
    if _state.watched:
        _record(signum)
    else:
        _received(signum)
    if _state.deferred == 0:
        raise Cancelled(signum)


def _watch(wakeup: socket.socket) -> None:
    """The signal thread: Python's C-level handler writes each signal's number to the
    wakeup socket at once, from whichever thread the kernel chose; this thread reads it and
    cancels on the servers, while the main thread may be blocked in a read from its
    database that only that cancel ends. It stops when the socket's other end closes."""
    while True:
        try:
            received = wakeup.recv(64)
        except InterruptedError:
            continue
        except OSError:
            return
        if not received:
            return
        for number in received:
            if number in _NAMES:
                _received(number)


@contextlib.contextmanager
def handling_signals() -> Iterator[None]:
    """Install the SIGINT and SIGTERM handlers for the body (on the main thread; elsewhere,
    as in a test's worker thread, the body runs without them), then put back what was
    there and forget the run's signal.

    A signal thread (`_watch`) does the cancelling: the kernel may deliver a process's
    signal to any thread, and Python runs the handler on the main thread only when that
    thread next runs Python code. A main thread blocked in its database's reply (PyMySQL's
    socket read) would wait for the statement to end by itself. The signal mask is left as
    it is: processes dbci starts (git, the code analysis' workers, the embedded
    PostgreSQL) inherit it and must still stop on SIGTERM."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[signal.Signals, Callable[[int, FrameType | None], Any] | int | None] = {}
    for number in _NAMES:
        previous[number] = signal.signal(number, _handle)
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    previous_wakeup = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    watcher = threading.Thread(target=_watch, args=(reader,), name="dbci-signals", daemon=True)
    watcher.start()
    _state.watched = True
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous_wakeup)
        # Closing the writing end ends the signal thread's read: a signal already written
        # is still read, and counted, first.
        writer.close()
        watcher.join(timeout=2)
        reader.close()
        _state.watched = False
        for number, handler in previous.items():
            signal.signal(number, handler if handler is not None else signal.SIG_DFL)
        reset()


def reset() -> None:
    """Forget a handled signal (one process may run several commands: the action does)."""
    _state.signum = None
    _state.taken = 0
    _state.event.clear()
