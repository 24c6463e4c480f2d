"""Objects only MySQL and MariaDB have: events (scheduled statements).

Their SQL is MySQL's (backquoted names); the MySQL emitter (`dbci.engines.mysql.ddl`)
writes them, and the model's own DDL here is the same statement for people to read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from dbci.schema.model.base import DbObject, Grant

# How MySQL writes names and strings: the one definition, for this module and for the
# engine's snapshot and DDL (`dbci.engines.mysql`), which import it from here (the model
# imports no engine).


def quote(name: str) -> str:
    """A backquoted identifier."""
    return "`" + name.replace("`", "``") + "`"


def qualified(schema: str, name: str) -> str:
    """`` `schema`.`name` ``, or `` `name` `` in the default schema (schema "")."""
    return f"{quote(schema)}.{quote(name)}" if schema else quote(name)


def literal(text: str) -> str:
    """A MySQL string literal. Backslashes are escaped, as MySQL's default SQL mode reads
    them (a server in NO_BACKSLASH_ESCAPES mode would keep them doubled)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


@dataclass(frozen=True, kw_only=True)
class Event(DbObject):
    """A scheduled event: `schedule` is what follows ON SCHEDULE (`EVERY 1 HOUR STARTS
    '2030-01-01 00:00:00'`, `AT '…'`), `status` ENABLE, DISABLE or DISABLE ON SLAVE,
    `body` the statement after DO. DEFINER is left out."""

    kind: ClassVar[str] = "event"
    sql_keyword: ClassVar[str] = "EVENT"
    schedule: str
    preserve: bool = False  # ON COMPLETION PRESERVE
    status: str = "ENABLE"
    body: str = ""

    @property
    def qualified(self) -> str:
        return qualified(self.schema, self.name)

    def clauses(self) -> str:
        """What follows the event's name in CREATE EVENT and ALTER EVENT."""
        completion = "PRESERVE" if self.preserve else "NOT PRESERVE"
        sql = f"ON SCHEDULE {self.schedule} ON COMPLETION {completion} {self.status}"
        # ALTER EVENT keeps a comment it is not given: an empty one clears it.
        sql += f" COMMENT {literal(self.comment or '')}"
        return f"{sql} DO {self.body}"

    def definition_sql(self) -> list[str]:
        return [f"CREATE EVENT {self.qualified} {self.clauses()}"]

    def drop_sql(self) -> list[str]:
        return [f"DROP EVENT IF EXISTS {self.qualified}"]

    def comment_sql(self, *, clear: bool = False) -> list[str]:
        return []  # in the definition

    def grant_sql(self, grants: tuple[Grant, ...] | None = None) -> list[str]:
        return []  # MySQL grants EVENT on a schema, not on one event
