"""A migration made ready to run: placeholders replaced, split into statements, its
checksum taken, and whether it runs in a transaction decided (`prepare`); and the callbacks
ready to run around each migration (`Hooks`). Every content error of a script surfaces here,
before any SQL runs; `runner` applies what is prepared, `batches` a run of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dbci.engines.base import Database
from dbci.errors import InputError
from dbci.migrate.checksum import flyway_checksum
from dbci.migrate.discovery import MigrationScript
from dbci.migrate.naming import MigrationKind
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
