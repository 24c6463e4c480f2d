"""DB605 prefer-bigint: an `int` column holds at most 2,147,483,647 and a `smallint` column
32,767. A counter, an amount in cents or a foreign key to a `bigint` key outgrows that
sooner than expected, and widening the column later rewrites the table under an ACCESS
EXCLUSIVE lock. `bigint` costs four bytes more per row. (Keys and identity columns are
DB602's.)

Bad:

    ALTER TABLE orders ADD COLUMN quantity int;

Good:

    ALTER TABLE orders ADD COLUMN quantity bigint;
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.columns import INT2_TYPES, INT4_TYPES, SERIAL_TYPES, typed_columns
from dbci.analysis.rules.base import POSTGRES, Hit, Rule
from dbci.analysis.tree import FileFacts, Statement


class PreferBigint(Rule):
    id = "DB605"
    name = "prefer-bigint"
    severity = "info"  # a choice, not a danger: DB602 is the key's warning
    dialects = POSTGRES

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for column in typed_columns(statement, facts):
            words = column.type_words
            if len(words) != 1 or words[0] in SERIAL_TYPES:
                continue
            if column.primary_key or column.identity:
                continue  # DB602 says it, as a warning
            if words[0] in INT4_TYPES | INT2_TYPES:
                limit = "32,767" if words[0] in INT2_TYPES else "2,147,483,647"
                yield Hit(
                    column.at,
                    f"{column.table}.{column.column} is {column.type_text.lower()}, which "
                    f"holds at most {limit}; widening it later rewrites the table: use bigint",
                )
