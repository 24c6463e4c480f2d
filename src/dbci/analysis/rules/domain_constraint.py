"""DB219 domain-constraint: a CHECK on a domain is checked against every column of that
type. `ALTER DOMAIN … ADD CONSTRAINT` scans every table that uses the domain while holding
a lock that blocks writes to them; a `CREATE DOMAIN … CHECK` fixes a constraint that can
later only be changed that way. A CHECK on each table's column can be added `NOT VALID`
and validated without blocking writes.

Bad:

    ALTER DOMAIN email_address ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');

Good: the constraint on the table, added without a scan, validated after:

    ALTER TABLE customers ADD CONSTRAINT email_has_at CHECK (email LIKE '%@%') NOT VALID;
    ALTER TABLE customers VALIDATE CONSTRAINT email_has_at;
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.rules.base import POSTGRES, Hit, Rule
from dbci.analysis.tree import FileFacts, Statement, code_children, object_name


class DomainConstraint(Rule):
    id = "DB219"
    name = "domain-constraint"
    severity = "warning"
    dialects = POSTGRES

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        if statement.kind not in ("create_domain_statement", "alter_domain_statement"):
            return
        words = statement.keywords()
        if "CHECK" not in words:
            return
        name = _domain(statement)
        if statement.kind == "create_domain_statement":
            yield Hit(
                statement.body,
                f"domain {name} has a CHECK: changing it later scans every table that uses "
                "the domain under a lock; put the CHECK on the tables' columns instead",
            )
        elif "VALID" not in words or "NOT" not in words:
            yield Hit(
                statement.body,
                f"ADD CONSTRAINT on domain {name} checks every column of that type under a "
                "lock that blocks writes; add NOT VALID, or put the CHECK on the tables",
            )


def _domain(statement: Statement) -> str:
    """The domain's name: the first reference after DOMAIN."""
    children = code_children(statement.body)
    for n, segment in enumerate(children):
        if segment.raw.upper() == "DOMAIN" and n + 1 < len(children):
            return object_name(children[n + 1])
    return "?"
