"""Timing checks that hold on any machine: a cost compared with a reference measured in the
same run, never with a fixed number of seconds."""

from __future__ import annotations

import gc
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


def best_time(run: Callable[[], object], tries: int = 3) -> float:
    """The shortest of `tries` runs, in seconds (the least disturbed by the machine).

    Python's cyclic garbage collector is run before and paused during each try: its pauses
    grow with every object the whole test process holds (what earlier tests left), not with
    the work measured, and would make a linear cost look quadratic late in a long run."""
    best = float("inf")
    enabled = gc.isenabled()
    try:
        for _ in range(tries):
            gc.collect()
            gc.disable()
            started = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - started)
            if enabled:
                gc.enable()
    finally:
        if enabled:
            gc.enable()
    return best


def growth(run: Callable[[int], object], small: int, large: int) -> float:
    """How many times longer `run(large)` takes than `run(small)`: about large/small when
    the cost is linear, its square when quadratic."""
    return best_time(lambda: run(large)) / max(best_time(lambda: run(small)), 1e-6)


# ---- bounded waits -------------------------------------------------------------------------
#
# A timeout, a lock wait or a cancellation is a real contract ("ends within the connect
# timeout", "a cancelled run stops at once"), but a fixed number of seconds for it holds on
# one machine only. So the bound is the wait the run makes by design plus a few times what
# the same run costs without the fault, measured in the same test (start-up, imports,
# connect, work), plus a little slack for the scheduler. And the fault's blocker lasts, by
# the test's choice, well past that bound: a run that ignored its timeout would last until
# the blocker lets go, so it cannot pass.

SLACK = 0.5
"""Seconds allowed over a bound for the scheduler's hiccups: small beside every wait the
tests configure, so that it never hides a missing timeout."""


def timed(run: Callable[[], T]) -> tuple[T, float]:
    """`run()`'s result and how long it took, in seconds."""
    started = time.monotonic()
    result = run()
    return result, time.monotonic() - started


@dataclass(frozen=True)
class Bound:
    """How long a run may take that waits `wait` seconds by design (a configured timeout, so
    many lock timeouts and back-offs; 0 for "at once") and otherwise does what a `reference`
    run of the same test did, measured there (the same command without the fault):
    `wait + factor × reference + slack`. Relative to the reference, it holds on a slow or a
    busy machine as well as on a fast one."""

    wait: float
    reference: float
    factor: float = 3.0
    slack: float = SLACK

    @property
    def limit(self) -> float:
        return self.wait + self.factor * self.reference + self.slack

    def release(self, at_least: float = 0.0) -> float:
        """When the test's blocker should let go by itself (a late answer, a lock given up, a
        long statement's end): twice the limit, and at least `at_least`. A run without the
        feature under test lasts until then, far past the limit."""
        return max(at_least, 2 * self.limit)

    def check(self, elapsed: float, what: str = "the run") -> None:
        """AssertionError unless `elapsed` is within the limit; the message says how the
        limit was made."""
        assert elapsed <= self.limit, (
            f"{what} took {elapsed:.2f} s, more than its bound of {self.limit:.2f} s = "
            f"{self.wait:g} s of waiting by design + {self.factor:g} × {self.reference:.2f} s "
            f"(the same run without the fault, measured in this test) + {self.slack:g} s"
        )


@contextmanager
def hanging_up() -> Iterator[int]:
    """A local port whose server takes each connection and closes it at once: a database
    client fails there as soon as it has started, loaded its driver and connected, with
    no wait at all. The reference of a run that connects to a dead host: what that run
    costs besides its wait. Yields the port."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        server.close()
