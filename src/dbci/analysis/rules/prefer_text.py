"""DB601 prefer-text: a `varchar(n)` column bakes its limit into the type: changing `n`
later takes an ACCESS EXCLUSIVE lock on the table (shortening it rewrites the table),
while a CHECK on the length of a `text` column can be replaced without blocking anyone
(`NOT VALID`, then `VALIDATE`). PostgreSQL stores both the same way.

Bad:

    CREATE TABLE customers (email varchar(255) NOT NULL);

Good:

    CREATE TABLE customers (email text NOT NULL CHECK (length(email) <= 255));

A `varchar` without a length is `text` by another name and is not reported.
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.columns import typed_columns
from dbci.analysis.rules.base import POSTGRES, Hit, Rule
from dbci.analysis.tree import FileFacts, Statement


class PreferText(Rule):
    id = "DB601"
    name = "prefer-text"
    severity = "info"
    dialects = POSTGRES

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for column in typed_columns(statement, facts):
            words = column.type_words
            varying = words[:1] == ["VARCHAR"] or words[:2] == ["CHARACTER", "VARYING"]
            if varying and column.has_length:
                yield Hit(
                    column.at,
                    f"{column.table}.{column.column} is {column.type_text}: changing its "
                    "length later locks the table: use text with a CHECK on its length",
                )
