"""Applying a run of migrations in order (`apply_all`): one at a time (`runner.apply`), all
in one transaction (`group = true`, `runner.group_transaction`), or, on engines that take
many statements in one message (PostgreSQL), in batches of one round trip each.

A migration of a batch is never run twice to find where it failed: the statement comes
from counting the server's answers (see `PostgreSQLDatabase.run_script`). One that could
not get a lock in time was rolled back, and the run goes on from it after a back-off
(`runner.wait_to_retry`), up to `lock_retries` times.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable

from dbci import cancel
from dbci.engines.base import Database, Notice, ScriptFailure, StatementFailure
from dbci.migrate.history import SchemaHistory
from dbci.migrate.prepare import NO_HOOKS, Hooks, PreparedScript
from dbci.migrate.runner import (
    apply,
    apply_in_group,
    failure_error,
    history_insert_sql,
    wait_to_retry,
)
from dbci.sqlsplit import Statement

# Batches of migrations in one round trip (engines with `batch_migrations`: PostgreSQL).
# Each migration stays its own transaction; the server stops at the first error, so
# everything before it is committed and the history table says how far it got. The
# batch grows while batches finish fast and shrinks when they are slow, so a run of
# small migrations costs few round trips and a slow data migration still reports
# progress as it goes.
_FAST_BATCH_SECONDS = 0.25
_MAX_BATCH = 64
# Each migration's own execution time, measured by the server: within one message
# `now()` is the message's arrival, so the start is kept in a session setting (session,
# not transaction-local: a script with its own BEGIN/COMMIT must not lose it).
_MARK_START = "SELECT set_config('dbci.started', clock_timestamp()::text, false)"
_SERVER_MS = (
    "coalesce((extract(epoch FROM clock_timestamp() - "
    "current_setting('dbci.started', true)::timestamptz) * 1000)::int, 0)"
)


def apply_all(
    db: Database,
    history: SchemaHistory,
    prepared: list[PreparedScript],
    installed_by: str,
    on_applied: Callable[[PreparedScript, int], None],
    hooks: Hooks = NO_HOOKS,
    *,
    on_notices: OnNotices | None = None,
    grouped: bool = False,
) -> None:
    """Apply migrations in order, calling `on_applied(step, ms)` after each one.

    `on_notices(step, notices)` hears what the server said about a migration's statements
    (see `Notice`), before its `on_applied`, or before its failure goes up. `grouped`: the
    caller holds one transaction for all of them (`group_transaction`): each migration
    runs in it, with its history row, and none commits on its own."""
    index, size = 0, 1
    attempts: dict[int, int] = {}  # a migration's attempts after lock timeouts in batches
    while index < len(prepared):
        cancel.check()
        if grouped or hooks or not (db.batch_migrations and prepared[index].in_transaction):
            step = prepared[index]
            db.take_notices()  # dbci's own statements' (CREATE SCHEMA IF NOT EXISTS, …)
            try:
                if grouped:
                    elapsed = apply_in_group(db, history, step, installed_by, hooks)
                else:
                    elapsed = apply(db, history, step, installed_by, hooks)
            finally:
                _heard(db.take_notices(), step, on_notices)
            on_applied(step, elapsed)
            index += 1
            continue
        chunk: list[PreparedScript] = []
        while (
            index + len(chunk) < len(prepared)
            and len(chunk) < size
            and prepared[index + len(chunk)].in_transaction
        ):
            chunk.append(prepared[index + len(chunk)])
        started = time.perf_counter()
        try:
            _apply_batch(db, history, chunk, installed_by, on_applied, on_notices)
        except _LockTimedOut as timed_out:
            failing = index + timed_out.committed
            attempt = attempts.get(failing, 1)
            step = prepared[failing]
            if attempt > db.lock_policy.lock_retries:
                timed_out.failure.attempts = attempt
                raise failure_error(db, step, timed_out.failure) from None
            wait_to_retry(db, step, attempt)
            attempts[failing] = attempt + 1
            index, size = failing, 1
            continue
        index += len(chunk)
        fast = time.perf_counter() - started < _FAST_BATCH_SECONDS
        size = min(size * 2, _MAX_BATCH) if fast else max(1, size // 2)


class _LockTimedOut(Exception):
    """A migration of a batch could not get a lock in time: it was rolled back, the
    `committed` ones before it were not."""

    def __init__(self, committed: int, failure: StatementFailure) -> None:
        super().__init__(failure.error.message)
        self.committed = committed
        self.failure = failure


def _apply_batch(
    db: Database,
    history: SchemaHistory,
    chunk: list[PreparedScript],
    installed_by: str,
    on_applied: Callable[[PreparedScript, int], None],
    on_notices: OnNotices | None = None,
) -> None:
    """Apply `chunk` in as few round trips as fit, each migration its own transaction;
    `on_applied` hears of each one committed, also of those before a migration of the
    batch failed; `on_notices`, before it, of what the server said about its statements
    (and of the failing one's, before its error goes up)."""
    first_rank = history.next_rank()
    # The statements as they are (the runner never copies a migration's text), and dbci's
    # own SQL around them; for each part, the migration it belongs to (dbci's settings
    # after a COMMIT: the next one), and how many of the chunk have committed once it ran.
    parts: list[str | Statement] = []
    owners = array("i")
    committed_after = array("i")
    resets = db.timeout_statements(db.lock_policy)

    def add(sql: str | Statement, index: int, committed: int) -> None:
        parts.append(sql)
        owners.append(index)
        committed_after.append(committed)

    # The session's original state (Database.restore_state_statements), in the same
    # message: before the first migration, and before each history row (a migration's
    # `SET ROLE` must not write it). Set in the migration's transaction, it commits with
    # it, so the next migration starts from it too: each one as it would alone.
    restore = db.restore_state_statements()
    for index, step in enumerate(chunk):
        for sql in restore if index == 0 else ():
            add(sql, index, index)
        add("BEGIN", index, index)
        add(_MARK_START, index, index)
        for statement in step.statements:
            add(statement, index, index)
        for sql in restore:
            add(sql, index, index)
        add(history_insert_sql(history, step, installed_by, _SERVER_MS), index, index)
        add("COMMIT", index, index + 1)
        if step.sets_timeouts:  # the migration set its own: dbci's again for the next
            for sql in resets:
                add(sql, min(index + 1, len(chunk) - 1), index + 1)
    db.take_notices()
    try:
        db.run_script(parts)
    except ScriptFailure as failed:
        heard = _by_migration(db.take_notices(), owners)
        db.rollback()
        history.forget_rank()
        error = failed.error
        done = committed_after[failed.completed - 1] if failed.completed > 0 else 0
        times = [0] * done if error.connection_lost else _times(db, history, first_rank)
        for number, (step, elapsed) in enumerate(zip(chunk[:done], times, strict=False)):
            _heard(heard.get(number, []), step, on_notices)
            on_applied(step, elapsed)
        if cancel.requested():
            raise cancel.cancelled() from None
        if error.connection_lost:
            raise db.lost(failed) from None
        index, part = owners[failed.index], parts[failed.index]
        failure = StatementFailure(part if isinstance(part, Statement) else None, error)
        if error.lock_timeout and index == done:
            raise _LockTimedOut(done, failure) from None  # tried again: its notices too
        index = min(index, len(chunk) - 1)
        _heard(heard.get(index, []), chunk[index], on_notices)
        raise failure_error(db, chunk[index], failure) from None
    except BaseException:
        db.rollback()
        history.forget_rank()
        raise
    heard = _by_migration(db.take_notices(), owners)
    times = _times(db, history, first_rank)
    for number, (step, elapsed) in enumerate(zip(chunk, times, strict=True)):
        _heard(heard.get(number, []), step, on_notices)
        on_applied(step, elapsed)


# What hears a migration's notices: (the migration, what the server said about it).
OnNotices = Callable[[PreparedScript, list[Notice]], None]


def _heard(notices: list[Notice], step: PreparedScript, on_notices: OnNotices | None) -> None:
    if notices and on_notices is not None:
        on_notices(step, notices)


def _by_migration(notices: list[Notice], owners: array[int]) -> dict[int, list[Notice]]:
    """A batch's notices by the migration of the part each came from. `Notice.part` is
    that part or the one before it; the two belong to the same migration whenever the
    later one can raise a notice: a migration's first statement follows its own
    `_MARK_START`, and what follows its COMMIT (BEGIN, timeouts) raises none."""
    found: dict[int, list[Notice]] = {}
    for notice in notices:
        part = min(notice.part if notice.part is not None else 0, len(owners) - 1)
        found.setdefault(owners[part], []).append(notice)
    return found


def _times(db: Database, history: SchemaHistory, first_rank: int) -> list[int]:
    """The execution times the history recorded from `first_rank` on, in rank order."""
    with cancel.cleaning_up():  # also after a signal: what committed is reported
        rows = db.query(
            f"SELECT execution_time FROM {history.qualified} WHERE installed_rank >= :rank "
            "ORDER BY installed_rank",
            {"rank": first_rank},
        )
    return [int(row[0]) for row in rows]
