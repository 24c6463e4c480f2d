"""DB202 set-not-null: `SET NOT NULL` on an existing column scans the whole table under
an ACCESS EXCLUSIVE lock (and fails if any row is NULL).

Bad:

    ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;

Good (PostgreSQL 12+): prove it with a constraint validated without the lock, then set
it (the scan is skipped):

    ALTER TABLE orders ADD CONSTRAINT customer_id_nn CHECK (customer_id IS NOT NULL) NOT VALID;
    ALTER TABLE orders VALIDATE CONSTRAINT customer_id_nn;
    ALTER TABLE orders ALTER COLUMN customer_id SET NOT NULL;
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.rules.base import POSTGRES, Hit, Rule, altered_actions
from dbci.analysis.tree import FileFacts, Statement


class SetNotNull(Rule):
    id = "DB202"
    name = "set-not-null"
    severity = "warning"
    dialects = POSTGRES

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for table, action, words in altered_actions(statement, facts):
            if words[:1] == ["ALTER"] and _has(words, ["SET", "NOT", "NULL"]):
                yield Hit(
                    action[0],
                    f"SET NOT NULL scans all of {table} under an exclusive lock; "
                    "validate a NOT NULL check constraint first",
                    table,
                )


def _has(words: list[str], run: list[str]) -> bool:
    return any(words[i : i + len(run)] == run for i in range(len(words)))
