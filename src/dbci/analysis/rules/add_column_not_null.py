"""DB203 add-column-not-null: a NOT NULL column without a default cannot be added to a
table that has rows: the migration fails in production while it passed on an empty
build database.

Bad:

    ALTER TABLE customers ADD COLUMN tier text NOT NULL;

Good:

    ALTER TABLE customers ADD COLUMN tier text NOT NULL DEFAULT 'standard';
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbci.analysis.rules.base import Hit, Rule, altered_actions
from dbci.analysis.tree import FileFacts, Statement, keywords

# What gives a new column its values on existing rows.
_FILLED = {"DEFAULT", "GENERATED", "IDENTITY", "AUTO_INCREMENT", "SERIAL", "AS"}


def added_column_words(action: list[Any]) -> list[str] | None:
    """The keywords of an ADD [COLUMN] action, or None when it adds something else."""
    words = keywords(action)
    if words[:1] != ["ADD"]:
        return None
    if any(seg.type in ("table_constraint", "table_constraint_definition") for seg in action):
        return None
    if len(words) > 1 and words[1] in (
        "CONSTRAINT",
        "PRIMARY",
        "UNIQUE",
        "FOREIGN",
        "CHECK",
        "INDEX",
        "KEY",
        "PARTITION",
    ):
        return None
    return words


class AddColumnNotNull(Rule):
    id = "DB203"
    name = "add-column-not-null"
    severity = "error"

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for table, action, _ in altered_actions(statement, facts):
            words = added_column_words(action)
            if words is None:
                continue
            not_null = any(words[i : i + 2] == ["NOT", "NULL"] for i in range(len(words)))
            types = " ".join(s.raw.upper() for s in action if s.type == "data_type")
            if not_null and not _FILLED & set(words) and "SERIAL" not in types:
                yield Hit(
                    action[0],
                    f"adding a NOT NULL column without a default fails on {table} once it has rows",
                    table,
                )
