"""DB208 add-column-references: adding a column with an inline `REFERENCES` to an existing
table adds a foreign key that is validated at once, while the table is locked against
reads and writes and the referenced table against writes. Add the column alone, then the
foreign key `NOT VALID`, then validate it under a weaker lock. (A foreign key added with
`ADD CONSTRAINT … FOREIGN KEY` without `NOT VALID` is DB206's.)

Bad:

    ALTER TABLE orders ADD COLUMN customer_id bigint REFERENCES customers (id);

Good:

    ALTER TABLE orders ADD COLUMN customer_id bigint;
    ALTER TABLE orders ADD CONSTRAINT orders_customer_fk
        FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
    ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbci.analysis.rules.base import POSTGRES, Hit, WordRule, altered_actions
from dbci.analysis.tree import FileFacts, Statement, first_of, object_name
from dbci.analysis.words import Chunk, first_name


class AddColumnReferences(WordRule):
    id = "DB208"
    name = "add-column-references"
    severity = "warning"
    dialects = POSTGRES

    def check_parsed(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        for table, action, words in altered_actions(statement, facts):
            if words[:1] != ["ADD"] or "REFERENCES" not in words:
                continue
            if any(seg.type == "table_constraint" for seg in action):
                continue  # ADD CONSTRAINT … FOREIGN KEY: DB206
            constraint = first_of(action, "column_constraint_segment")
            referenced = first_of(constraint, "table_reference") if constraint else None
            yield _hit(action[0], table, object_name(referenced))

    def check_chunk(self, chunk: Chunk) -> Iterator[Hit]:
        table = chunk.table()
        if chunk.kind() != "ALTER TABLE" or chunk.is_new(table):
            return
        for action in chunk.actions():
            top = [w for w in action if w.depth == 0]
            words = [w.text for w in top]
            if words[:1] == ["ADD"] and "REFERENCES" in words and "FOREIGN" not in words:
                at = words.index("REFERENCES")
                referenced = first_name(top[at + 1 :])
                yield _hit(top[0].segment, table, referenced)


def _hit(segment: Any, table: str, referenced: str) -> Hit:
    both = f"{table} and {referenced}" if referenced else f"{table} and the one it references"
    return Hit(
        segment,
        f"adding a column with REFERENCES validates the foreign key at once, locking "
        f"both {both}; add the column, then the FOREIGN KEY NOT VALID, then "
        "VALIDATE CONSTRAINT",
        table,
    )
