"""DB215 concurrent-index-in-transaction: `CREATE INDEX CONCURRENTLY`, `DROP INDEX
CONCURRENTLY` and `REINDEX … CONCURRENTLY` cannot run inside a transaction block: inside
the script's own `BEGIN` … `COMMIT` the migration fails with "cannot run inside a
transaction block". Without such a block, dbci runs a script holding one of them outside
a transaction (Flyway's way), statement by statement, and it works; the two settings that
would put it in one (`executeInTransaction=true` in the script's `.conf`, `group = true`)
are refused by dbci before anything runs, so they are not flagged here.

Bad:

    BEGIN;
    CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);
    COMMIT;

Good:

    CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbci.analysis.rules.base import POSTGRES, Hit, Rule
from dbci.analysis.tree import FileFacts, Statement, is_concurrent
from dbci.analysis.words import unparsed

_OPERATIONS = {
    "create_index_statement": "CREATE INDEX CONCURRENTLY",
    "drop_index_statement": "DROP INDEX CONCURRENTLY",
    "reindex_statement_segment": "REINDEX CONCURRENTLY",
}


def in_transaction_block(statement: Statement, facts: FileFacts) -> bool:
    """Whether an earlier `BEGIN` / `START TRANSACTION` of the file is still open (no
    `COMMIT`, `END`, `ROLLBACK` or `ABORT` since; `ROLLBACK TO` a savepoint keeps it)."""
    open_block = False
    for earlier in facts.statements[: statement.index]:
        if earlier.kind == "transaction_statement":
            open_block = _after(earlier.keywords(), open_block)
    return open_block


def _after(words: list[str], open_block: bool) -> bool:
    """Whether a transaction block is open after a statement of `words`."""
    if words[:1] == ["BEGIN"] or words[:2] == ["START", "TRANSACTION"]:
        return True
    if words[:1] in (["COMMIT"], ["END"], ["ABORT"]) or words[:2] == ["PREPARE", "TRANSACTION"]:
        return False
    if words[:1] == ["ROLLBACK"] and "TO" not in words[:2]:
        return False
    return open_block


def _concurrent(words: list[str]) -> str | None:
    """The operation a statement's words start with, if it cannot run in a block."""
    if "CONCURRENTLY" not in words[:8]:
        return None
    if words[:1] in (["CREATE"], ["DROP"]) and "INDEX" in words[:3]:
        return f"{words[0]} INDEX CONCURRENTLY"
    return "REINDEX CONCURRENTLY" if words[:1] == ["REINDEX"] else None


class ConcurrentIndexInTransaction(Rule):
    id = "DB215"
    name = "concurrent-index-in-transaction"
    severity = "error"
    dialects = POSTGRES

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        extra = unparsed(statement, facts)
        operation = _OPERATIONS.get(statement.kind)
        concurrent = operation is not None and is_concurrent(statement)
        if not (concurrent or extra):
            return
        open_block = in_transaction_block(statement, facts)
        if operation and concurrent and open_block:
            yield _hit(statement.body, operation)
        if statement.kind == "transaction_statement":
            open_block = _after(statement.keywords(), open_block)
        for chunk in extra:
            if chunk.parsed:
                continue  # the statement itself, read above
            found = _concurrent(chunk.texts)
            if found and open_block:
                yield _hit(chunk.segment, found)
            open_block = _after(chunk.texts, open_block)


def _hit(segment: Any, operation: str) -> Hit:
    return Hit(
        segment,
        f"{operation} cannot run inside the transaction block the script opens (BEGIN "
        "… COMMIT): the migration fails; move it out of the block",
    )
