"""DB501 lock-timeout: a statement that takes a strong lock on an existing table waits
behind any long query on it, and every query after it waits behind the migration. Set
`lock_timeout` first, so that the migration fails fast and can be retried instead.

Bad:

    ALTER TABLE orders ADD COLUMN note text;

Good:

    SET lock_timeout = '5s';
    ALTER TABLE orders ADD COLUMN note text;

The statements: ALTER TABLE, DROP TABLE, TRUNCATE, CLUSTER, LOCK TABLE, CREATE INDEX,
DROP INDEX, REINDEX and REFRESH MATERIALIZED VIEW (the last four not in their
CONCURRENTLY form), on a table the file did not create. Reported once per file, at the
first statement that needs it.
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.locks import first_needing_timeout
from dbci.analysis.rules.base import POSTGRES, Hit, Rule
from dbci.analysis.tree import FileFacts, Statement


def sets_lock_timeout(statement: Statement) -> bool:
    """`SET [SESSION | LOCAL] lock_timeout …` or `SELECT set_config('lock_timeout', …)`."""
    raw = statement.body.raw.lower()
    return "lock_timeout" in raw and (statement.kind == "set_statement" or "set_config" in raw)


class LockTimeout(Rule):
    id = "DB501"
    name = "lock-timeout"
    severity = "warning"
    dialects = POSTGRES

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        if statement.index != first_needing_timeout(facts, "lock_timeout", sets_lock_timeout):
            return  # not the first statement that needs it, or the file sets it before
        yield Hit(
            statement.body,
            "this statement locks an existing table: SET lock_timeout first so that it "
            "fails fast instead of queueing every query behind it",
        )
