"""DB503 statement-timeout: a statement that locks an existing table holds the lock for
as long as it runs, and a table rewrite or scan on a large table can run for many
minutes while every query of the table waits. Set `statement_timeout` first, so that it
is cancelled (and the migration rolled back) instead of blocking for longer than the
team allows. `[dbci.deploy] statement_timeout` sets one for every migration instead.

Bad:

    ALTER TABLE orders ALTER COLUMN total TYPE numeric(12, 2);

Good:

    SET statement_timeout = '5min';
    ALTER TABLE orders ALTER COLUMN total TYPE numeric(12, 2);

The statements are those DB501 lock-timeout is about; reported once per file, at the
first one.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator

from dbci.analysis.locks import LOCKING, needs_timeout
from dbci.analysis.rules.base import POSTGRES, Hit, Rule
from dbci.analysis.tree import FileFacts, Statement


def sets_statement_timeout(statement: Statement) -> bool:
    """`SET [SESSION | LOCAL] statement_timeout …` or `SELECT set_config('statement_timeout',
    …)`."""
    if statement.kind not in ("set_statement", "select_statement"):
        return False
    raw = statement.body.raw.lower()
    return "statement_timeout" in raw and (statement.kind == "set_statement" or "set_config" in raw)


class StatementTimeout(Rule):
    id = "DB503"
    name = "statement-timeout"
    severity = "info"
    dialects = POSTGRES

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        if statement.index != _first_unbounded(facts):
            return
        table = statement.table()
        yield Hit(
            statement.body,
            f"this statement locks {table} for as long as it runs: SET statement_timeout "
            "first so that a long run is cancelled instead of blocking its queries",
            table or None,
        )


# The last file's answer, found once: the rule asks for each statement of the file.
_last: tuple[weakref.ref[FileFacts], int | None] | None = None


def _first_unbounded(facts: FileFacts) -> int | None:
    """The index of the file's first statement that locks an existing table, when no
    `statement_timeout` is set before it."""
    global _last
    cached = _last
    if cached is None or cached[0]() is not facts:
        found: int | None = None
        for statement in facts.statements:
            if sets_statement_timeout(statement):
                break
            if statement.kind in LOCKING and needs_timeout(statement, facts):
                found = statement.index
                break
        cached = _last = (weakref.ref(facts), found)
    return cached[1]
