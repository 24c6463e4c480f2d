"""DB213 table-rewrite: `VACUUM FULL`, `CLUSTER` and `ALTER TABLE … SET LOGGED` / `SET
UNLOGGED` write a new copy of the whole table (and its indexes) under an ACCESS EXCLUSIVE
lock, which blocks reads and writes until the copy is done. A table the file creates is
not flagged.

Bad:

    VACUUM FULL orders;
    CLUSTER orders USING orders_created_idx;
    ALTER TABLE orders SET LOGGED;

Good: a plain `VACUUM` makes dead rows' space reusable without the lock; to give space
back or reorder a large table, use an online tool (pg_repack) outside the migration; a
table that must change between logged and unlogged is best created as it should be:

    VACUUM orders;
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from dbci.analysis.rules.base import POSTGRES, Hit, WordRule, altered_actions
from dbci.analysis.tree import FileFacts, Statement, code_children, object_name, options
from dbci.analysis.words import Chunk, names_in, words_after

_LOCKED = "under an ACCESS EXCLUSIVE lock that blocks reads and writes until it is done"


class TableRewrite(WordRule):
    id = "DB213"
    name = "table-rewrite"
    severity = "warning"
    dialects = POSTGRES

    def check_parsed(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        if statement.kind in ("vacuum_statement", "cluster_statement"):
            words = statement.keywords()
            if statement.kind == "vacuum_statement" and not (
                "FULL" in words or options(statement.body).get("FULL", False)
            ):
                return
            tables = [
                (object_name(s), s)
                for s in code_children(statement.body)
                if s.type == "table_reference"
            ]
            yield from _rewrites(
                statement.body, words[0], tables, lambda t: facts.is_new_table(statement, t)
            )
        else:
            for table, action, words in altered_actions(statement, facts):
                if words[:2] in (["SET", "LOGGED"], ["SET", "UNLOGGED"]):
                    yield _hit(action[0], " ".join(words[:2]), table)

    def check_chunk(self, chunk: Chunk) -> Iterator[Hit]:
        rest = words_after(chunk, "VACUUM", "CLUSTER", "(", ")", "VERBOSE", "FULL", "FREEZE")
        rest = [w for w in rest if w.text not in ("ANALYZE", "ANALYSE")]
        if chunk.starts("VACUUM") and _full(chunk):
            tables = [(n, w.segment) for n, w in names_in(rest)]
            yield from _rewrites(chunk.segment, "VACUUM", tables, chunk.is_new)
        elif chunk.starts("CLUSTER"):
            on = next((i for i, w in enumerate(rest) if w.text == "ON"), None)
            using = next((i for i, w in enumerate(rest) if w.text == "USING"), None)
            named = rest[on + 1 :] if on is not None else rest[:using]
            tables = [(n, w.segment) for n, w in names_in(named)][:1]
            yield from _rewrites(chunk.segment, "CLUSTER", tables, chunk.is_new)
        elif chunk.kind() == "ALTER TABLE":
            table = chunk.table()
            for action in chunk.actions():
                heads = [w.text for w in action if w.depth == 0]
                if heads[:2] in (["SET", "LOGGED"], ["SET", "UNLOGGED"]) and not chunk.is_new(
                    table
                ):
                    yield _hit(action[0].segment, " ".join(heads[:2]), table)


def _full(chunk: Chunk) -> bool:
    """Whether a VACUUM's words ask for FULL (and not `(FULL false)`)."""
    texts = chunk.texts
    if "FULL" not in texts:
        return False
    after = texts[texts.index("FULL") + 1 : texts.index("FULL") + 2]
    return [t.lower() for t in after] not in (["false"], ["off"], ["0"])


def _rewrites(
    segment: Any,
    verb: str,
    tables: list[tuple[str, Any]],
    is_new: Callable[[str], bool],
) -> Iterator[Hit]:
    operation = "VACUUM FULL" if verb == "VACUUM" else "CLUSTER"
    if not tables:
        everything = (
            "every table of the database" if verb == "VACUUM" else "every table clustered before"
        )
        yield Hit(segment, f"{operation} rewrites {everything} {_LOCKED}")
    for table, at in tables:
        if not is_new(table):
            yield _hit(at, operation, table)


def _hit(segment: Any, operation: str, table: str) -> Hit:
    return Hit(segment, f"{operation} rewrites all of {table} {_LOCKED}", table)
