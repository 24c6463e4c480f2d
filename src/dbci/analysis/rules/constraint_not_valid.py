"""DB206 constraint-not-valid: adding a FOREIGN KEY or CHECK constraint to an existing
table checks every row while holding a lock that blocks writes; `NOT VALID` adds it at
once, and `VALIDATE CONSTRAINT` checks the rows later under a weaker lock.

Bad:

    ALTER TABLE orders ADD CONSTRAINT orders_customer_fk
        FOREIGN KEY (customer_id) REFERENCES customers (id);

Good:

    ALTER TABLE orders ADD CONSTRAINT orders_customer_fk
        FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
    ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.rules.base import POSTGRES, Hit, Rule, altered_actions
from dbci.analysis.tree import FileFacts, Statement


class ConstraintNotValid(Rule):
    id = "DB206"
    name = "constraint-not-valid"
    severity = "warning"
    dialects = POSTGRES

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for table, action, words in altered_actions(statement, facts):
            if words[:1] != ["ADD"]:
                continue
            kind = "FOREIGN KEY" if "FOREIGN" in words else "CHECK" if "CHECK" in words else None
            if kind and not any(words[i : i + 2] == ["NOT", "VALID"] for i in range(len(words))):
                yield Hit(
                    action[0],
                    f"adding a {kind} constraint checks every row of {table} under a lock; "
                    "add it NOT VALID, then VALIDATE CONSTRAINT",
                    table,
                )
