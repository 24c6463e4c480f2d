"""Bounded lock waits: how long a migration may wait for a lock, how often it tries again,
and who was in the way when it gives up.

A migration's `ALTER TABLE` that waits behind a long transaction makes every later query
of that table wait behind it: the classic outage. So every statement of a migration runs
with a lock timeout (PostgreSQL `lock_timeout`, MySQL/MariaDB `lock_wait_timeout` and
`innodb_lock_wait_timeout`, SQL Server `SET LOCK_TIMEOUT`, SQLite's busy timeout): an
application's query queues behind a migration for at most that long. A migration that
times out is rolled back (where the engine can: a statement that commits on its own is
retried alone), waits with a growing back-off, and tries again; after the last attempt it
fails with one line naming the table and the sessions that held it. A `SET lock_timeout`
in the migration itself wins: it runs after dbci's.

Waiting for the migration lock (one dbci or Flyway at a time) follows Flyway's
`lockRetryCount`: a try every second, that many times (-1: forever), then one line naming
the session that holds it.

Settings (`[dbci.deploy]`, for every command that applies migrations): `lock_timeout`
(seconds, default 5; 0 waits as long as the server does), `lock_retries` (further
attempts after the first timeout, default 4), `statement_timeout` (seconds, default 0:
none). `[flyway] lockRetryCount` (default 50).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dbci.settings.config import Settings

DEFAULT_LOCK_TIMEOUT = 5.0  # seconds: what an application's query may wait behind a migration
DEFAULT_LOCK_RETRIES = 4  # after the first timeout: five attempts in all
DEFAULT_LOCK_RETRY_COUNT = 50  # Flyway's default for the migration lock, a try a second
_BACKOFF_FIRST = 1.0  # seconds before the second attempt; doubled each time
_BACKOFF_MAX = 15.0


@dataclass(frozen=True)
class LockPolicy:
    """How a run waits for locks (see the module's doc)."""

    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    lock_retries: int = DEFAULT_LOCK_RETRIES
    statement_timeout: float = 0.0
    lock_retry_count: int = DEFAULT_LOCK_RETRY_COUNT

    @classmethod
    def of(cls, settings: Settings) -> LockPolicy:
        """The policy the settings give (`[dbci.deploy]` and `[flyway] lockRetryCount`)."""
        deploy = settings.dbci.get("deploy", {})
        return cls(
            lock_timeout=_seconds(deploy, "lock_timeout", DEFAULT_LOCK_TIMEOUT),
            lock_retries=_count(deploy, "lock_retries", DEFAULT_LOCK_RETRIES),
            statement_timeout=_seconds(deploy, "statement_timeout", 0.0),
            lock_retry_count=settings.lock_retry_count,
        )

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt `attempt` (1-based): 1, 2, 4, … up to 15,
        with a little jitter so that two deploys that collided do not collide again."""
        growth: int = 2 ** (attempt - 1)  # an int: attempt is at least 1
        base = min(_BACKOFF_FIRST * growth, _BACKOFF_MAX)
        return base * random.uniform(0.8, 1.2)

    def attempts_text(self) -> str:
        attempts = self.lock_retries + 1
        return f"{attempts} attempt{'s' * (attempts != 1)}"


def milliseconds(seconds: float) -> int:
    """A timeout in whole milliseconds, at least 1 (the engines' settings take no 0 here:
    0 would mean "wait for ever")."""
    return max(1, int(round(seconds * 1000)))


NO_WAIT_LIMITS = LockPolicy(lock_timeout=0.0, lock_retries=0, statement_timeout=0.0)


def _seconds(table: dict[str, Any], key: str, default: float) -> float:
    # Checked where the file is read (keys._check_dbci): a number of 0 or more.
    return float(table.get(key, default))


def _count(table: dict[str, Any], key: str, default: int) -> int:
    return int(table.get(key, default))


@dataclass(frozen=True)
class Session:
    """Another database session, as the server describes it: who is in the way."""

    id: str  # PostgreSQL's pid, MySQL's connection id, SQL Server's session id
    user: str | None = None
    application: str | None = None  # application_name (PostgreSQL), program (SQL Server)
    state: str | None = None  # idle in transaction, active, Sleep, …
    since: datetime | str | None = None  # when its transaction (or state) began
    query: str | None = None  # what it last ran, shortened
    host: str | None = None  # where it connects from (MySQL)

    def describe(self) -> str:
        parts = [f"session {self.id}"]
        details = []
        if self.user:
            details.append(f"user {self.user}")
        if self.application:
            details.append(f"application {self.application!r}")
        if self.host:
            details.append(f"from {self.host}")
        if self.state:
            details.append(self.state + (f" since {_when(self.since)}" if self.since else ""))
        elif self.since:
            details.append(f"since {_when(self.since)}")
        if details:
            parts.append(f"({', '.join(details)})")
        return " ".join(parts)


@dataclass(frozen=True)
class LockWait:
    """What a statement waits for: the table (or other object) and the sessions holding it."""

    table: str | None
    blockers: list[Session] = field(default_factory=list)
    mode: str | None = None

    def describe(self) -> str:
        what = f"its lock on {self.table}" if self.table else "a lock"
        if not self.blockers:
            return f"{what} (the session holding it could not be seen)"
        held = "; ".join(b.describe() for b in self.blockers[:3])
        more = f" and {len(self.blockers) - 3} more" if len(self.blockers) > 3 else ""
        return f"{what}, held by {held}{more}"


def _when(value: datetime | str | None) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)
