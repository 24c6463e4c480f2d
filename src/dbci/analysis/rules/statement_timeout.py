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

from collections.abc import Iterator

from dbci.analysis.locks import first_needing_timeout
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
        if statement.index != first_needing_timeout(
            facts, "statement_timeout", sets_statement_timeout
        ):
            return
        table = statement.table()
        yield Hit(
            statement.body,
            f"this statement locks {table} for as long as it runs: SET statement_timeout "
            "first so that a long run is cancelled instead of blocking its queries",
            table or None,
        )
