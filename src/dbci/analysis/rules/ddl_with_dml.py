"""DB502 ddl-with-dml: a migration that changes the schema and also rewrites many rows
holds its DDL locks for as long as the data change runs (PostgreSQL keeps them to the
end of the transaction) and cannot be retried in parts.

Bad:

    ALTER TABLE orders ADD COLUMN total numeric;
    UPDATE orders SET total = quantity * price;

Good: the schema change in one migration, the backfill (in batches) in the next.

Large DML is an UPDATE or a DELETE, or an INSERT … SELECT; an INSERT of listed values
is not. Reported once per file, at the first large DML statement.
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.rules.base import Hit, Rule
from dbci.analysis.tree import DDL_KINDS, FileFacts, Statement, code_children


def is_large_dml(statement: Statement, facts: FileFacts) -> bool:
    """An UPDATE, DELETE or INSERT … SELECT on a table this file did not create."""
    if facts.is_new_table(statement, statement.table()):
        return False
    if statement.kind in ("update_statement", "delete_statement"):
        return True
    return statement.kind == "insert_statement" and any(
        s.type in ("select_statement", "set_expression", "with_compound_statement")
        for s in code_children(statement.body)
    )


class DdlWithDml(Rule):
    id = "DB502"
    name = "ddl-with-dml"
    severity = "warning"

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        if not is_large_dml(statement, facts):
            return
        if not any(s.kind in DDL_KINDS for s in facts.statements):
            return
        if any(is_large_dml(s, facts) for s in facts.statements[: statement.index]):
            return
        yield Hit(
            statement.body,
            "this migration changes the schema and rewrites rows: the DDL locks are held "
            "while the data changes; split it into two migrations",
        )
