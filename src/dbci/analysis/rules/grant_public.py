"""DB401 grant-public: a privilege granted to PUBLIC is granted to every role, today's
and tomorrow's.

Bad:

    GRANT SELECT ON customers TO PUBLIC;

Good:

    GRANT SELECT ON customers TO reporting_reader;
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.rules.base import Hit, Rule
from dbci.analysis.tree import FileFacts, Statement, iter_segments


class GrantPublic(Rule):
    id = "DB401"
    name = "grant-public"
    severity = "warning"

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        if statement.kind != "access_statement" or statement.keywords()[:1] != ["GRANT"]:
            return
        for role in iter_segments(statement.body, "role_reference"):
            if role.raw.strip('"').upper() == "PUBLIC":
                yield Hit(role, "GRANT to PUBLIC gives the privilege to every role")
