"""Statements that lock an existing table, as the rules about timeouts see them: DB501
lock-timeout asks for `lock_timeout` before the first, DB503 statement-timeout for
`statement_timeout`."""

from __future__ import annotations

from dbci.analysis.tree import FileFacts, Statement, keywords

# Statements that take an ACCESS EXCLUSIVE or SHARE lock on the table they name.
LOCKING = frozenset(
    {
        "alter_table_statement",
        "drop_table_statement",
        "truncate_table",
        "truncate_statement",
        "create_index_statement",
    }
)


def needs_timeout(statement: Statement, facts: FileFacts) -> bool:
    """Whether a statement of a `LOCKING` kind holds its lock on a table that others use:
    not on a table the file created, and not a `CREATE INDEX CONCURRENTLY`."""
    if facts.is_new_table(statement, statement.table()):
        return False
    return not (
        statement.kind == "create_index_statement" and "CONCURRENTLY" in keywords(statement.body)
    )
