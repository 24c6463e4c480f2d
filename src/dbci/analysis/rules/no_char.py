"""DB604 no-char: `char(n)` pads every value with spaces to `n` characters, ignores
trailing spaces when comparing, and is no faster or smaller than `text` in PostgreSQL
(`char` without a length is `char(1)`).

Bad:

    CREATE TABLE countries (code char(2) NOT NULL);

Good:

    CREATE TABLE countries (code text NOT NULL CHECK (length(code) = 2));
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.columns import typed_columns
from dbci.analysis.rules.base import POSTGRES, Hit, Rule
from dbci.analysis.tree import FileFacts, Statement

_CHAR = {"CHAR", "CHARACTER", "BPCHAR", "NCHAR"}


class NoChar(Rule):
    id = "DB604"
    name = "no-char"
    severity = "info"
    dialects = POSTGRES

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for column in typed_columns(statement, facts):
            words = column.type_words
            if words[:1] and words[0] in _CHAR and "VARYING" not in words:
                yield Hit(
                    column.at,
                    f"{column.table}.{column.column} is {column.type_text}, which pads "
                    "values with spaces and gains nothing over text: use text with a CHECK "
                    "on its length",
                )
