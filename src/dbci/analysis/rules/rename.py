"""DB301 rename: renaming a table or a column breaks every query of the running
application that uses the old name, from the moment the migration commits.

Bad:

    ALTER TABLE customers RENAME COLUMN mail TO email;

Good: add the new name beside the old one (a new column kept in step, or a view), move
the code over, and drop the old name in a later release:

    ALTER TABLE customers ADD COLUMN email text;
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbci.analysis.rules.base import Hit, Rule
from dbci.analysis.tree import FileFacts, Statement, code_children, keywords, object_name


class Rename(Rule):
    id = "DB301"
    name = "rename"
    severity = "warning"

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        if statement.kind == "rename_table_statement":  # MySQL: RENAME TABLE a TO b
            yield Hit(statement.body, "renaming a table breaks the code that uses its old name")
        elif statement.kind == "execute_script_statement":  # T-SQL: EXEC sp_rename
            procedure = next(
                (s for s in code_children(statement.body) if s.type == "object_reference"), None
            )
            if object_name(procedure) == "sp_rename":
                yield Hit(statement.body, "sp_rename breaks the code that uses the old name")
        elif statement.kind == "alter_table_statement":
            if facts.is_new_table(statement, statement.table()):
                return
            for action in statement.actions():
                words = keywords(action)
                if "RENAME" in words[:1] or (words[:1] == ["CHANGE"] and _renames(action)):
                    what = "a column" if "COLUMN" in words or "CHANGE" in words else "a table"
                    if words[1:2] in (["CONSTRAINT"], ["INDEX"], ["KEY"]):
                        continue
                    yield Hit(action[0], f"renaming {what} breaks the code that uses its old name")


def _renames(action: list[Any]) -> bool:
    """MySQL `CHANGE [COLUMN] old new type`: a rename when the two names differ."""
    old = next((s for s in action if s.type == "column_reference"), None)
    new = next((s for s in action if s.type == "column_definition"), None)
    if old is None or new is None:
        return False
    new_name = next(iter(new.recursive_crawl("identifier", "naked_identifier")), None)
    return object_name(old) != object_name(new_name)
