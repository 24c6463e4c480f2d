"""DB801 index-not-online: building or rebuilding an index on an existing SQL Server table
without `WITH (ONLINE = ON)` blocks writes to it until the index is built (and reads too
for a clustered index, whose build rewrites the table). Online index operations need
Enterprise edition (or Developer), Azure SQL Database or Azure SQL Managed Instance.

Bad:

    CREATE INDEX ix_orders_customer ON dbo.orders (customer_id);
    ALTER INDEX ix_orders_customer ON dbo.orders REBUILD;

Good:

    CREATE INDEX ix_orders_customer ON dbo.orders (customer_id) WITH (ONLINE = ON);
    ALTER INDEX ix_orders_customer ON dbo.orders REBUILD WITH (ONLINE = ON, RESUMABLE = ON);

Flags, on a table the file did not create and without `ONLINE = ON`: `CREATE [UNIQUE]
[CLUSTERED | NONCLUSTERED] [COLUMNSTORE] INDEX`, `ALTER INDEX … REBUILD`, `ALTER TABLE …
REBUILD` and `ALTER TABLE … ADD [CONSTRAINT] PRIMARY KEY | UNIQUE` (which build an index).
Not flagged: `ALTER INDEX … REORGANIZE` (always online), `DISABLE` and `SET`; XML and
spatial indexes (they cannot be built online); `DROP INDEX`, because a migration does not
say whether the index is clustered (dropping a nonclustered index is a quick metadata
change; dropping a clustered one rewrites the table: give it `WITH (ONLINE = ON)`).
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.rules.base import Hit, Rule
from dbci.analysis.tree import FileFacts, Statement
from dbci.analysis.words import Chunk, Word, chunks

TSQL = frozenset({"tsql"})
_EDITIONS = "ONLINE = ON needs Enterprise edition, Azure SQL Database or Managed Instance"


class IndexNotOnline(Rule):
    id = "DB801"
    name = "index-not-online"
    severity = "warning"
    dialects = TSQL

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for chunk in chunks(statement, facts):
            table = chunk.table()
            if not table or chunk.is_new(table) or _online(chunk):
                continue
            found = _offline_build(chunk)
            if found is None:
                continue
            word, what, blocks = found
            yield Hit(
                word.segment,
                f"{what} on {table} without WITH (ONLINE = ON) blocks {blocks} until the build "
                f"finishes: add WITH (ONLINE = ON) ({_EDITIONS})",
                table,
            )


def _online(chunk: Chunk) -> bool:
    texts = chunk.texts
    return any(
        texts[i : i + 3] == ["ONLINE", "=", "ON"] for i in range(len(texts)) if texts[i] == "ONLINE"
    )


def _offline_build(chunk: Chunk) -> tuple[Word, str, str] | None:
    """Where the statement builds an index, what it is, and what it blocks."""
    kind = chunk.kind()
    texts = chunk.texts
    maybe = "writes to it (reads too, if the index is clustered)"
    if kind == "CREATE INDEX":
        before = set(texts[: texts.index("INDEX")])
        if {"XML", "SPATIAL"} & before:
            return None
        if "CLUSTERED" in before:
            return chunk.words[0], "CREATE CLUSTERED INDEX", "reads and writes"
        return chunk.words[0], "CREATE INDEX", "writes to it"
    if kind == "ALTER INDEX":
        rebuild = next((w for w in chunk.top() if w.text == "REBUILD"), None)
        return (rebuild, "ALTER INDEX … REBUILD", maybe) if rebuild is not None else None
    if kind == "ALTER TABLE":
        for action in chunk.actions():
            top = [w for w in action if w.depth == 0]
            heads = [w.text for w in top]
            if heads[:1] == ["REBUILD"]:
                return top[0], "ALTER TABLE … REBUILD", "reads and writes"
            if heads[:1] != ["ADD"]:
                continue
            if heads[1:2] == ["CONSTRAINT"]:
                heads = heads[:1] + heads[3:]
            if heads[1:2] == ["PRIMARY"]:
                clustered = "NONCLUSTERED" not in heads
                blocks = "reads and writes" if clustered else "writes to it"
                return top[0], "adding a PRIMARY KEY", blocks
            if heads[1:2] == ["UNIQUE"]:
                blocks = "reads and writes" if "CLUSTERED" in heads else "writes to it"
                return top[0], "adding a UNIQUE constraint", blocks
    return None
