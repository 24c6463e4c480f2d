"""DB201 alter-column-type: changing a column's type rewrites the table under a lock that
blocks reads and writes (PostgreSQL: ACCESS EXCLUSIVE; MySQL: a table copy).

Bad:

    ALTER TABLE events ALTER COLUMN payload TYPE jsonb;

Good: add the new column, backfill it in batches, switch the code over, then drop the
old one:

    ALTER TABLE events ADD COLUMN payload_json jsonb;
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbci.analysis.rules.base import Hit, Rule, altered_actions
from dbci.analysis.tree import FileFacts, Statement


def is_type_change(words: list[str], action: list[Any]) -> bool:
    """Whether an ALTER TABLE action changes a column's type, in any dialect."""
    if words[:1] in (["MODIFY"], ["CHANGE"]):  # MySQL
        return True
    if words[:1] != ["ALTER"]:
        return False
    if "TYPE" in words:  # PostgreSQL: ALTER [COLUMN] c [SET DATA] TYPE t
        return True
    # T-SQL: ALTER COLUMN c <type> [NULL | NOT NULL]
    return any(seg.type == "column_definition" for seg in action) and not any(
        w in words for w in ("SET", "DROP", "ADD")
    )


class AlterColumnType(Rule):
    id = "DB201"
    name = "alter-column-type"
    severity = "warning"

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for table, action, words in altered_actions(statement, facts):
            if is_type_change(words, action):
                yield Hit(
                    action[0],
                    f"changing a column's type rewrites {table} under a lock that blocks "
                    "reads and writes",
                    table,
                )
