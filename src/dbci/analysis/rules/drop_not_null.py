"""DB216 drop-not-null: `DROP NOT NULL` on an existing column lets NULLs into a column
that running code, reports and other services may rely on being set; the first NULL
breaks them, not the migration.

Bad:

    ALTER TABLE orders ALTER COLUMN customer_id DROP NOT NULL;

Good: make sure every reader handles a NULL first, then suppress the finding on the line:

    ALTER TABLE orders ALTER COLUMN customer_id DROP NOT NULL;  -- dbci:ignore DB216
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.rules.base import POSTGRES, Hit, Rule, altered_actions
from dbci.analysis.tree import FileFacts, Statement, first_of, object_name


class DropNotNull(Rule):
    id = "DB216"
    name = "drop-not-null"
    severity = "warning"
    dialects = POSTGRES

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for table, action, words in altered_actions(statement, facts):
            if words[:1] != ["ALTER"] or not any(
                words[i : i + 3] == ["DROP", "NOT", "NULL"] for i in range(len(words))
            ):
                continue
            column = object_name(first_of(action, "column_reference"))
            yield Hit(
                action[0],
                f"dropping NOT NULL from {table}.{column} lets NULLs into a column that "
                "running code may rely on being set",
            )
