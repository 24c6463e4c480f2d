"""DB103 drop-column: dropping a column loses its data and breaks code that still reads it.

Bad:

    ALTER TABLE customers DROP COLUMN fax;

Good: stop using the column first; drop it in a later release, reviewed on its own:

    -- release 1: the application no longer reads customers.fax
    -- release 2:
    ALTER TABLE customers DROP COLUMN fax;  -- dbci:ignore DB103
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.rules.base import Hit, Rule, altered_actions
from dbci.analysis.tree import FileFacts, Statement

# What may follow DROP in an ALTER TABLE action and is not a column.
_NOT_COLUMN = {
    "CONSTRAINT",
    "INDEX",
    "KEY",
    "PRIMARY",
    "FOREIGN",
    "CHECK",
    "PARTITION",
    "DEFAULT",
    "PERIOD",
    "SYSTEM",
    "EXPRESSION",
    "IDENTITY",
    "NOT",
}


class DropColumn(Rule):
    id = "DB103"
    name = "drop-column"
    severity = "error"

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for table, action, words in altered_actions(statement, facts):
            if not words and action and action[0].raw.upper() == "DROP":
                # SQLFluff's MySQL grammar leaves `DROP fax` (COLUMN left out) unparsed.
                words = ["DROP"]
            if words[:1] == ["DROP"] and (len(words) < 2 or words[1] not in _NOT_COLUMN):
                yield Hit(
                    action[0],
                    f"dropping a column of {table} loses its data and breaks code that reads it",
                    table,
                )
