"""DB104 truncate: `TRUNCATE` deletes every row at once, with no WHERE and no row triggers.

Bad:

    TRUNCATE TABLE audit_log;

Good: delete what must go, in bounded batches:

    DELETE FROM audit_log WHERE logged_at < now() - interval '90 days';
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.rules.base import Hit, Rule
from dbci.analysis.tree import FileFacts, Statement


class Truncate(Rule):
    id = "DB104"
    name = "truncate"
    severity = "error"

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        if statement.kind in ("truncate_table", "truncate_statement"):
            yield Hit(statement.body, "TRUNCATE deletes every row of the table")
