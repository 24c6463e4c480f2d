"""Applying migrations: each one's statements and its history row, atomically where possible.

A migration runs in one transaction together with its history row, so a failure
leaves the database at the last good migration. A migration that holds a statement
the engine refuses inside a transaction (`CREATE INDEX CONCURRENTLY`, `VACUUM`, …), or
whose `<script>.conf` says `executeInTransaction=false`, runs statement by statement;
if it fails midway, a failed row is recorded, as Flyway does, and the message says
which statements had already run. On engines that take many statements in one message
(PostgreSQL), runs of transactional migrations are sent in batches (`batches.apply_all`).
Per-migration callbacks (`beforeEachMigrate`, …; see `Hooks`) run inside the
migration's transaction; a run that has them applies its migrations one at a time.

A migration is never run twice to find where it failed: the statement comes from the
statement run alone, or, in a batch, from counting the server's answers (see
`PostgreSQLDatabase.run_script`). What is run again is a migration that could not get a
lock in time and was rolled back (`dbci.migrate.locking`): after a back-off, up to `lock_retries`
times; a statement that commits on its own (outside a transaction) is retried alone. A
signal (`dbci.cancel`) cancels the running statement; the migration is rolled back (or,
outside a transaction, keeps its failed row) and `Cancelled` goes up.

What runs is prepared first (`prepare`: `PreparedScript`, `Hooks`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

from dbci import cancel
from dbci.engines.base import Database, StatementFailure, first_words
from dbci.errors import DbciError, GateFailed, InputError
from dbci.migrate.history import SchemaHistory
from dbci.migrate.prepare import NO_HOOKS, Hooks, PreparedScript
from dbci.sqlsplit import Statement


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
            error = failure_error(db, prepared, failure)
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


def apply_in_group(
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
        error = failure_error(db, prepared, failure)
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
            raise failure_error(db, prepared, failure) from None
        with cancel.cleaning_up():  # the failed row's time, also when cancelled
            db.restore_state()
            history.update_rank(rank, execution_time=_ms(started))
        if cancel.requested():
            raise cancel.cancelled(
                f"{prepared.name} ran outside a transaction and is recorded as failed "
                f"({_applied_before(failure.statement, prepared.statements)}): repair it"
            ) from None
        gate = failure_error(db, prepared, failure)
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
            raise failure_error(db, script, failure) from None


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


def failure_error(db: Database, prepared: PreparedScript, failure: StatementFailure) -> DbciError:
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
