"""DB205 index-not-concurrent: `CREATE INDEX` on an existing table blocks every write to
it until the index is built; PostgreSQL's `CONCURRENTLY` does not.

Bad:

    CREATE INDEX orders_customer_idx ON orders (customer_id);

Good (in a migration of its own: CONCURRENTLY cannot run in a transaction):

    CREATE INDEX CONCURRENTLY orders_customer_idx ON orders (customer_id);
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.rules.base import POSTGRES, Hit, Rule
from dbci.analysis.tree import FileFacts, Statement


class IndexNotConcurrent(Rule):
    id = "DB205"
    name = "index-not-concurrent"
    severity = "warning"
    dialects = POSTGRES

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        if statement.kind != "create_index_statement":
            return
        table = statement.table()
        if "CONCURRENTLY" in statement.keywords() or facts.is_new_table(statement, table):
            return
        yield Hit(
            statement.body,
            f"CREATE INDEX without CONCURRENTLY blocks writes to {table} while it builds",
            table,
        )
