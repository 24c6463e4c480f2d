"""DB211 reindex-not-concurrent: `REINDEX` without `CONCURRENTLY` rebuilds the indexes
under locks that block writes to the table and the queries that use the indexes, for as
long as the rebuild takes. PostgreSQL 12+ rebuilds them `CONCURRENTLY` without blocking.
`REINDEX SYSTEM` (which cannot run concurrently) and an index or table the file creates
are not flagged.

Bad:

    REINDEX TABLE orders;
    REINDEX INDEX orders_customer_idx;

Good (dbci runs a script holding it outside a transaction, as CONCURRENTLY requires):

    REINDEX TABLE CONCURRENTLY orders;
    REINDEX INDEX CONCURRENTLY orders_customer_idx;
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
    is_concurrent,
    object_name,
)
from dbci.analysis.words import Chunk, first_name, words_after

_TARGETS = ("INDEX", "TABLE", "SCHEMA", "DATABASE", "SYSTEM")


class ReindexNotConcurrent(WordRule):
    id = "DB211"
    name = "reindex-not-concurrent"
    severity = "warning"
    dialects = POSTGRES

    def check_chunk(self, chunk: Chunk) -> Iterator[Hit]:
        if not chunk.starts("REINDEX") or "CONCURRENTLY" in chunk.texts:
            return
        rest = words_after(chunk, "REINDEX", "(", ")", "VERBOSE")
        target = rest[0].text if rest and rest[0].text in _TARGETS else ""
        if target in ("", "SYSTEM"):
            return
        name = first_name(rest[1:])
        table = name if target == "TABLE" else None
        if not (table and chunk.is_new(table)):
            yield self._hit(chunk.segment, f"{target} {name}", table)

    def check_parsed(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        if statement.kind != "reindex_statement_segment" or is_concurrent(statement):
            return
        target = next((w for w in statement.keywords() if w in _TARGETS), "")
        if target in ("", "SYSTEM"):
            return
        reference = next(
            (s for s in code_children(statement.body) if s.type.endswith("_reference")), None
        )
        name = object_name(reference)
        table: str | None = None
        if target == "TABLE":
            table = name
        elif target == "INDEX":
            table = indexes_created_before(statement, facts).get(name)
        if table and facts.is_new_table(statement, table):
            return
        yield self._hit(statement.body, f"{target} {name}", table)

    def _hit(self, segment: Any, what: str, table: str | None) -> Hit:
        return Hit(
            segment,
            f"REINDEX {what.strip()} without CONCURRENTLY blocks writes, and the reads that use "
            "the indexes, until the rebuild ends; use REINDEX … CONCURRENTLY (PostgreSQL 12+)",
            table,
        )
