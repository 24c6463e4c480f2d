"""Applying one migration: its statements and its history row, atomically where possible.

A migration runs in one transaction together with its history row, so a failure
leaves the database at the last good migration. A migration that holds a statement
the engine refuses inside a transaction (`CREATE INDEX CONCURRENTLY`, `VACUUM`, …), or
whose `<script>.conf` says `executeInTransaction=false`, runs statement by statement;
if it fails midway, a failed row is recorded, as Flyway does, and the message says
which statements had already run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

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
        if s.version is not None:
            return f'version "{s.version} - {s.description}"'
        return f'repeatable "{s.description}"'


def script_checksum(script: MigrationScript, placeholders: Placeholders) -> int:
    """Versioned checksums are over the file as written; repeatables after placeholders."""
    if script.kind is MigrationKind.REPEATABLE:
        return _checksum(script, _replaced(script, placeholders))
    return _checksum(script, script.text)


def _checksum(script: MigrationScript, replaced: str) -> int:
    return flyway_checksum(replaced if script.kind is MigrationKind.REPEATABLE else script.text)


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
    checksum = _checksum(script, sql)
    return PreparedScript(script, statements, checksum, in_transaction and db.transactional_ddl)


def apply(db: Database, history: SchemaHistory, prepared: PreparedScript, installed_by: str) -> int:
    """Run one migration and record it; return its execution time in milliseconds."""
    started = time.perf_counter()
    if prepared.in_transaction:
        try:
            db.run_in_transaction(prepared.statements)
            elapsed = _ms(started)
            _record(history, prepared, installed_by, elapsed, success=True, commit=True)
        except StatementFailure as failure:
            db.rollback()
            if failure.statement is None and not failure.error.connection_lost:
                failure = _locate(db, prepared.statements) or failure
            raise _failed(db, prepared, failure) from None
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
    try:
        db.run_each(prepared.statements)
    except StatementFailure as failure:
        gate = _failed(db, prepared, failure)
        done = prepared.statements.index(failure.statement) if failure.statement else 0
        _record(history, prepared, installed_by, _ms(started), success=False)
        gate.message += (
            f" ({done} of {len(prepared.statements)} statements had run outside a transaction "
            "and were not undone; the migration is recorded as failed: fix the database and "
            "run repair)"
        )
        raise gate from None
    elapsed = _ms(started)
    _record(history, prepared, installed_by, elapsed, success=True)
    return elapsed


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
    commit: bool = False,
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
        commit=commit,
    )


def _ms(started: float) -> int:
    return int(round((time.perf_counter() - started) * 1000))
