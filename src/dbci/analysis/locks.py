"""Statements that lock an existing table, as the rules about timeouts see them: DB501
lock-timeout asks for `lock_timeout` before the first, DB503 statement-timeout for
`statement_timeout`."""

from __future__ import annotations

from collections.abc import Callable

from dbci.analysis.tree import FileFacts, Statement, is_concurrent

# Statements that take a lock blocking writes (SHARE or stronger, PostgreSQL's "Explicit
# Locking" table) on the table or materialized view they name, or on an index's table:
# ALTER TABLE, DROP TABLE, TRUNCATE and CLUSTER (ACCESS EXCLUSIVE), CREATE INDEX (SHARE),
# DROP INDEX (ACCESS EXCLUSIVE on its table), REINDEX (SHARE on the table, ACCESS
# EXCLUSIVE on the index), REFRESH MATERIALIZED VIEW (ACCESS EXCLUSIVE) and LOCK TABLE
# (ACCESS EXCLUSIVE unless it names a mode).
LOCKING = frozenset(
    {
        "alter_table_statement",
        "drop_table_statement",
        "truncate_table",
        "truncate_statement",
        "create_index_statement",
        "drop_index_statement",
        "reindex_statement_segment",
        "refresh_materialized_view_statement",
        "cluster_statement",
        "lock_table_statement",
    }
)
# Those that take only a weaker lock with CONCURRENTLY (SHARE UPDATE EXCLUSIVE; EXCLUSIVE
# for a concurrent refresh, which still lets the view be read).
_CONCURRENT_FORMS = frozenset(
    {
        "create_index_statement",
        "drop_index_statement",
        "reindex_statement_segment",
        "refresh_materialized_view_statement",
    }
)


def needs_timeout(statement: Statement, facts: FileFacts) -> bool:
    """Whether a statement of a `LOCKING` kind holds its lock on a table that others use:
    not on a table the file created, and not in its CONCURRENTLY form."""
    if facts.is_new_table(statement, statement.table()):
        return False
    return not (statement.kind in _CONCURRENT_FORMS and is_concurrent(statement))


def first_needing_timeout(
    facts: FileFacts, timeout: str, sets_it: Callable[[Statement], bool]
) -> int | None:
    """The index of the file's first statement that `needs_timeout`, when no statement
    before it sets `timeout` (`sets_it`); None when there is none. Found once per file for
    every statement a rule is asked about (`facts.memo`)."""
    key = (f"first statement needing {timeout}", -1)
    if key not in facts.memo:
        found: int | None = None
        for statement in facts.statements:
            if sets_it(statement):
                break
            if statement.kind in LOCKING and needs_timeout(statement, facts):
                found = statement.index
                break
        facts.memo[key] = found
    result: int | None = facts.memo[key]
    return result
