"""DB102 drop-schema: `DROP SCHEMA` or `DROP DATABASE` destroys everything inside it.

Bad:

    DROP SCHEMA reporting CASCADE;

Good: drop the objects one by one, each reviewed, or leave the schema in place:

    DROP VIEW reporting.daily_totals;
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.rules.base import Hit, Rule
from dbci.analysis.tree import FileFacts, Statement

_KINDS = {"drop_schema_statement": "SCHEMA", "drop_database_statement": "DATABASE"}


class DropSchema(Rule):
    id = "DB102"
    name = "drop-schema"
    severity = "error"

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        what = _KINDS.get(statement.kind)
        if what is not None:
            yield Hit(statement.body, f"DROP {what} destroys every object and row inside it")
