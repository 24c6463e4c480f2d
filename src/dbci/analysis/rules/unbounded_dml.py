"""DB105 unbounded-dml: `DELETE` or `UPDATE` without `WHERE` touches every row.

Bad:

    UPDATE accounts SET status = 'active';

Good:

    UPDATE accounts SET status = 'active' WHERE status IS NULL;
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.rules.base import Hit, Rule
from dbci.analysis.tree import FileFacts, Statement, code_children

_VERB = {"delete_statement": "DELETE", "update_statement": "UPDATE"}


class UnboundedDml(Rule):
    id = "DB105"
    name = "unbounded-dml"
    severity = "error"

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        verb = _VERB.get(statement.kind)
        if verb is None or facts.is_new_table(statement, statement.table()):
            return
        if not any(s.type == "where_clause" for s in code_children(statement.body)):
            yield Hit(
                statement.body,
                f"{verb} without WHERE changes every row of the table",
                statement.table() or None,
            )
