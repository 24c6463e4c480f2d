"""Applying migrations: each one's statements and its history row, atomically where possible.

A migration runs in one transaction together with its history row, so a failure
leaves the database at the last good migration. A migration that holds a statement
the engine refuses inside a transaction (`CREATE INDEX CONCURRENTLY`, `VACUUM`, …), or
whose `<script>.conf` says `executeInTransaction=false`, runs statement by statement;
if it fails midway, a failed row is recorded, as Flyway does, and the message says
which statements had already run. On engines that take many statements in one message
(PostgreSQL), runs of transactional migrations are sent in batches (see `apply_all`).
Per-migration callbacks (`beforeEachMigrate`, …; see `Hooks`) run inside the
migration's transaction; a run that has them applies its migrations one at a time.

A migration is never run twice to find where it failed: the statement comes from the
statement run alone, or, in a batch, from counting the server's answers (see
`PostgreSQLDatabase.run_script`). What is run again is a migration that could not get a
lock in time and was rolled back (`dbci.migrate.locking`): after a back-off, up to `lock_retries`
times; a statement that commits on its own (outside a transaction) is retried alone. A
signal (`dbci.cancel`) cancels the running statement; the migration is rolled back (or,
outside a transaction, keeps its failed row) and `Cancelled` goes up.
"""

from __future__ import annotations

import contextlib
import re
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from dbci import cancel
from dbci.engines.base import Database, Notice, ScriptFailure, StatementFailure, first_words
from dbci.errors import DbciError, GateFailed, InputError
from dbci.migrate.checksum import flyway_checksum
from dbci.migrate.discovery import MigrationKind, MigrationScript
from dbci.migrate.history import SchemaHistory
from dbci.settings.placeholders import Placeholders
from dbci.sqlsplit import Statement


@dataclass(frozen=True)
class PreparedScript:
    """A migration ready to run: placeholders replaced, split, its checksum taken."""

    script: MigrationScript
    statements: list[Statement]
    checksum: int
    in_transaction: bool
    # Whether a statement sets a lock or statement timeout: dbci's own are set again
    # after it, so that the migration's own lasts for that migration only.
    sets_timeouts: bool = False

    @property
    def name(self) -> str:
        s = self.script
        if s.kind is MigrationKind.CALLBACK:
            return f'callback "{s.path.name}"'
        if s.kind is MigrationKind.UNDO:
            return f'undo "{s.version} - {s.description}"'
        if s.version is not None:
            return f'version "{s.version} - {s.description}"'
        return f'repeatable "{s.description}"'


@dataclass(frozen=True)
class Hooks:
    """Callbacks that run around each migration (or undo): Flyway's `*Each*` events.

    `before`/`after` run inside the migration's transaction, before and after its
    statements; the statement ones around each statement; `error` and `statement_error`
    run after a failed migration has been rolled back, each in its own transaction.
    """

    before: list[PreparedScript] = field(default_factory=list)
    after: list[PreparedScript] = field(default_factory=list)
    before_statement: list[PreparedScript] = field(default_factory=list)
    after_statement: list[PreparedScript] = field(default_factory=list)
    error: list[PreparedScript] = field(default_factory=list)
    statement_error: list[PreparedScript] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(
            (
                self.before,
                self.after,
                self.before_statement,
                self.after_statement,
                self.error,
                self.statement_error,
            )
        )


NO_HOOKS = Hooks()


def script_checksum(script: MigrationScript, placeholders: Placeholders) -> int:
    """Versioned checksums are over the file as written; repeatables after placeholders."""
    if script.kind is MigrationKind.REPEATABLE and not _kept_raw(script, placeholders):
        return flyway_checksum(_replaced(script, placeholders))
    return script.checksum


def _replaced(script: MigrationScript, placeholders: Placeholders) -> str:
    return placeholders.replace(
        script.text, filename=script.path.name, display_path=script.display_path
    )


def _kept_raw(script: MigrationScript, placeholders: Placeholders) -> bool:
    """A script held as UTF-8 bytes (MigrationScript.raw) that no placeholder changes: it is
    split a window at a time, never decoded whole."""
    if script.raw is None:
        return False
    return not (placeholders.enabled and placeholders.prefix.encode("utf-8") in script.raw)


def prepare(script: MigrationScript, placeholders: Placeholders, db: Database) -> PreparedScript:
    """Read, replace and split a script; every content error surfaces here, before any SQL."""
    sql: str | None = None
    try:
        if _kept_raw(script, placeholders):
            assert script.raw is not None
            try:
                statements = db.split_raw(script.raw)
            except ValueError:  # MySQL's DELIMITER: its state does not cross windows
                sql = script.text
                statements = db.split(sql)
        else:
            sql = _replaced(script, placeholders)
            statements = db.split(sql)
    except InputError as exc:
        raise exc.located(script.display_path) from None
    outside = next((s for s in statements if db.needs_autocommit(s)), None)
    in_transaction = outside is None
    if script.execute_in_transaction is not None:
        if script.execute_in_transaction and outside is not None:
            raise InputError(
                "this statement cannot run inside a transaction, but the script's .conf "
                "sets executeInTransaction=true",
                file=script.display_path,
                line=outside.line,
            )
        in_transaction = script.execute_in_transaction
    repeatable = script.kind is MigrationKind.REPEATABLE and sql is not None
    checksum = flyway_checksum(sql) if repeatable and sql is not None else script.checksum
    sets_timeouts = any(
        s.head(8).upper().startswith(_SETTING_WORDS) and _TIMEOUT_SETTING.search(s.sql)
        for s in statements
    )
    # An engine without transactional DDL says so statement by statement (needs_autocommit):
    # a MySQL migration of DML only still runs in a transaction.
    return PreparedScript(script, statements, checksum, in_transaction, sets_timeouts)


# How a statement changes a session setting: SET …, SELECT set_config(…), PRAGMA ….
_SETTING_WORDS = ("SET", "SELECT", "PRAGMA")
# The session settings that bound lock waits and statements, in the engines' spellings.
_TIMEOUT_SETTING = re.compile(
    r"lock_timeout|statement_timeout|lock_wait_timeout|max_statement_time|max_execution_time"
    r"|busy_timeout|idle_in_transaction_session_timeout",
    re.IGNORECASE,
)


def apply(
    db: Database,
    history: SchemaHistory,
    prepared: PreparedScript,
    installed_by: str,
    hooks: Hooks = NO_HOOKS,
    check: Callable[[], None] | None = None,
) -> int:
    """Run one migration and record it; return its execution time in milliseconds.

    `check`, for a migration that runs in a transaction, runs in it after the statements
    and before the history row (the build's undo verification); what it raises rolls the
    migration back. A migration in a transaction that times out on a lock is rolled back
    and tried again (`lock_retries`)."""
    attempt = 1
    while True:
        try:
            elapsed = _apply(db, history, prepared, installed_by, hooks, check)
        except StatementFailure as failure:  # a statement of the migration itself
            if cancel.requested():
                raise cancel.cancelled() from None
            if failure.error.lock_timeout and prepared.in_transaction:
                if attempt <= db.lock_policy.lock_retries:
                    wait_to_retry(db, prepared, attempt)
                    attempt += 1
                    continue
                failure.attempts = attempt
            error = _failed(db, prepared, failure)
            _after_error(db, hooks)
            raise error from None
        except GateFailed:
            _after_error(db, hooks)
            raise
        if prepared.sets_timeouts:
            db.apply_timeouts(db.lock_policy)
        return elapsed


def wait_to_retry(db: Database, prepared: PreparedScript, attempt: int) -> None:
    """After a migration (or a statement) timed out on a lock: say so, and wait for the
    next attempt; a signal during the wait cancels the run."""
    policy = db.lock_policy
    delay = policy.backoff(attempt)
    seen = db.lock_watch.latest(policy.lock_timeout + 2) if db.lock_watch else None
    db.notify(
        f"WARNING: {prepared.name} could not get {seen.describe() if seen else 'a lock'} "
        f"within {policy.lock_timeout:g} s (attempt {attempt} of {policy.lock_retries + 1}, "
        f"{'rolled back' if prepared.in_transaction else 'the statement did nothing'}): "
        f"trying again in {delay:.1f} s"
    )
    cancel.wait(delay)


# ---- group = true: every pending migration in one transaction ------------------------
# Flyway's `DbMigrate.migrateGroup` takes all pending migrations as one group when `group`
# is set, and `applyMigrations` runs the group in one transaction (`ExecutionTemplate`),
# each migration's history row written in it (`doMigrateGroup`: `addAppliedMigration`
# after each); when one fails, "Changes successfully rolled back" and no row is left, but
# only `if (database.supportsDdlTransactions() && executeGroupInTransaction)`: on MySQL
# the DDL already committed ("Please restore backups"), and a group that holds a
# non-transactional migration is refused (`isExecuteGroupInTransaction`: "Detected both
# transactional and non-transactional migrations within the same migration group") or,
# with `mixed`, run outside any transaction. dbci refuses both cases before running
# anything, rather than leave half a group behind.


def refuse_group(db: Database, prepared: list[PreparedScript]) -> None:
    """Raise `InputError` (exit 2) when `prepared` cannot run as one transaction here."""
    if not db.transactional_ddl:
        raise InputError(
            f"group = true: {db.display_name} commits each DDL statement implicitly, so a "
            "group of migrations cannot be rolled back as one: set group = false"
        )
    for step in prepared:
        if step.in_transaction:
            continue
        outside = next((s for s in step.statements if db.needs_autocommit(s)), None)
        why = (
            "its .conf sets executeInTransaction=false"
            if outside is None
            else f"{' '.join(first_words(outside, 3))} cannot run inside a transaction"
        )
        raise InputError(
            f"group = true: {step.name} must run outside a transaction ({why}), so the "
            "pending migrations cannot run as one: set group = false, or apply it first",
            file=step.script.display_path,
            line=outside.line if outside is not None else None,
        )


@contextlib.contextmanager
def group_transaction(db: Database, prepared: list[PreparedScript]) -> Iterator[None]:
    """One transaction around the body, which applies `prepared` with `apply_all(…,
    grouped=True)`: committed when the body ends, rolled back whole if it raises."""
    refuse_group(db, prepared)
    db.begin()
    try:
        yield
    except BaseException:
        db.rollback()
        raise
    try:
        db.commit()
    except Exception as exc:  # a deferred constraint, a serialization failure
        db.rollback()
        error = db.describe_error(exc)
        if error.connection_lost:
            raise db.lost(exc) from None
        raise GateFailed(f"group = true: the group's COMMIT failed: {error.message}") from None


def _apply_in_group(
    db: Database,
    history: SchemaHistory,
    prepared: PreparedScript,
    installed_by: str,
    hooks: Hooks,
) -> int:
    """One migration of a group, in the group's transaction: its statements, then its
    history row. A failure rolls the whole group back (then the error callbacks run)."""
    started = time.perf_counter()
    try:
        db.restore_state()  # each migration of the group starts as it would alone
        run_callbacks(db, hooks.before)
        _run_statements(db, prepared, hooks)
        _restored_callbacks(db, hooks.after)
        elapsed = _ms(started)
        db.restore_state()  # a migration's SET ROLE must not write its history row
        record_applied(history, prepared, installed_by, elapsed, success=True)
    except StatementFailure as failure:
        db.rollback()
        if cancel.requested():
            raise cancel.cancelled() from None
        error = _failed(db, prepared, failure)
        _after_error(db, hooks)
        error.message += " (group = true: every migration of the group was rolled back)"
        raise error from None
    if prepared.sets_timeouts:
        db.apply_timeouts(db.lock_policy)
    return elapsed


def _apply(
    db: Database,
    history: SchemaHistory,
    prepared: PreparedScript,
    installed_by: str,
    hooks: Hooks,
    check: Callable[[], None] | None = None,
) -> int:
    started = time.perf_counter()
    if prepared.in_transaction:
        try:
            db.restore_state()  # each migration starts as it would alone
            db.begin()
            run_callbacks(db, hooks.before)
            _run_statements(db, prepared, hooks)
            _restored_callbacks(db, hooks.after)
            elapsed = _ms(started)
            db.restore_state()  # a migration's SET ROLE must not write its history row
            if check is not None:
                check()
            record_applied(history, prepared, installed_by, elapsed, success=True)
            db.commit()
        except StatementFailure:
            db.rollback()
            raise
        except BaseException as exc:
            db.rollback()
            if isinstance(exc, DbciError | KeyboardInterrupt):
                raise
            if cancel.requested():
                raise cancel.cancelled() from None
            error = db.describe_error(exc)
            if error.connection_lost:
                raise db.lost(exc) from None
            raise GateFailed(
                f"could not record migration {prepared.name}: {error.message}",
                file=prepared.script.display_path,
            ) from None
        return elapsed
    # Outside a transaction the history row is written first, as failed, and marked
    # successful once every statement has run: a run killed midway (SIGKILL, a dropped
    # connection) leaves a failed row that validate reports, never changes without a row.
    # It stays failed, as Flyway records it, even when the first statement failed: a
    # statement that fails outside a transaction may leave something behind (CREATE
    # INDEX CONCURRENTLY leaves an invalid index), so a person looks before repair.
    db.restore_state()  # before the migration, and before its (failed) history row
    rank = history.next_rank()
    record_applied(history, prepared, installed_by, 0, success=False)
    try:
        run_callbacks(db, hooks.before)
        _run_statements(db, prepared, hooks)
        _restored_callbacks(db, hooks.after)
    except StatementFailure as failure:
        if failure.error.connection_lost:
            raise _failed(db, prepared, failure) from None
        with cancel.cleaning_up():  # the failed row's time, also when cancelled
            db.restore_state()
            history.update_rank(rank, execution_time=_ms(started))
        if cancel.requested():
            raise cancel.cancelled(
                f"{prepared.name} ran outside a transaction and is recorded as failed "
                f"({_applied_before(failure.statement, prepared.statements)}): repair it"
            ) from None
        gate = _failed(db, prepared, failure)
        gate.message += (
            f" ({_applied_before(failure.statement, prepared.statements)}, outside a "
            "transaction: the migration is recorded as failed; fix the database, then run "
            "repair)"
        )
        raise gate from None
    elapsed = _ms(started)
    db.restore_state()  # a migration's SET ROLE must not write its history row
    history.update_rank(rank, execution_time=elapsed, success=True)
    return elapsed


def _applied_before(failed: Statement | None, statements: list[Statement]) -> str:
    """Which statements of a failed non-transactional migration had been applied."""
    total = len(statements)
    if failed is None:
        return f"it is not known which of its {total} statements had been applied"
    done = statements.index(failed)
    if done == 0:
        return f"none of its {total} statements had completed"
    if done == 1:
        return f"statement 1 of {total} had already been applied and cannot be undone"
    listed = "1 and 2" if done == 2 else f"1 to {done}"
    return f"statements {listed} of {total} had already been applied and cannot be undone"


def _run_statements(db: Database, prepared: PreparedScript, hooks: Hooks) -> None:
    alone = not prepared.in_transaction and db.lock_policy.lock_retries > 0
    if not (hooks.before_statement or hooks.after_statement or alone):
        db.run_each(prepared.statements)
        return
    for statement in prepared.statements:
        run_callbacks(db, hooks.before_statement)
        if alone:
            _run_alone(db, prepared, statement)
        else:
            db.run_each([statement])
        run_callbacks(db, hooks.after_statement)


def _run_alone(db: Database, prepared: PreparedScript, statement: Statement) -> None:
    """A statement outside a transaction (it commits on its own): one that could not get
    its lock in time did nothing, and is tried again after a back-off."""
    attempt = 1
    while True:
        try:
            db.run_each([statement])
            return
        except StatementFailure as failure:
            retry = failure.error.lock_timeout and not cancel.requested()
            if retry and attempt <= db.lock_policy.lock_retries:
                wait_to_retry(db, prepared, attempt)
                attempt += 1
                continue
            failure.attempts = attempt
            raise


def _after_error(db: Database, hooks: Hooks) -> None:
    """Run the error callbacks after a failed migration, each in its own transaction."""
    for script in hooks.statement_error + hooks.error:
        try:
            run_script(db, script)
        except Exception:
            pass  # the migration's own error is the one to report


def _restored_callbacks(db: Database, scripts: list[PreparedScript]) -> None:
    """`afterEach…` callbacks start from the session's original state, as Flyway's
    DefaultCallbackExecutor.execute restores it before each callback."""
    if scripts:
        db.restore_state()
        run_callbacks(db, scripts)


def run_callbacks(db: Database, scripts: list[PreparedScript]) -> None:
    """Run callback scripts inside the caller's transaction (or none); a failing statement
    is reported at its line in the callback's file."""
    for script in scripts:
        try:
            db.run_each(script.statements)
        except StatementFailure as failure:
            raise _failed(db, script, failure) from None


def run_script(db: Database, prepared: PreparedScript) -> None:
    """Run a script that records no history row (a callback), in its own transaction when
    it can run in one; a failing statement is reported at its line in the file."""
    db.restore_state()  # as Flyway's DefaultCallbackExecutor.execute: from the original
    if not prepared.in_transaction:
        run_callbacks(db, [prepared])
        return
    try:
        db.begin()
        run_callbacks(db, [prepared])
        db.commit()
    except BaseException:
        db.rollback()
        raise


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
                    elapsed = _apply_in_group(db, history, step, installed_by, hooks)
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
                raise _failed(db, step, timed_out.failure) from None
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
        raise _failed(db, chunk[index], failure) from None
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


def _failed(db: Database, prepared: PreparedScript, failure: StatementFailure) -> DbciError:
    """The one-line error for a failed statement, at its line in the file."""
    error = failure.error
    if error.connection_lost:
        return db.lost(failure)
    statement = failure.statement
    line = None
    if statement is not None:
        line = statement.line
        if error.line is not None:  # a COPY's bad data row
            line = error.line
        elif error.offset is not None:
            line += statement.sql.count("\n", 0, error.offset)
    message = f"migration {prepared.name} failed: {error.message}"
    if error.lock_timeout:
        policy = db.lock_policy
        seen = db.lock_watch.latest(policy.lock_timeout + 2) if db.lock_watch else None
        attempts = getattr(failure, "attempts", 1)
        message = (
            f"migration {prepared.name} could not get {seen.describe() if seen else 'a lock'} "
            f"within the lock timeout ({error.message}; "
            f"{attempts} attempt{'s' * (attempts != 1)}, "
            f"{'each rolled back' if prepared.in_transaction else 'the statement alone'}; "
            "[dbci.deploy] lock_timeout and lock_retries)"
        )
    return GateFailed(message, file=prepared.script.display_path, line=line)


def record_applied(
    history: SchemaHistory,
    prepared: PreparedScript,
    installed_by: str,
    elapsed: int,
    *,
    success: bool,
) -> None:
    """Write a migration's history row (its version, description, type, script, checksum)."""
    s = prepared.script
    history.add(
        version=s.version.text if s.version else None,
        description=s.description,
        type=s.kind.history_type,
        script=s.script,
        checksum=prepared.checksum,
        installed_by=installed_by,
        execution_time=elapsed,
        success=success,
    )


def history_insert_sql(
    history: SchemaHistory, step: PreparedScript, installed_by: str, execution_time_sql: str
) -> str:
    """The successful history row of a migration as literal SQL (batches, dry runs)."""
    s = step.script
    return history.insert_sql(
        version=s.version.text if s.version else None,
        description=s.description,
        type=s.kind.history_type,
        script=s.script,
        checksum=step.checksum,
        installed_by=installed_by,
        execution_time_sql=execution_time_sql,
    )


def _ms(started: float) -> int:
    return int(round((time.perf_counter() - started) * 1000))
