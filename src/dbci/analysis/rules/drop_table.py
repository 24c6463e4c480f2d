"""DB101 drop-table: `DROP TABLE` destroys a table and every row in it.

Bad:

    DROP TABLE orders;

Good: keep the table until nothing reads it, then drop it in a later release, with the
drop reviewed on its own (and suppressed with `-- dbci:ignore DB101`):

    ALTER TABLE orders RENAME TO orders_retired;  -- a release later: DROP TABLE
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.rules.base import Hit, Rule
from dbci.analysis.tree import FileFacts, Statement, iter_segments, object_name


class DropTable(Rule):
    id = "DB101"
    name = "drop-table"
    severity = "error"

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        if statement.kind != "drop_table_statement":
            return
        names = [object_name(t) for t in iter_segments(statement.body, "table_reference")]
        dropped = [n for n in names if not facts.is_new_table(statement, n)]
        if dropped:
            yield Hit(
                statement.body,
                f"DROP TABLE {', '.join(dropped)} destroys the table and all its rows",
            )
