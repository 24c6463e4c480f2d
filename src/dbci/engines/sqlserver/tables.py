"""How a SQL Server table B keeps changes: which columns are altered in place, which are
dropped and added again, which defaults go and come back, and the ALTER TABLE statements.

SQL Server cannot alter a column's computed expression or identity, refuses to alter or
drop a column that a computed column, an index or a constraint uses or that has a default,
and refuses to drop a function that a computed column, a check or a default calls. The
plan says which columns are caught so (`ColumnPlan.touched`); diff.py takes the
indexes and constraints on them off and back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dbci.engines.sqlserver.ddl import (
    add_constraint_sql,
    add_default_sql,
    column_sql,
    comment_sql,
    drop_default_sql,
    quote_mssql,
    table_name,
    type_sql,
)
from dbci.schema.model import (
    Column,
    Constraint,
    Index,
    Table,
    constraint_adds,
    is_foreign_key,
)


@dataclass(frozen=True)
class ColumnPlan:
    """How the columns of a table both sides have change.

    `replaced` are dropped and added again: gone from B, or their computed expression or
    identity changes, or they are computed columns that read a column that changes or
    call a function that is dropped and created (`calls`). `altered` are restated by
    ALTER COLUMN. `recalled` keep their default, but it calls such a function, so it is
    dropped and set again."""

    old: Table
    new: Table
    replaced: frozenset[str]
    altered: frozenset[str]
    recalled: frozenset[str]
    calls: tuple[str, ...]  # `[schema].[function](` of each function dropped and created

    @property
    def touched(self) -> frozenset[str]:
        """Columns B keeps that change: an index or a constraint on them is in the way."""
        return (self.replaced | self.altered) & {c.name for c in self.new.columns}

    def keeps_default(self, column: Column) -> bool:
        """Whether the old column's default stays through the change: not if the column is
        replaced, or altered (SQL Server refuses ALTER COLUMN under a default), or the
        default changes or calls a function that goes."""
        after = self.new.column(column.name)
        return (
            column.default is not None
            and after is not None
            and column.name not in self.replaced | self.altered | self.recalled
            and column.default == after.default
        )

    def calls_going(self, text: str | None) -> bool:
        """Whether an expression calls a function that is dropped and created."""
        return text is not None and any(call in text for call in self.calls)


def column_plan(old: Table, new: Table, calls: Iterable[str] = ()) -> ColumnPlan:
    """The plan for `old` → `new`; `calls` are the functions that are dropped and created,
    as SQL Server writes a call in a computed column, check or default: `[dbo].[f](`."""
    calls = tuple(calls)
    after = {c.name: c for c in new.columns}
    replaced = {c.name for c in old.columns if _replaced(c, after.get(c.name))}
    altered = {c.name for c in old.columns if c.name not in replaced and _altered(c, after[c.name])}
    computed = [c for c in old.columns if c.generated is not None and c.name not in replaced]
    plan = ColumnPlan(old, new, frozenset(), frozenset(), frozenset(), calls)
    replaced |= {c.name for c in computed if plan.calls_going(c.generated)}
    grew = True
    while grew:  # a computed column reading a computed column that goes, goes too
        changing = replaced | altered
        reading = {
            c.name
            for c in computed
            if c.name not in replaced and any(quote_mssql(n) in str(c.generated) for n in changing)
        }
        replaced |= reading
        grew = bool(reading)
    recalled = {
        c.name for c in old.columns if c.name not in replaced and plan.calls_going(c.default)
    }
    return ColumnPlan(old, new, frozenset(replaced), frozenset(altered), frozenset(recalled), calls)


def drop_defaults_sql(plan: ColumnPlan) -> list[str]:
    """Step 1: the defaults that do not stay (`keeps_default`)."""
    return [
        drop_default_sql(plan.old, c.name)
        for c in plan.old.columns
        if c.default is not None and not plan.keeps_default(c)
    ]


def drop_columns_sql(plan: ColumnPlan) -> list[str]:
    """Step 1, once indexes and constraints on them are gone: the columns that go (before
    the functions their computed expressions call)."""
    target = table_name(plan.old)
    return [
        f"ALTER TABLE {target} DROP COLUMN {quote_mssql(c.name)}"
        for c in plan.old.columns
        if c.name in plan.replaced
    ]


def alter_table_sql(plan: ColumnPlan, refreshed: list[Constraint]) -> list[str]:
    """Step 3: columns altered (their defaults set again), columns added, non-FK constraints
    added (those changed and those `refreshed`), comments. Columns are added after the
    others are altered: a computed column added again may read one of them."""
    old, new = plan.old, plan.new
    target = table_name(new)
    before = {c.name: c for c in old.columns}
    out: list[str] = []
    adds: list[str] = []
    for column in new.columns:
        previous = before.get(column.name)
        if previous is None or column.name in plan.replaced:
            adds.append(f"ALTER TABLE {target} ADD {column_sql(new, column)}")
            continue
        if column.name in plan.altered:
            null = "NULL" if column.nullable else "NOT NULL"
            out.append(
                f"ALTER TABLE {target} ALTER COLUMN {quote_mssql(column.name)} "
                f"{type_sql(column)} {null}"
            )
        if column.default is not None and not plan.keeps_default(previous):
            out.append(add_default_sql(new, column))
    out += adds
    constraints = [c for c in constraint_adds(old, new) if not is_foreign_key(c)] + refreshed
    out += [add_constraint_sql(new, c.name, c.definition) for c in constraints]
    return out + _comment_changes(plan)


def _comment_changes(plan: ColumnPlan) -> list[str]:
    old, new = plan.old, plan.new
    out = []
    if old.comment != new.comment:
        out.append(comment_sql(new, None, new.comment, exists=old.comment is not None))
    before = {c.name: c for c in old.columns}
    for column in new.columns:
        previous = before.get(column.name)
        # A column added again has lost its extended properties with the old one.
        had = None if previous is None or column.name in plan.replaced else previous.comment
        if had != column.comment:
            out.append(comment_sql(new, column.name, column.comment, exists=had is not None))
    return out


def _replaced(old: Column, new: Column | None) -> bool:
    """Whether a column is gone, or its computed expression or identity changes."""
    return new is None or (old.generated, old.identity) != (new.generated, new.identity)


def _altered(old: Column, new: Column) -> bool:
    """Whether ALTER COLUMN restates a (not computed) column: new type, collation or
    nullability."""
    if new.generated is not None:
        return False
    return (old.data_type, old.collation, old.nullable) != (
        new.data_type,
        new.collation,
        new.nullable,
    )


def index_uses(index: Index, columns: frozenset[str]) -> bool:
    """Whether an index keys, includes or filters on one of `columns`."""
    predicate = index.predicate or ""
    return any(
        c in index.columns or c in index.include or quote_mssql(c) in predicate for c in columns
    )


def constraint_uses(constraint: Constraint, columns: frozenset[str]) -> bool:
    """Whether a constraint names one of `columns` (of its own table: a foreign key's
    referenced columns are another table's). SQL Server writes names in [brackets]."""
    own = constraint.definition.split(" REFERENCES ", 1)[0]
    return any(quote_mssql(c) in own for c in columns)
