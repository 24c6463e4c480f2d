"""DB302 drop-default-or-constraint: dropping a column default or a constraint changes
what running code relies on: inserts that leave the column out now get NULL (or fail),
and the rule the constraint kept is no longer kept.

Bad:

    ALTER TABLE orders ALTER COLUMN status DROP DEFAULT;
    ALTER TABLE orders DROP CONSTRAINT orders_amount_positive;

Good: make sure no code depends on it first, then suppress the finding on the line:

    ALTER TABLE orders ALTER COLUMN status DROP DEFAULT;  -- dbci:ignore DB302
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.rules.base import Hit, Rule, altered_actions
from dbci.analysis.tree import FileFacts, Statement

_DROPPED_CONSTRAINT = {"CONSTRAINT", "FOREIGN", "CHECK", "PRIMARY"}


class DropDefaultOrConstraint(Rule):
    id = "DB302"
    name = "drop-default-or-constraint"
    severity = "warning"

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for table, action, words in altered_actions(statement, facts):
            if words[:1] == ["ALTER"] and any(
                words[i : i + 2] == ["DROP", "DEFAULT"] for i in range(len(words))
            ):
                yield Hit(action[0], f"dropping a default of {table} changes what inserts get")
            elif words[:1] == ["DROP"] and len(words) > 1 and words[1] in _DROPPED_CONSTRAINT:
                yield Hit(action[0], f"dropping a constraint of {table} stops enforcing its rule")
