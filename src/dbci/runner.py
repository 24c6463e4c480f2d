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
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from dbci.checksum import flyway_checksum
from dbci.discovery import MigrationKind, MigrationScript
from dbci.engines.base import Database, StatementFailure
from dbci.errors import DbciError, GateFailed, InputError
from dbci.history import SchemaHistory
from dbci.placeholders import Placeholders
from dbci.sqlsplit import Statement


@dataclass(frozen=True)
class PreparedScript:
    """A migration ready to run: placeholders replaced, split, its checksum taken."""

    script: MigrationScript
    statements: list[Statement]
    checksum: int
    in_transaction: bool

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
    if script.kind is MigrationKind.REPEATABLE:
        return flyway_checksum(_replaced(script, placeholders))
    return flyway_checksum(script.text)


def _replaced(script: MigrationScript, placeholders: Placeholders) -> str:
    return placeholders.replace(
        script.text, filename=script.path.name, display_path=script.display_path
    )


def prepare(script: MigrationScript, placeholders: Placeholders, db: Database) -> PreparedScript:
    """Read, replace and split a script; every content error surfaces here, before any SQL."""
    sql = _replaced(script, placeholders)
    try:
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
    checksum = flyway_checksum(sql if script.kind is MigrationKind.REPEATABLE else script.text)
    # An engine without transactional DDL says so statement by statement (needs_autocommit):
    # a MySQL migration of DML only still runs in a transaction.
    return PreparedScript(script, statements, checksum, in_transaction)


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
    migration back."""
    try:
        return _apply(db, history, prepared, installed_by, hooks, check)
    except StatementFailure as failure:  # a statement of the migration itself
        error = _failed(db, prepared, failure)
        _after_error(db, hooks)
        raise error from None
    except GateFailed:
        _after_error(db, hooks)
        raise


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
            db.begin()
            run_callbacks(db, hooks.before)
            _run_statements(db, prepared, hooks)
            run_callbacks(db, hooks.after)
            elapsed = _ms(started)
            if check is not None:
                check()
            _record(history, prepared, installed_by, elapsed, success=True)
            db.commit()
        except StatementFailure as failure:
            db.rollback()
            if failure.statement is None and not failure.error.connection_lost:
                failure = _locate(db, prepared.statements) or failure
            raise failure from None
        except BaseException as exc:
            db.rollback()
            if isinstance(exc, DbciError | KeyboardInterrupt):
                raise
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
    rank = history.next_rank()
    _record(history, prepared, installed_by, 0, success=False)
    try:
        run_callbacks(db, hooks.before)
        _run_statements(db, prepared, hooks)
        run_callbacks(db, hooks.after)
    except StatementFailure as failure:
        gate = _failed(db, prepared, failure)
        if failure.error.connection_lost:
            raise gate from None
        history.update_rank(rank, execution_time=_ms(started))
        gate.message += (
            f" ({_applied_before(failure.statement, prepared.statements)}, outside a "
            "transaction: the migration is recorded as failed; fix the database, then run "
            "repair)"
        )
        raise gate from None
    elapsed = _ms(started)
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
    if not (hooks.before_statement or hooks.after_statement):
        db.run_each(prepared.statements)
        return
    for statement in prepared.statements:
        run_callbacks(db, hooks.before_statement)
        db.run_each([statement])
        run_callbacks(db, hooks.after_statement)


def _after_error(db: Database, hooks: Hooks) -> None:
    """Run the error callbacks after a failed migration, each in its own transaction."""
    for script in hooks.statement_error + hooks.error:
        try:
            run_script(db, script)
        except Exception:
            pass  # the migration's own error is the one to report


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
) -> None:
    """Apply migrations in order, calling `on_applied(step, ms)` after each one."""
    index, size = 0, 1
    while index < len(prepared):
        if hooks or not (db.batch_migrations and prepared[index].in_transaction):
            step = prepared[index]
            on_applied(step, apply(db, history, step, installed_by, hooks))
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
        _apply_batch(db, history, chunk, installed_by, on_applied)
        index += len(chunk)
        fast = time.perf_counter() - started < _FAST_BATCH_SECONDS
        size = min(size * 2, _MAX_BATCH) if fast else max(1, size // 2)


def _apply_batch(
    db: Database,
    history: SchemaHistory,
    chunk: list[PreparedScript],
    installed_by: str,
    on_applied: Callable[[PreparedScript, int], None],
) -> None:
    """Apply `chunk` in one round trip, each migration its own transaction; `on_applied`
    hears of each one committed, also of those before a migration of the batch failed."""
    first_rank = history.next_rank()
    parts: list[str] = []
    # (offset in the batch text, migration index, statement or None for dbci's own SQL)
    marks: list[tuple[int, int, Statement | None]] = []
    length = 0

    def add(sql: str, index: int, statement: Statement | None) -> None:
        nonlocal length
        marks.append((length, index, statement))
        parts.append(sql)
        parts.append("\n;\n")  # newline first: a trailing `--` comment cannot swallow the `;`
        length += len(sql) + 3

    for index, step in enumerate(chunk):
        add("BEGIN", index, None)
        add(_MARK_START, index, None)
        for statement in step.statements:
            add(statement.sql, index, statement)
        add(history_insert_sql(history, step, installed_by, _SERVER_MS), index, None)
        add("COMMIT", index, None)
    try:
        db.execute("".join(parts))
    except BaseException as exc:
        db.rollback()
        history.forget_rank()
        if isinstance(exc, KeyboardInterrupt):
            raise
        error = db.describe_error(exc)
        if error.connection_lost:
            raise db.lost(exc) from None
        done = history.next_rank() - first_rank  # migrations of this batch that committed
        for step, elapsed in zip(chunk[:done], _times(db, history, first_rank), strict=False):
            on_applied(step, elapsed)
        failing = chunk[min(done, len(chunk) - 1)]
        statement, offset = None, None
        if error.offset is not None:
            start, index, marked = next(m for m in reversed(marks) if m[0] <= error.offset)
            if index == done and marked is not None:
                statement, offset = marked, error.offset - start
        failure = StatementFailure(statement, replace(error, offset=offset))
        if statement is None:
            failure = _locate(db, failing.statements) or failure
        raise _failed(db, failing, failure) from None
    for step, elapsed in zip(chunk, _times(db, history, first_rank), strict=True):
        on_applied(step, elapsed)


def _times(db: Database, history: SchemaHistory, first_rank: int) -> list[int]:
    """The execution times the history recorded from `first_rank` on, in rank order."""
    rows = db.query(
        f"SELECT execution_time FROM {history.qualified} WHERE installed_rank >= :rank "
        "ORDER BY installed_rank",
        {"rank": first_rank},
    )
    return [int(row[0]) for row in rows]


def _locate(db: Database, statements: list[Statement]) -> StatementFailure | None:
    """Find the failing statement by running them one by one, then roll it all back."""
    try:
        db.begin()
        db.run_each(statements)
    except StatementFailure as failure:
        return failure
    except Exception:
        return None
    finally:
        db.rollback()
    return None  # it passed this time: the failure was not the script's (a lock, a timeout)


def _failed(db: Database, prepared: PreparedScript, failure: StatementFailure) -> DbciError:
    """The one-line error for a failed statement, at its line in the file."""
    error = failure.error
    if error.connection_lost:
        return db.lost(failure)
    statement = failure.statement
    line = None
    if statement is not None:
        line = statement.line
        if error.offset is not None:
            line += statement.sql.count("\n", 0, error.offset)
    return GateFailed(
        f"migration {prepared.name} failed: {error.message}",
        file=prepared.script.display_path,
        line=line,
    )


def _record(
    history: SchemaHistory,
    prepared: PreparedScript,
    installed_by: str,
    elapsed: int,
    *,
    success: bool,
) -> None:
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
