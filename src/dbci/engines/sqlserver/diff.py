"""The T-SQL statements that turn one SQL Server schema into another.

Tables are altered in place (tables.py). Views, functions, procedures and triggers
that change are dropped and created again from their module text, rather than rewritten
into CREATE OR ALTER: the text runs exactly as SQL Server holds it (no rewriting of the
user's CREATE), on any version, and a drop and a create fit the order of the phases
below. What that costs is the object's permissions, which the snapshot does not hold for
SQL Server.

What SQL Server refuses to change under something else is taken off first and put back
after: indexes and constraints on a column that is altered or added again, the foreign
keys that rely on a key dropped that way, schema-bound views and functions on a table
whose columns change, computed columns, checks and defaults that call a function that is
dropped and created. Other views and routines bind to what they read when they run, and
stay as they are.

Statements come out in phases (as in diff.py):
1. drop what is in the way: triggers, views, foreign keys, constraints, defaults,
   indexes, columns that go, routines that are dropped and created;
2. create and alter tables, routines and views, each after what it uses (what
   `sys.sql_expression_dependencies` records);
3. indexes, foreign keys, triggers;
4. drop tables, then routines (a table's check or default may call one).
Each CREATE VIEW/PROCEDURE/FUNCTION/TRIGGER is a statement of its own: `mssql_script`
puts each statement in a batch of its own, as T-SQL wants them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, TypeVar, cast

from dbci.engines.sqlserver.ddl import (
    add_constraint_sql,
    create_ddl,
    create_table_sql,
    definition_statements,
    drop_constraint_sql,
    drop_sql,
    mssql_script,
    qualify_mssql,
    table_comments_sql,
    trigger_state_sql,
)
from dbci.engines.sqlserver.tables import (
    ColumnPlan,
    alter_table_sql,
    column_plan,
    constraint_uses,
    drop_columns_sql,
    drop_defaults_sql,
    index_uses,
)
from dbci.schema.model import (
    Constraint,
    DbObject,
    Function,
    Index,
    Key,
    Procedure,
    Table,
    Trigger,
    View,
    constraint_adds,
    constraint_drops,
    dependency_order,
    is_foreign_key,
)

if TYPE_CHECKING:
    from dbci.schema.diff import _Planner

_Object = TypeVar("_Object", bound=DbObject)

__all__ = ["create_ddl", "emit_mssql", "mssql_script"]

_MODULES = View | Function | Trigger

# WITH SCHEMABINDING among a view's or function's options.
_SCHEMABINDING = re.compile(r"\bWITH\b[^;]*?\bSCHEMABINDING\b", re.IGNORECASE)


def emit_mssql(planner: _Planner) -> list[str]:
    """Statements in dependency order for the planner's changes."""
    return _Plan(planner).statements()


class _Plan:
    """What goes and comes back, worked out once; then the statements, phase by phase."""

    def __init__(self, planner: _Planner) -> None:
        self.a, self.b = planner.a.objects, planner.b.objects
        self.added = planner.added
        self.dropped = planner.dropped_keys
        changed = {
            o.key: (o, n)
            for o, n in planner.changed
            if isinstance(o, Table) and isinstance(n, Table)
        }
        # Functions dropped and created make the tables that call them change too, and
        # what those changes touch may make more functions go: settle it by iterating.
        going: frozenset[Key] = frozenset()
        while True:
            self.columns = self._column_plans(changed, going)
            self.recreate = self._recreate(planner)
            now = frozenset(k for k in self.recreate if k[0] == "function")
            if now <= going:
                break
            going |= now
        self.refreshed = set(planner.refreshed) | self._refreshed()

    # ---- what goes and comes back -------------------------------------------------------

    def _column_plans(
        self, changed: dict[Key, tuple[Table, Table]], going: frozenset[Key]
    ) -> dict[Key, ColumnPlan]:
        """A plan for each changed table, and for each table B keeps as it is whose
        computed columns, checks or defaults call a function in `going`."""
        plans = {}
        for key, table in sorted(self.a.items()):
            if not isinstance(table, Table) or key not in self.b:
                continue
            calls = [
                qualify_mssql(k[1], self.a[k].name) + "(" for k in table.dependencies if k in going
            ]
            if key in changed or calls:
                new = self.b[key]
                assert isinstance(new, Table)
                plans[key] = column_plan(table, new, calls)
        return plans

    def _recreate(self, planner: _Planner) -> set[Key]:
        """Objects B keeps that are dropped and created again: views, routines, triggers
        and indexes whose text changes, indexes on touched columns, schema-bound views
        and functions on a table whose columns change, and (however far) views,
        functions, indexes and triggers on or reading any of these or something dropped.
        Procedures only when their own text changes: nothing binds to them.

        This is narrower than the planner's own `recreate`, made for PostgreSQL, which
        refuses to alter a column under any view.
        """
        out = {
            o.key
            for o, n in planner.changed
            if isinstance(o, _MODULES | Index) and _redefined(o, n)
        }
        for key, index in self.a.items():
            if isinstance(index, Index) and key in self.b:
                plan = self.columns.get(("table", index.schema, index.table))
                if plan is not None and index_uses(index, plan.touched):
                    out.add(key)
        rewritten = {key for key, plan in self.columns.items() if plan.replaced | plan.altered}
        candidates = [
            (key, frozenset(obj.depends_on()), _schema_bound(obj))
            for key, obj in self.a.items()
            if isinstance(obj, _MODULES | Index)
            and not isinstance(obj, Procedure)
            and key in self.b
        ]
        grew = True
        while grew:
            gone = out | self.dropped
            more = {
                key
                for key, needs, bound in candidates
                if key not in out and (needs & gone or (bound and needs & rewritten))
            }
            out |= more
            grew = bool(more)
        return out

    def _refreshed(self) -> set[tuple[Key, str]]:
        """Constraints B keeps as they are, dropped and added again: those on a touched
        column or calling a function that goes, and the foreign keys that reference a key
        dropped that way, or a unique index that is dropped and created."""
        out: set[tuple[Key, str]] = set()
        unsettled: set[tuple[str, str]] = set()
        for key, plan in self.columns.items():
            changing = {c.name for c in constraint_drops(plan.old, plan.new)}
            for constraint in plan.old.constraints:
                if constraint.name in changing:
                    continue
                if constraint_uses(constraint, plan.touched) or plan.calls_going(
                    constraint.definition
                ):
                    out.add((key, constraint.name))
                    if constraint.constraint_type in ("primary key", "unique"):
                        unsettled.add((plan.old.schema, plan.old.name))
        for key in self.recreate:
            index = self.a[key]
            if isinstance(index, Index) and index.unique:
                unsettled.add((index.schema, index.table))
        if not unsettled:
            return out
        for key, table in self.a.items():
            if not isinstance(table, Table) or key not in self.b:
                continue
            planned = self.columns.get(key)
            changing = (
                {c.name for c in constraint_drops(planned.old, planned.new)} if planned else set()
            )
            for constraint in table.constraints:
                if is_foreign_key(constraint) and constraint.references in unsettled:
                    if constraint.name not in changing:
                        out.add((key, constraint.name))
        return out

    # ---- emission ---------------------------------------------------------------------

    def statements(self) -> list[str]:
        return self._take_off() + self._build() + self._attach() + self._drop()

    def _take_off(self) -> list[str]:
        """Phase 1: what is in the way of the changes, dependents first."""
        from dbci.schema.diff import _view_order

        a = self.a
        goes = self.dropped | self.recreate
        dropped_tables = {k for k in self.dropped if k[0] == "table"}
        out: list[str] = []
        for obj in _of(a, goes, Trigger):
            if ("table", obj.schema, obj.table) not in dropped_tables:
                out.append(drop_sql(obj))
        for obj in reversed(_view_order(_of(a, goes, View))):
            out.append(drop_sql(obj))
        refreshed = self._constraints(a, self.refreshed)
        pairs = [(plan.old, plan.new) for plan in self.columns.values()]
        drops = [(o, c) for o, n in pairs for c in constraint_drops(o, n)]
        drops += [(cast(Table, a[k]), c) for k, c in refreshed]  # refreshed: tables' keys
        drops += [
            (t, c) for t in _of(a, self.dropped, Table) for c in t.constraints if is_foreign_key(c)
        ]
        # Foreign keys first: a key they reference may be among the rest.
        out += [drop_constraint_sql(t, c.name) for t, c in drops if is_foreign_key(c)]
        out += [drop_constraint_sql(t, c.name) for t, c in drops if not is_foreign_key(c)]
        for plan in self.columns.values():
            out += drop_defaults_sql(plan)
        for obj in _of(a, goes, Index):
            if ("table", obj.schema, obj.table) not in dropped_tables:
                out.append(drop_sql(obj))
        for plan in self.columns.values():
            out += drop_columns_sql(plan)
        for obj in _of(a, goes, Function):
            if obj.key in self.recreate or self._name_reused(obj):
                out.append(drop_sql(obj))
        return out

    def _build(self) -> list[str]:
        """Phase 2: new tables (without their foreign keys) and changes to tables, new and
        recreated routines and views, each after what it uses."""
        work: dict[Key, list[str]] = {}
        for obj in _of(self.b, {o.key for o in self.added}, Table):
            work[obj.key] = [create_table_sql(obj, foreign_keys=False)] + table_comments_sql(obj)
        back: dict[Key, list[Constraint]] = {}
        for key, constraint in self._constraints(self.b, self.refreshed):
            if not is_foreign_key(constraint):
                back.setdefault(key, []).append(constraint)
        for key, plan in self.columns.items():
            work[key] = alter_table_sql(plan, back.pop(key, []))
        modules = [o for o in self.added if isinstance(o, View | Function)]
        modules += [o for o in map(self.b.get, self.recreate) if isinstance(o, View | Function)]
        for obj in sorted(modules, key=lambda o: (o.kind != "function", o.kind, _name(o))):
            work[obj.key] = definition_statements(obj)
        out: list[str] = []
        for obj in dependency_order(self.b[k] for k in work):
            out += work[obj.key]
        return out

    def _attach(self) -> list[str]:
        """Phase 3: indexes, foreign keys, triggers (and triggers' new state)."""
        b = self.b
        comes = {o.key for o in self.added} | {k for k in self.recreate if k in b}
        out = [sql for obj in _of(b, comes, Index) for sql in definition_statements(obj)]
        adds = [(t, c) for t in _of(b, {o.key for o in self.added}, Table) for c in t.constraints]
        adds += [(p.new, c) for p in self.columns.values() for c in constraint_adds(p.old, p.new)]
        adds += [(cast(Table, b[k]), c) for k, c in self._constraints(b, self.refreshed)]
        out += [add_constraint_sql(t, c.name, c.definition) for t, c in adds if is_foreign_key(c)]
        for obj in _of(b, comes, Trigger):
            out += definition_statements(obj)
        for key, new in sorted(b.items()):
            old = self.a.get(key)
            if isinstance(new, Trigger) and isinstance(old, Trigger) and key not in self.recreate:
                if old.enabled != new.enabled:
                    out.append(trigger_state_sql(new))
        return out

    def _drop(self) -> list[str]:
        """Phase 4: tables, then routines (a table's check or default may call one)."""
        out = [drop_sql(t) for t in reversed(_of(self.a, self.dropped, Table))]
        for obj in _of(self.a, self.dropped, Function):
            if not self._name_reused(obj):
                out.append(drop_sql(obj))
        return out

    # ---- helpers ----------------------------------------------------------------------

    def _name_reused(self, routine: DbObject) -> bool:
        """Whether B adds a routine of the same name: the key holds the parameters, but
        SQL Server tells routines apart by name only, so the old one goes first."""
        return any(
            isinstance(o, Function) and (o.schema, o.name) == (routine.schema, routine.name)
            for o in self.added
        )

    @staticmethod
    def _constraints(
        objects: dict[Key, DbObject], refs: set[tuple[Key, str]]
    ) -> list[tuple[Key, Constraint]]:
        """The constraints `refs` names, (table key, name), as `objects` has them."""
        out = []
        for key, name in sorted(refs):
            table = objects.get(key)
            if isinstance(table, Table):
                out += [(key, c) for c in table.constraints if c.name == name]
        return out


def _redefined(old: DbObject, new: DbObject) -> bool:
    """Whether an index's, view's, routine's or trigger's text changes (a trigger's state
    alone is ENABLE/DISABLE TRIGGER)."""
    return type(old) is not type(new) or getattr(old, "definition", None) != getattr(
        new, "definition", None
    )


def _schema_bound(obj: DbObject) -> bool:
    """Whether a view or function is created WITH SCHEMABINDING (a rough reading of its
    text: one that only mentions the word in a comment counts too, which costs no more
    than a needless drop and create)."""
    return isinstance(obj, View | Function) and bool(_SCHEMABINDING.search(obj.definition))


def _of(
    objects: dict[Key, DbObject], keys: set[Key] | frozenset[Key], kind: type[_Object]
) -> list[_Object]:
    """The objects of `kind` (Function: procedures too) among `keys`, by schema and name."""
    found = (objects[k] for k in keys if k in objects)
    return sorted((o for o in found if isinstance(o, kind)), key=_name)


def _name(obj: DbObject) -> tuple[str, str]:
    return (obj.key[1], obj.key[2])
