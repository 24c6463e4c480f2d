"""DB603 prefer-timestamptz: `timestamp` (without time zone) stores a wall-clock time
with no offset: the same value means different instants to sessions in different time
zones, and daylight-saving changes make some values ambiguous. `timestamptz` stores an
instant and shows it in each session's time zone; it takes the same 8 bytes.

Bad:

    CREATE TABLE events (happened_at timestamp NOT NULL);

Good:

    CREATE TABLE events (happened_at timestamptz NOT NULL);
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.columns import typed_columns
from dbci.analysis.rules.base import POSTGRES, Hit, Rule
from dbci.analysis.tree import FileFacts, Statement


class PreferTimestamptz(Rule):
    id = "DB603"
    name = "prefer-timestamptz"
    severity = "warning"
    dialects = POSTGRES

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for column in typed_columns(statement, facts):
            words = column.type_words
            if words[:1] == ["TIMESTAMP"] and "WITH" not in words:
                yield Hit(
                    column.at,
                    f"{column.table}.{column.column} is timestamp without time zone, whose "
                    "values mean different instants in different time zones: use timestamptz",
                )
