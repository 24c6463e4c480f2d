"""DB207 add-unique-constraint: adding a UNIQUE or PRIMARY KEY constraint to an existing
table builds its index over every row under an ACCESS EXCLUSIVE lock, which blocks reads
and writes until the build ends. Build the index CONCURRENTLY first, then add the
constraint `USING INDEX`, which only takes a short lock. A column added with `UNIQUE` or
`PRIMARY KEY` builds the same index and is flagged too.

Bad:

    ALTER TABLE orders ADD CONSTRAINT orders_ref_key UNIQUE (ref);
    ALTER TABLE orders ADD PRIMARY KEY (id);

Good (the index in a migration of its own: CONCURRENTLY cannot run in a transaction; for
a primary key, make its columns NOT NULL first, as DB202 shows, or it scans the table):

    CREATE UNIQUE INDEX CONCURRENTLY orders_ref_key ON orders (ref);
    ALTER TABLE orders ADD CONSTRAINT orders_ref_key UNIQUE USING INDEX orders_ref_key;
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbci.analysis.rules.base import POSTGRES, Hit, Rule, altered_actions
from dbci.analysis.tree import FileFacts, Statement
from dbci.analysis.words import Word, unparsed


def index_constraint(words: list[str]) -> str | None:
    """`PRIMARY KEY` or `UNIQUE` when an ADD action's keywords add one that builds its own
    index (not `… USING INDEX name`, which adopts an index built before), else None."""
    pairs = [words[i : i + 2] for i in range(len(words))]
    kind = "PRIMARY KEY" if ["PRIMARY", "KEY"] in pairs else "UNIQUE" if "UNIQUE" in words else None
    adopts = any(
        words[i : i + 2] == ["USING", "INDEX"] and words[i + 2 : i + 3] != ["TABLESPACE"]
        for i in range(len(words))
    )
    return None if adopts else kind


def actions(statement: Statement, facts: FileFacts) -> Iterator[tuple[str, Any, list[str]]]:
    """(table, where, the action's top-level keywords) for each action of an ALTER TABLE
    on a table the file did not create: as SQLFluff parsed it, or, where it could not, as
    words (`altered_actions`, then `words.chunks`)."""
    extra = unparsed(statement, facts)
    if not any(c.parsed for c in extra):
        for table, action, words in altered_actions(statement, facts):
            yield table, action[0], words
    for chunk in extra:
        table = chunk.table()
        if chunk.kind() != "ALTER TABLE" or chunk.is_new(table):
            continue
        for action in chunk.actions():
            top: list[Word] = [w for w in action if w.depth == 0]
            if top:
                yield table, top[0].segment, [w.text for w in top]


class AddUniqueConstraint(Rule):
    id = "DB207"
    name = "add-unique-constraint"
    severity = "warning"
    dialects = POSTGRES

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for table, where, words in actions(statement, facts):
            if words[:1] != ["ADD"]:
                continue
            kind = index_constraint(words)
            if kind:
                yield Hit(
                    where,
                    f"adding a {kind} constraint builds its index over all of {table} under "
                    "an ACCESS EXCLUSIVE lock that blocks reads and writes; CREATE UNIQUE "
                    f"INDEX CONCURRENTLY, then ADD CONSTRAINT … {kind} USING INDEX",
                    table,
                )
