"""DB210 drop-index-not-concurrent: `DROP INDEX` takes an ACCESS EXCLUSIVE lock on the
index's table: it waits for every query on the table to end, and every query after it
waits for the drop. PostgreSQL's `CONCURRENTLY` waits for the queries without blocking
new ones. An index of a table the file creates is not flagged.

Bad:

    DROP INDEX orders_customer_idx;

Good (one index per statement; dbci runs a script holding it outside a transaction, as
CONCURRENTLY requires):

    DROP INDEX CONCURRENTLY orders_customer_idx;
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbci.analysis.rules.base import POSTGRES, Hit, WordRule
from dbci.analysis.tree import (
    FileFacts,
    Statement,
    code_children,
    indexes_created_before,
    object_name,
)
from dbci.analysis.words import Chunk, first_name, names_in, words_after


def on_new_tables(statement: Statement, facts: FileFacts) -> set[str]:
    """The indexes the file created, before `statement`, on tables it created."""
    new = facts.created_before.get(statement.index, frozenset())
    return {i for i, t in indexes_created_before(statement, facts).items() if t in new}


class DropIndexNotConcurrent(WordRule):
    id = "DB210"
    name = "drop-index-not-concurrent"
    severity = "warning"
    dialects = POSTGRES

    def check_words(
        self, chunks: list[Chunk], statement: Statement, facts: FileFacts
    ) -> Iterator[Hit]:
        # An index the words create on a new table is one too, for the chunks after it.
        on_new = on_new_tables(statement, facts)
        for chunk in chunks:
            if chunk.kind() == "CREATE INDEX" and chunk.is_new(chunk.table()):
                skipped = ("CREATE", "UNIQUE", "INDEX", "CONCURRENTLY", "IF", "NOT", "EXISTS")
                on_new.add(first_name(words_after(chunk, *skipped)))
            elif chunk.starts("DROP", "INDEX") and "CONCURRENTLY" not in chunk.texts:
                rest = words_after(chunk, "DROP", "INDEX", "IF", "EXISTS")
                rest = [w for w in rest if w.text not in ("CASCADE", "RESTRICT")]
                names = [n for n, _ in names_in(rest) if n not in on_new]
                if names:
                    yield _hit(chunk.segment, names)

    def check_parsed(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        if statement.kind != "drop_index_statement" or "CONCURRENTLY" in statement.keywords():
            return
        names = [
            object_name(s) for s in code_children(statement.body) if s.type == "index_reference"
        ]
        on_new = on_new_tables(statement, facts)
        names = [n for n in names if n not in on_new]
        if names:
            yield _hit(statement.body, names)


def _hit(segment: Any, names: list[str]) -> Hit:
    return Hit(
        segment,
        f"DROP INDEX {', '.join(names)} without CONCURRENTLY takes an ACCESS EXCLUSIVE "
        "lock on the indexed table, blocking its reads and writes until the drop ends; "
        "use DROP INDEX CONCURRENTLY",
    )
