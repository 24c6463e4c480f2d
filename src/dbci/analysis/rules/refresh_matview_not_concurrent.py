"""DB212 refresh-matview-not-concurrent: `REFRESH MATERIALIZED VIEW` takes an ACCESS
EXCLUSIVE lock on the view: nobody can read it until its query has run again over all
of its data. `CONCURRENTLY` (it needs a unique index on the view) keeps it readable. A
view the file creates, and `WITH NO DATA` (which runs no query), are not flagged.

Bad:

    REFRESH MATERIALIZED VIEW order_totals;

Good:

    CREATE UNIQUE INDEX CONCURRENTLY order_totals_key ON order_totals (customer_id);
    REFRESH MATERIALIZED VIEW CONCURRENTLY order_totals;
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbci.analysis.rules.base import POSTGRES, Hit, Rule
from dbci.analysis.tree import FileFacts, Statement
from dbci.analysis.words import first_name, unparsed, words_after


class RefreshMatviewNotConcurrent(Rule):
    id = "DB212"
    name = "refresh-matview-not-concurrent"
    severity = "warning"
    dialects = POSTGRES

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        extra = unparsed(statement, facts)
        refresh = statement.kind == "refresh_materialized_view_statement"
        if not (extra or refresh):
            return
        created = {
            s.table()
            for s in facts.statements[: statement.index]
            if s.kind == "create_materialized_view_statement"
        }
        if refresh and not any(c.parsed for c in extra):
            words = statement.keywords()
            view = statement.table()
            if _blocks(words) and view not in created:
                yield _hit(statement.body, view)
        for chunk in extra:
            if chunk.starts("CREATE", "MATERIALIZED", "VIEW"):
                rest = words_after(chunk, "CREATE", "MATERIALIZED", "VIEW", "IF", "NOT", "EXISTS")
                created.add(first_name(rest))
            if chunk.starts("REFRESH", "MATERIALIZED", "VIEW") and _blocks(chunk.texts):
                rest = words_after(chunk, "REFRESH", "MATERIALIZED", "VIEW")
                view = first_name(rest)
                if view not in created:
                    yield _hit(chunk.segment, view)


def _blocks(words: list[str]) -> bool:
    """Not CONCURRENTLY, and not WITH NO DATA (which runs no query)."""
    return "CONCURRENTLY" not in words and words[-3:] != ["WITH", "NO", "DATA"]


def _hit(segment: Any, view: str) -> Hit:
    return Hit(
        segment,
        f"REFRESH MATERIALIZED VIEW {view} without CONCURRENTLY blocks every read of it "
        "until its query has run again; refresh it CONCURRENTLY (with a unique index on it)",
        view or None,
    )
