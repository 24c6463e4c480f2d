"""DB214 lock-table: `LOCK TABLE` holds its lock until the migration commits. In its
default mode, ACCESS EXCLUSIVE, it blocks every read and write of the table; in SHARE,
SHARE ROW EXCLUSIVE or EXCLUSIVE mode it blocks every write. The lighter modes (ACCESS
SHARE, ROW SHARE, ROW EXCLUSIVE, SHARE UPDATE EXCLUSIVE) let reads and writes through
and are not flagged, nor is a table the file creates. One severity for every flagged mode,
so that a team tunes the rule as a whole; the message says what the mode blocks.

Bad:

    LOCK TABLE orders;
    LOCK TABLE orders IN SHARE MODE;

Good: leave the locking to the statements that need it, with `lock_timeout` set so that
a wait fails fast:

    SET lock_timeout = '5s';
    ALTER TABLE orders ADD COLUMN note text;
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbci.analysis.rules.base import POSTGRES, Hit, WordRule
from dbci.analysis.tree import FileFacts, Statement, code_children, object_name
from dbci.analysis.words import Chunk, names_in, words_after

_BLOCKS_WRITES = frozenset({"SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE"})


def lock_mode(words: list[str]) -> str:
    """The mode a LOCK statement's keywords name (`IN … MODE`), ACCESS EXCLUSIVE if none."""
    if "IN" in words and "MODE" in words[words.index("IN") :]:
        start = words.index("IN") + 1
        return " ".join(words[start : words.index("MODE", start)])
    return "ACCESS EXCLUSIVE"


class LockTable(WordRule):
    id = "DB214"
    name = "lock-table"
    severity = "warning"
    dialects = POSTGRES

    def check_parsed(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        if statement.kind == "lock_table_statement":
            tables = [
                object_name(s) for s in code_children(statement.body) if s.type == "table_reference"
            ]
            new = facts.created_before.get(statement.index, frozenset())
            yield from _hit(statement.body, statement.keywords(), tables, new)

    def check_chunk(self, chunk: Chunk) -> Iterator[Hit]:
        if chunk.starts("LOCK"):
            rest = words_after(chunk, "LOCK", "TABLE", "ONLY")
            cut = next((i for i, w in enumerate(rest) if w.text in ("IN", "NOWAIT")), None)
            tables = [n for n, _ in names_in(rest[:cut])]
            yield from _hit(chunk.segment, chunk.texts, tables, chunk.new_tables)


def _hit(segment: Any, words: list[str], tables: list[str], new: frozenset[str]) -> Iterator[Hit]:
    mode = lock_mode(words)
    if mode != "ACCESS EXCLUSIVE" and mode not in _BLOCKS_WRITES:
        return
    tables = [t for t in tables if t not in new]
    if not tables:
        return
    if mode != "ACCESS EXCLUSIVE":
        article = "an" if mode == "EXCLUSIVE" else "a"
        what = f"{article} {mode} lock, which blocks every write"
    elif "MODE" in words:
        what = "an ACCESS EXCLUSIVE lock, which blocks every read and write"
    else:
        what = "an ACCESS EXCLUSIVE lock (the default mode), which blocks every read and write"
    yield Hit(
        segment,
        f"LOCK TABLE {', '.join(tables)} takes {what} until the migration commits; "
        "let the statements take the locks they need",
    )
