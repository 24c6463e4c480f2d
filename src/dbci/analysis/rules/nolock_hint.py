"""DB803 nolock-hint: `NOLOCK` and `READUNCOMMITTED` table hints, and `SET TRANSACTION
ISOLATION LEVEL READ UNCOMMITTED`, make SQL Server read uncommitted data: a data migration
then copies rows that another transaction rolls back, and misses or reads twice rows that
move while it scans.

Bad:

    INSERT INTO dbo.orders_archive (id, total)
    SELECT id, total FROM dbo.orders WITH (NOLOCK) WHERE created_at < '2020-01-01';

Good: read committed data (batch the work, or use snapshot isolation, if the reads must
not wait for writers):

    INSERT INTO dbo.orders_archive (id, total)
    SELECT id, total FROM dbo.orders WHERE created_at < '2020-01-01';

Flags the hints anywhere in a statement (`WITH (NOLOCK)`, the old `t (NOLOCK)`, and in a
view or procedure a migration creates, whose readers read dirty data too) and the
isolation level, once per statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbci.analysis.rules.base import Hit, Rule
from dbci.analysis.tree import FileFacts, Statement, first_of, object_name
from dbci.analysis.words import chunks

TSQL = frozenset({"tsql"})
_HINTS = {"NOLOCK", "READUNCOMMITTED"}
_DIRTY = (
    "(rows another transaction rolls back, rows missed or read twice as pages move): "
    "read committed data instead"
)


class NolockHint(Rule):
    id = "DB803"
    name = "nolock-hint"
    severity = "warning"
    dialects = TSQL

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for chunk in chunks(statement, facts):
            texts = chunk.texts
            if texts[:6] == ["SET", "TRANSACTION", "ISOLATION", "LEVEL", "READ", "UNCOMMITTED"]:
                yield Hit(
                    chunk.segment,
                    "SET TRANSACTION ISOLATION LEVEL READ UNCOMMITTED makes the migration's "
                    f"later reads dirty {_DIRTY}",
                )
                continue
            hint = next((w for w in chunk.words if w.text in _HINTS), None)
            if hint is None:
                continue
            table = _hinted_table(hint.segment)
            on = f" on {table}" if table else ""
            yield Hit(hint.segment, f"the {hint.text} hint{on} reads uncommitted rows {_DIRTY}")


def _hinted_table(segment: Any) -> str:
    """The table a hint is written on, from SQLFluff's parse (or "" when unparsed)."""
    node = segment
    while node is not None:
        if node.type == "from_expression_element":
            return object_name(first_of(node, "table_reference"))
        parent = node.get_parent()
        node = parent[0] if parent else None
    return ""
