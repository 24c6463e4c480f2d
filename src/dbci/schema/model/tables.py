"""Tables with their columns and constraints, the helpers that alter them part by part,
and indexes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from dbci.schema.model.base import DbObject, Grant, quote_ident, quote_literal
from dbci.schema.model.keys import Key, _split_qualified, relation_keys, type_dependencies

# ---- tables, columns, constraints, indexes ----------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Column:
    """A table column."""

    name: str
    data_type: str
    nullable: bool = True
    default: str | None = None
    identity: str | None = None  # "ALWAYS" | "BY DEFAULT"
    generated: str | None = None  # the expression of GENERATED ALWAYS AS (…) STORED
    collation: str | None = None
    comment: str | None = None
    grants: tuple[Grant, ...] = ()  # column privileges: GRANT UPDATE ("a") ON TABLE …

    def definition_sql(self) -> str:
        """The column as CREATE TABLE and ADD COLUMN write it."""
        sql = f"{quote_ident(self.name)} {self.data_type}"
        if self.collation:
            sql += f" COLLATE {self.collation}"
        if self.generated is not None:
            sql += f" GENERATED ALWAYS AS ({self.generated}) STORED"
        elif self.identity:
            sql += f" GENERATED {self.identity} AS IDENTITY"
        elif self.default is not None:
            sql += f" DEFAULT {self.default}"
        if not self.nullable:
            sql += " NOT NULL"
        return sql


CONSTRAINT_KINDS = ("primary key", "unique", "check", "foreign key", "exclude")


@dataclass(frozen=True, kw_only=True)
class Constraint:
    """A table constraint, its definition as the database renders it."""

    name: str
    constraint_type: str  # one of CONSTRAINT_KINDS
    definition: str  # "PRIMARY KEY (id)", "FOREIGN KEY (a) REFERENCES s.t(id)", …
    references: tuple[str, str] | None = None  # (schema, table) of a foreign key
    comment: str | None = None


@dataclass(frozen=True, kw_only=True)
class Table(DbObject):
    """A table with its columns and constraints (indexes and triggers are objects of
    their own, so that they diff and order on their own).

    `dependencies` holds the routines and types its column defaults, generated columns
    and constraints use (column types come from `data_type`)."""

    kind: ClassVar[str] = "table"
    sql_keyword: ClassVar[str] = "TABLE"
    columns: tuple[Column, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    partition_by: str | None = None  # "RANGE (created)"
    partition_of: str | None = None  # the parent, qualified, for a partition
    partition_bound: str | None = None  # "FOR VALUES FROM (…) TO (…)"
    unlogged: bool = False
    dependencies: tuple[Key, ...] = ()

    def definition_sql(self, *, foreign_keys: bool = True) -> list[str]:
        """CREATE TABLE; without `foreign_keys` they are left for `foreign_key_sql`."""
        kind = "UNLOGGED TABLE" if self.unlogged else "TABLE"
        parts = [c.definition_sql() for c in self.columns]
        parts += [
            f"CONSTRAINT {quote_ident(c.name)} {c.definition}"
            for c in self.constraints
            if foreign_keys or c.constraint_type != "foreign key"
        ]
        if self.partition_of:
            # A partition takes its columns from the parent; only constraints are its own.
            own = [p for p in parts if p.startswith("CONSTRAINT ")]
            body = f" ({', '.join(own)})" if own else ""
            sql = f"CREATE {kind} {self.qualified} PARTITION OF {self.partition_of}{body} "
            sql += self.partition_bound or "DEFAULT"
        else:
            inner = ",\n    ".join(parts)
            sql = f"CREATE {kind} {self.qualified} (\n    {inner}\n)"
        if self.partition_by:
            sql += f" PARTITION BY {self.partition_by}"
        return [sql]

    def foreign_key_sql(self) -> list[str]:
        """ALTER TABLE … ADD CONSTRAINT for each foreign key."""
        return [
            self.add_constraint_sql(c)
            for c in self.constraints
            if c.constraint_type == "foreign key"
        ]

    def add_constraint_sql(self, constraint: Constraint) -> str:
        name = quote_ident(constraint.name)
        return f"ALTER TABLE {self.qualified} ADD CONSTRAINT {name} {constraint.definition}"

    def drop_constraint_sql(self, constraint: Constraint) -> str:
        return f"ALTER TABLE {self.qualified} DROP CONSTRAINT {quote_ident(constraint.name)}"

    def comment_sql(self, *, clear: bool = False) -> list[str]:
        statements = super().comment_sql(clear=clear)
        for column in self.columns:
            statements += column_comment_sql(self, column, clear=clear)
        for constraint in self.constraints:
            if constraint.comment is not None:
                statements.append(constraint_comment_sql(self, constraint))
        return statements

    def grant_sql(self, grants: tuple[Grant, ...] | None = None) -> list[str]:
        """GRANT statements for `grants`; by default all, the columns' too."""
        statements = super().grant_sql(grants)
        if grants is None:
            for column in self.columns:
                statements += column_grant_sql(self, column, column.grants)
        return statements

    def depends_on(self) -> tuple[Key, ...]:
        keys = [k for c in self.columns for k in type_dependencies(c.data_type)]
        if self.partition_of:
            schema, _, name = _split_qualified(self.partition_of)
            keys.append(("table", schema, name))
        return tuple(keys) + self.dependencies

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def constraint_differs(old: Constraint, new: Constraint) -> bool:
    """Whether a constraint of the same name is another constraint (type or definition)."""
    return (old.constraint_type, old.definition) != (new.constraint_type, new.definition)


def constraint_drops(old: Table, new: Table) -> list[Constraint]:
    """`old`'s constraints that `new` does not have as they are."""
    after = {c.name: c for c in new.constraints}
    return [
        c for c in old.constraints if c.name not in after or constraint_differs(c, after[c.name])
    ]


def constraint_adds(old: Table, new: Table) -> list[Constraint]:
    """`new`'s constraints that `old` does not have as they are."""
    before = {c.name: c for c in old.constraints}
    return [
        c for c in new.constraints if c.name not in before or constraint_differs(before[c.name], c)
    ]


def is_foreign_key(constraint: Constraint) -> bool:
    return constraint.constraint_type == "foreign key"


def column_grant_sql(table: Table, column: Column, grants: Iterable[Grant]) -> list[str]:
    """GRANT statements for privileges on one column."""
    columns = f" ({quote_ident(column.name)})"
    return [g.apply_sql(table.grant_target_sql, columns) for g in grants]


def column_revoke_sql(table: Table, column: Column, grants: Iterable[Grant]) -> list[str]:
    """REVOKE statements for privileges on one column."""
    columns = f" ({quote_ident(column.name)})"
    return [g.undo_sql(table.grant_target_sql, columns) for g in grants]


def column_comment_sql(table: Table, column: Column, *, clear: bool = False) -> list[str]:
    """COMMENT ON COLUMN for one column."""
    target = f"COLUMN {table.qualified}.{quote_ident(column.name)}"
    if column.comment is not None:
        return [f"COMMENT ON {target} IS {quote_literal(column.comment)}"]
    return [f"COMMENT ON {target} IS NULL"] if clear else []


def constraint_comment_sql(table: Table, constraint: Constraint) -> str:
    target = f"CONSTRAINT {quote_ident(constraint.name)} ON {table.qualified}"
    value = "NULL" if constraint.comment is None else quote_literal(constraint.comment)
    return f"COMMENT ON {target} IS {value}"


@dataclass(frozen=True, kw_only=True)
class Index(DbObject):
    """An index that no constraint owns; `definition` is the full CREATE INDEX statement.
    `dependencies` holds the routines and types its expressions and predicate use."""

    kind: ClassVar[str] = "index"
    sql_keyword: ClassVar[str] = "INDEX"
    table: str
    definition: str
    unique: bool = False
    method: str = "btree"
    columns: tuple[str, ...] = ()  # key columns or expressions, as written
    include: tuple[str, ...] = ()
    predicate: str | None = None
    dependencies: tuple[Key, ...] = ()

    def definition_sql(self) -> list[str]:
        return [self.definition]

    def depends_on(self) -> tuple[Key, ...]:
        return relation_keys(self.schema, self.table) + self.dependencies

    def grant_sql(self, grants: tuple[Grant, ...] | None = None) -> list[str]:
        return []
