"""Functions, procedures and triggers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from dbci.schema.model.base import DbObject, Grant, qualify, quote_ident
from dbci.schema.model.keys import Key, relation_keys

# ---- routines and triggers ------------------------------------------------------------------

# What ALTER TABLE writes for each enabled state of a trigger (pg_trigger.tgenabled).
TRIGGER_STATES = {"O": "ENABLE", "D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}


@dataclass(frozen=True, kw_only=True)
class Function(DbObject):
    """A function; `definition` is the complete CREATE OR REPLACE statement."""

    kind: ClassVar[str] = "function"
    sql_keyword: ClassVar[str] = "FUNCTION"
    arguments: str  # identity arguments: "a integer, b text"
    result: str | None = None  # "integer", "SETOF t", "TABLE(…)"; None for procedures
    language: str = "sql"
    volatility: str = "volatile"  # immutable | stable | volatile
    security_definer: bool = False
    body: str = ""
    definition: str = ""
    dependencies: tuple[tuple[str, str, str], ...] = ()

    @property
    def key_name(self) -> str:
        return f"{self.name}({self.arguments})"

    @property
    def target_sql(self) -> str:
        return f"{self.sql_keyword} {self.qualified}({self.arguments})"

    def definition_sql(self) -> list[str]:
        return [self.definition.rstrip().rstrip(";")]

    def drop_sql(self) -> list[str]:
        return [f"DROP {self.target_sql}"]

    def depends_on(self) -> tuple[Key, ...]:
        return tuple(self.dependencies)


@dataclass(frozen=True, kw_only=True)
class Procedure(Function):
    """A procedure (CALL-able routine)."""

    kind: ClassVar[str] = "procedure"
    sql_keyword: ClassVar[str] = "PROCEDURE"


@dataclass(frozen=True, kw_only=True)
class Trigger(DbObject):
    """A trigger on a table or view; `definition` is the full CREATE TRIGGER statement.

    PostgreSQL: a partition's copy of its parent's trigger (`cloned_from` the parent
    trigger's table, schema and name) is read only where its enabled state differs from
    the parent's, and stands for that state: PostgreSQL makes and drops the copy itself
    (the emitter sets the states, `ddl._cloned_trigger_states`)."""

    kind: ClassVar[str] = "trigger"
    sql_keyword: ClassVar[str] = "TRIGGER"
    table: str
    definition: str
    function: tuple[str, str, str] | None = None  # key of the trigger function
    enabled: str = "O"  # pg_trigger.tgenabled: O, D, R, A
    cloned_from: tuple[str, str] | None = None

    @property
    def key_name(self) -> str:
        return f"{self.table}.{self.name}"

    @property
    def target_sql(self) -> str:
        return f"TRIGGER {quote_ident(self.name)} ON {qualify(self.schema, self.table)}"

    def definition_sql(self) -> list[str]:
        if self.cloned_from is not None:
            return self.state_sql()
        statements = [self.definition.rstrip().rstrip(";")]
        if self.enabled != "O":
            statements += self.state_sql()
        return statements

    def state_sql(self, enabled: str | None = None) -> list[str]:
        """ALTER TABLE … ENABLE/DISABLE TRIGGER for the enabled state `enabled` (by default
        its own). On a partitioned table PostgreSQL sets its partitions' copies too."""
        action = TRIGGER_STATES[enabled or self.enabled]
        table = qualify(self.schema, self.table)
        return [f"ALTER TABLE {table} {action} TRIGGER {quote_ident(self.name)}"]

    def drop_sql(self) -> list[str]:
        if self.cloned_from is not None:
            return []  # goes with its parent's trigger or its partition
        return [f"DROP TRIGGER {quote_ident(self.name)} ON {qualify(self.schema, self.table)}"]

    def depends_on(self) -> tuple[Key, ...]:
        keys = list(relation_keys(self.schema, self.table))
        if self.function is not None:
            keys.append(self.function)
        return tuple(keys)

    def grant_sql(self, grants: tuple[Grant, ...] | None = None) -> list[str]:
        return []
