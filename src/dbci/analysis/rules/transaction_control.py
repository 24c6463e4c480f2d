"""DB504 transaction-control: a migration already runs in a transaction of its own (Flyway's
and dbci's, with its history row), so `BEGIN`, `COMMIT`, `ROLLBACK` and `END` inside it
do not do what they say. `BEGIN` is ignored with a warning; `COMMIT` ends the migration's
transaction early, so a statement that fails after it leaves the migration half applied;
`ROLLBACK` throws away what came before it while the migration goes on to be recorded as
applied; a `BEGIN` never committed leaves the rest of the file in a transaction the runner
did not open.

Bad:

    BEGIN;
    ALTER TABLE orders ADD COLUMN note text;
    COMMIT;

Good: let the migration be the transaction:

    ALTER TABLE orders ADD COLUMN note text;
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.rules.base import POSTGRES, Hit, Rule
from dbci.analysis.tree import FileFacts, Statement

_SAYS = {
    "BEGIN": "BEGIN inside the migration's own transaction is ignored with a warning",
    "START": "START TRANSACTION inside the migration's own transaction is ignored with a "
    "warning",
    "COMMIT": "COMMIT ends the migration's own transaction early: a failure after it leaves "
    "the migration half applied",
    "END": "END ends the migration's own transaction early: a failure after it leaves the "
    "migration half applied",
    "ROLLBACK": "ROLLBACK throws away what the migration did before it, and the migration is "
    "still recorded as applied",
    "ABORT": "ABORT throws away what the migration did before it, and the migration is still "
    "recorded as applied",
}


class TransactionControl(Rule):
    id = "DB504"
    name = "transaction-control"
    severity = "warning"
    dialects = POSTGRES

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        if statement.kind != "transaction_statement":
            return
        words = statement.keywords()
        first = words[0] if words else ""
        if first == "ROLLBACK" and "TO" in words:
            return  # ROLLBACK TO SAVEPOINT stays inside the transaction
        message = _SAYS.get(first)
        if message is None:
            return  # SAVEPOINT, RELEASE, SET TRANSACTION: inside the transaction
        if first in ("BEGIN", "START") and not _closed_after(statement, facts):
            message += "; and nothing in the file commits it"
        yield Hit(statement.body, message)


def _closed_after(statement: Statement, facts: FileFacts) -> bool:
    """Whether a COMMIT/END/ROLLBACK follows `statement` in the file."""
    for later in facts.statements[statement.index + 1 :]:
        if later.kind == "transaction_statement":
            words = later.keywords()
            if words and words[0] in ("COMMIT", "END", "ROLLBACK", "ABORT") and "TO" not in words:
                return True
    return False
