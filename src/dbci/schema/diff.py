"""Comparing two snapshots: the list of changes, and the SQL that turns A into B.

The comparison is a dictionary diff by object key (kind, schema, name): keys only in B
are added, keys only in A dropped, keys in both with different values changed. Each
changed object is altered in place where the database allows it (columns, constraints,
enum values, sequence options, function bodies, comments, grants) and dropped and
created again where it does not (views, indexes, triggers, a function whose result type
changed); an enum losing labels or a domain over another base type is rebuilt, its
columns converted to the new type. Objects that depend on something dropped, recreated
or rebuilt (a view reading a column that is retyped, a trigger whose function is
recreated, an index on a recreated materialized view or on an expression calling a
function that is recreated or redefined) are recreated around it, and the parts of
tables that use it stay as they are but are dropped and added again: a foreign key on
a key that is recreated, a column default or a check constraint calling a function
that is recreated.

The statements come from the engine's DDL emitter (`Engine.emit_ddl`: PostgreSQL's in
`dbci.engines.postgresql.ddl`, MySQL's, SQLite's and SQL Server's in their packages), in
dependency order, from what the planner here worked out; what a change of one object
takes (recreated, destructive, columns out of order) is decided in
`dbci.schema.change_rules`. A rename shows as a drop and an add: a snapshot cannot tell a
renamed object from a new one.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeGuard, TypeVar, cast

from dbci.engines.registry import find, model_engine
from dbci.engines.spec import Engine
from dbci.errors import InputError
from dbci.schema.change_rules import (
    after_extension_moves,
    columns_rewritten,
    loses_data,
    name_pattern,
    needs_recreate,
    order_only,
    out_of_order,
    parent_key,
    same_as_read,
    uses_types,
)
from dbci.schema.model import (
    KIND_ORDER,
    CatalogObject,
    DbObject,
    Domain,
    Enum,
    Extension,
    Function,
    Index,
    Key,
    Snapshot,
    Table,
    Trigger,
    View,
    constraint_drops,
    is_foreign_key,
)

ADD, CHANGE, DROP = "Add", "Change", "Drop"


# One kind of schema object, as the planner hands them to an engine's emitter.
_Kind = TypeVar("_Kind", bound=DbObject)


@dataclass(frozen=True)
class Change:
    """One object that differs between A and B: the object as A has it (`before`) and as
    B has it (`after`), None where one side has none."""

    id: int
    change: str  # Add | Change | Drop
    type: str
    schema: str
    name: str
    before: DbObject | None = field(repr=False)
    after: DbObject | None = field(repr=False)
    destructive: bool
    # The engine's own rendering of an object's DDL (MySQL, SQL Server); None: the model's.
    render: Callable[[DbObject], str] | None = field(default=None, repr=False, compare=False)

    # The DDL is written when asked for: the text output and the SQL script never need it,
    # and writing a whole CREATE TABLE for both sides of every change is a good part of
    # a large diff's time.
    @property
    def before_sql(self) -> str | None:
        """A's create statement (with comments and grants) of the object."""
        return self._ddl(self.before)

    @property
    def after_sql(self) -> str | None:
        """B's create statement (with comments and grants) of the object."""
        return self._ddl(self.after)

    def _ddl(self, obj: DbObject | None) -> str | None:
        if obj is None:
            return None
        return self.render(obj) if self.render is not None else obj.ddl()

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "change": self.change,
            "type": self.type,
            "schema": self.schema,
            "name": self.name,
            "before_sql": self.before_sql,
            "after_sql": self.after_sql,
            "destructive": self.destructive,
        }


@dataclass
class Diff:
    """The changes from A to B and the statements that make A into B, in order."""

    dialect: str
    changes: list[Change] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)

    def sql(self) -> str:
        """The statements as a script for the engine's client (empty when A and B are the
        same): MySQL's routine bodies go between DELIMITER lines, T-SQL's batches end in GO."""
        return _engine(self.dialect).script(self.statements)

    @property
    def destructive(self) -> bool:
        return any(c.destructive for c in self.changes)


def diff(a: Snapshot, b: Snapshot, *, column_order: bool | None = None) -> Diff:
    """What changes from snapshot `a` to snapshot `b`, and the SQL that makes a into b.

    `column_order`: whether a table whose columns are in another order differs. None: where
    the engine's statements move columns in place (`Engine.moves_columns`). PostgreSQL adds
    a column last and cannot move one: there a table is rebuilt for it (`reordered`), and
    only when asked."""
    if a.dialect != b.dialect:
        raise InputError(
            f"cannot compare a {a.dialect} schema with a {b.dialect} schema: "
            "both sources must be of the same database engine"
        )
    return _Planner(a, b, column_order=column_order).run()


class _Planner:
    """Works out the changes, then emits statements phase by phase."""

    def __init__(self, a: Snapshot, b: Snapshot, *, column_order: bool | None = None) -> None:
        a = after_extension_moves(a, b)
        self.a, self.b = a, b
        self.engine = _engine(a.dialect)
        self.column_order = self.engine.moves_columns if column_order is None else column_order
        self.added = [o for k, o in b.objects.items() if k not in a.objects]
        self.dropped = [o for k, o in a.objects.items() if k not in b.objects]
        self.changed = [
            (a.objects[k], o)
            for k, o in b.objects.items()
            if k in a.objects
            and a.objects[k] != o
            and (self.column_order or not order_only(a.objects[k], o))
            and not same_as_read(a.objects[k], o)
        ]
        self._pair_moved_extensions()
        self.added_keys = {o.key for o in self.added}
        self.dropped_keys = {o.key for o in self.dropped}
        # Keys dropped and created again (in A and B): views, indexes, triggers, … Types in
        # it are rebuilt instead (`_rebuild_type`): their columns move to the new type.
        self.recreate: set[Key] = set()
        # Tables whose columns move to a rebuilt type (their definitions unchanged).
        self.retyped: set[Key] = set()
        # Unchanged constraints, (table key, name), dropped and added again because what
        # they use is dropped or rebuilt under them (`_refresh_constraints`).
        self.refreshed: set[tuple[Key, str]] = set()
        # Functions whose definition changes in place (CREATE OR REPLACE).
        self.redefined: set[Key] = set()
        # Tables B keeps, as they are once step 1 has taken off the defaults and checks
        # that use a routine or type dropped or recreated (`_detach_dependent_parts`);
        # step 3 alters them from there into B's.
        self.detached: dict[Key, Table] = {}
        # Tables rebuilt (created anew, rows copied) to put their columns in B's order,
        # which ALTER TABLE cannot do (`column_order` on an engine that cannot move them).
        self.reordered: set[Key] = set()
        # Partitions that leave their parent in step 1 (DETACH PARTITION) and tables that
        # join one in step 3 (ATTACH PARTITION): a partition becoming a table or the other
        # way round, a bound that changes, another parent, a parent that is rebuilt.
        self.detach: set[Key] = set()
        self.attach: set[Key] = set()
        # Every drop may lose something, but for an owner's record, which goes with its
        # object and holds nothing.
        self.destructive: set[Key] = {k for k in self.dropped_keys if k[0] != "owner"}
        self.out = Diff(a.dialect)

    def _pair_moved_extensions(self) -> None:
        """An extension in another schema in B is moved there (ALTER EXTENSION … SET SCHEMA),
        one change: its key holds the schema, but its name is unique in a database. One
        that cannot move (not relocatable) stays a drop and an add, and the emitter drops
        it before creating it again."""
        dropped = {o.name: o for o in self.dropped if isinstance(o, Extension) and o.relocatable}
        moved = [
            (dropped[o.name], o)
            for o in self.added
            if isinstance(o, Extension) and o.name in dropped
        ]
        if not moved:
            return
        gone = {id(o) for pair in moved for o in pair}
        self.added = [o for o in self.added if id(o) not in gone]
        self.dropped = [o for o in self.dropped if id(o) not in gone]
        self.changed += moved

    # ---- classification ---------------------------------------------------------------

    def run(self) -> Diff:
        keeps_generated = self.engine.keeps_generated_values
        moves_columns = self.engine.moves_columns
        for old, new in self.changed:
            if needs_recreate(old, new):
                self.recreate.add(old.key)
            elif isinstance(old, Function) and isinstance(new, Function):
                if (old.definition, old.body) != (new.definition, new.body):
                    self.redefined.add(old.key)
            elif (
                self.column_order
                and not moves_columns
                and isinstance(old, Table)
                and isinstance(new, Table)
                and out_of_order(old, new, keeps_generated=keeps_generated)
            ):
                # Rebuilt like a recreated table, but its rows are copied (`reordered`).
                self.recreate.add(old.key)
                self.reordered.add(old.key)
            verdict = self.engine.loses_data(old, new)
            if verdict is None:
                verdict = loses_data(old, new, keeps_generated=keeps_generated)
            if verdict or old.key in self.reordered:
                self.destructive.add(old.key)
        rebuilt_types = {k for k in self.recreate if k[0] in _TYPE_KINDS}
        self.retyped = (
            {
                key
                for key, table in self.a.objects.items()
                if isinstance(table, Table)
                and key in self.b.objects
                and uses_types(table, rebuilt_types)
            }
            if rebuilt_types
            else set()
        )
        self._spread_recreation()
        self._lose_unread()
        self._move_partitions()
        self._refresh_constraints()
        self._detach_dependent_parts()
        self._record_changes()
        self._emit()
        return self.out

    def _spread_recreation(self) -> None:
        """Recreate what depends on anything dropped or recreated (an index or a trigger
        on a recreated relation, a view reading a recreated view, a trigger whose function
        is recreated, a routine taking a rebuilt type, an index whose expression calls a
        recreated function); views and routines (with a SQL-standard body) reading a table
        whose existing columns are rewritten, since PostgreSQL refuses to retype or drop a
        column they read; indexes on a table whose columns move to a rebuilt type, since
        retyping the column re-reads their expressions and predicates, which name the old
        type once it is renamed; and indexes whose expressions or predicate call a
        function that is redefined in place, since what they hold was computed by the old
        definition."""
        rewritten = {old.key for old, new in self._changed(Table) if columns_rewritten(old, new)}
        rewritten |= self.retyped
        # What each candidate needs, worked out once: the loop below runs until nothing
        # more is added, over thousands of objects.
        candidates = [
            (key, obj, frozenset(obj.depends_on()))
            for key, obj in self.a.objects.items()
            if isinstance(obj, View | Function | Index | Trigger | CatalogObject)
            and key in self.b.objects
        ]
        grew = True
        while grew:
            grew = False
            gone = self.dropped_keys | self.recreate
            for key, obj, needs in candidates:
                if key in self.recreate or not needs:
                    continue
                hit = needs & gone
                if isinstance(obj, View | Function | CatalogObject):
                    # A SQL-standard body, a policy, a rule: PostgreSQL refuses to retype or
                    # drop a column they read.
                    hit |= needs & rewritten
                if isinstance(obj, Index):
                    hit |= needs & (self.retyped | self.redefined)
                if hit:
                    self.recreate.add(key)
                    gone.add(key)
                    grew = True

    def _lose_unread(self) -> None:
        """A catalog object created again that holds what the snapshot did not read (a
        user mapping's password, on a server created again) comes back without it: it is
        listed as a destructive change, and so is every change that takes it along."""
        lossy = [
            key
            for key in self.recreate
            if isinstance(obj := self.a.objects.get(key), CatalogObject) and obj.holds_unread
        ]
        changed = {old.key for old, _ in self.changed}
        seen: set[Key] = set()
        while lossy:
            key = lossy.pop()
            if key in seen:
                continue
            seen.add(key)
            self.destructive.add(key)
            if key not in changed and key in self.b.objects:
                self.changed.append((self.a.objects[key], self.b.objects[key]))
                changed.add(key)
            lossy += [k for k in self.a.objects[key].depends_on() if k in self.recreate]

    def _move_partitions(self) -> None:
        """Partitions that leave their parent (`detach`) and tables that join one (`attach`)
        instead of being dropped and created again: a partition becoming a table or the
        other way round, another bound, another parent. A partition of a parent that is
        dropped or rebuilt leaves it first, so that its rows do not go with the parent, and
        joins the new one. A partition that is rebuilt itself (its own key changes) is
        created as B's partition."""
        gone = self.dropped_keys | self.recreate
        for key, old in self.a.objects.items():
            if not isinstance(old, Table) or key in self.recreate:
                continue
            new = self.b.objects.get(key)
            parent_goes = old.partition_of is not None and parent_key(old) in gone
            if not isinstance(new, Table):
                if parent_goes:  # dropped in step 5, once it is out of the parent
                    self.detach.add(key)
                continue
            moves = (old.partition_of, old.partition_bound) != (
                new.partition_of,
                new.partition_bound,
            )
            if old.partition_of is not None and (moves or parent_goes):
                self.detach.add(key)
            if new.partition_of is not None and (moves or parent_goes):
                self.attach.add(key)

    def _refresh_constraints(self) -> None:
        """Constraints that stay as they are but are dropped first and added again last:

        * foreign keys whose referenced table loses the key they use for a while (its
          primary key or a unique constraint dropped or changed, a unique index dropped
          or recreated, the table recreated), since PostgreSQL refuses to drop a key a
          foreign key uses;
        * checks on a table whose columns move to a rebuilt type, since retyping the
          column re-reads them, and they name the old type once it is renamed.
        """
        unsettled: set[tuple[str, str]] = {k[1:] for k in self.recreate if k[0] == "table"}
        changed_tables: dict[Key, Table] = {}
        for old, new in self._changed(Table):
            changed_tables[old.key] = new
            if any(c.constraint_type in _KEY_TYPES for c in constraint_drops(old, new)):
                unsettled.add((old.schema, old.name))
        for key in self.dropped_keys | self.recreate:
            index = self.a.objects[key]
            if isinstance(index, Index) and index.unique:
                unsettled.add((index.schema, index.table))
        if not unsettled and not self.retyped:
            return  # nothing to refresh anywhere
        for key, table in self.a.objects.items():
            if not isinstance(table, Table) or key not in self.b.objects or key in self.recreate:
                continue
            in_b = changed_tables.get(key)  # None: the same in B, so no constraint changes
            changing = {c.name for c in constraint_drops(table, in_b)} if in_b else set()
            for constraint in table.constraints:
                if constraint.name in changing:
                    continue  # dropped and added anyway
                if (is_foreign_key(constraint) and constraint.references in unsettled) or (
                    constraint.constraint_type == "check" and table.key in self.retyped
                ):
                    self.refreshed.add((table.key, constraint.name))

    def _detach_dependent_parts(self) -> None:
        """Column defaults and check and exclusion constraints of tables B keeps that use a
        routine or type dropped or recreated (a function whose result type changes, a
        rebuilt enum): PostgreSQL refuses to drop what they use, so they come off in
        step 1 and come back in step 3, after what they use exists again.

        A table's `dependencies` say what it uses, not where: the parts are those whose
        expression names it, as PostgreSQL writes a name outside the (empty) search path
        of the snapshot. Constraints already refreshed are left to that; a rebuild leaves
        the defaults taken off here to step 3.
        """
        goes = {
            k
            for k in self.dropped_keys | self.recreate
            if k[0] in _ROUTINE_KINDS or k[0] in _TYPE_KINDS
        }
        if not goes:
            return
        for table in self.a.objects.values():
            if not isinstance(table, Table) or not table.dependencies:
                continue
            if table.key in self.recreate or table.key not in self.b.objects:
                continue
            patterns = [name_pattern(self.a.objects[k]) for k in table.dependencies if k in goes]
            if not patterns:
                continue

            def uses(text: str | None, patterns: list[re.Pattern[str]] = patterns) -> bool:
                return text is not None and any(p.search(text) for p in patterns)

            columns = tuple(
                dataclasses.replace(c, default=None) if uses(c.default) else c
                for c in table.columns
            )
            constraints = tuple(
                c
                for c in table.constraints
                if c.constraint_type not in ("check", "exclude")
                or (table.key, c.name) in self.refreshed
                or not uses(c.definition)
            )
            if columns != table.columns or constraints != table.constraints:
                self.detached[table.key] = dataclasses.replace(
                    table, columns=columns, constraints=constraints
                )

    def _record_changes(self) -> None:
        entries: list[tuple[str, DbObject, DbObject | None, DbObject | None]] = []
        entries += [(ADD, o, None, o) for o in self.added]
        entries += [(DROP, o, o, None) for o in self.dropped]
        entries += [(CHANGE, new, old, new) for old, new in self.changed]
        order = {ADD: 1, CHANGE: 2, DROP: 3}
        render = _engine(self.a.dialect).ddl_renderer()
        entries.sort(key=lambda e: (_kind_rank(e[1].kind), e[1].key[1], e[1].key[2], order[e[0]]))
        for number, (change, obj, before, after) in enumerate(entries, start=1):
            self.out.changes.append(
                Change(
                    id=number,
                    change=change,
                    type=obj.kind,
                    schema=obj.schema,
                    name=obj.key_name,
                    before=before,
                    after=after,
                    destructive=obj.key in self.destructive,
                    render=render,
                )
            )

    # ---- emission -----------------------------------------------------------------------

    def _emit(self) -> None:
        """The statements, in dependency order: the engine's DDL emitter writes them."""
        self.out.statements = _engine(self.a.dialect).emit_ddl(self)

    # ---- helpers ------------------------------------------------------------------------

    def _added(self, kind: type[_Kind]) -> list[_Kind]:
        return sorted((o for o in self.added if _is(o, kind)), key=_sort_key)

    def _recreated(self, kind: type[_Kind]) -> list[_Kind]:
        objects = (self.b.objects[k] for k in self.recreate if k in self.b.objects)
        return sorted((o for o in objects if _is(o, kind)), key=_sort_key)

    def _recreated_any(self) -> list[DbObject]:
        """Recreated objects other than tables and types, as B has them."""
        objects = (self.b.objects[k] for k in self.recreate if k in self.b.objects)
        return sorted(
            (o for o in objects if not isinstance(o, Table | Enum | Domain)), key=_sort_key
        )

    def _changed(self, kind: type[_Kind]) -> list[tuple[_Kind, _Kind]]:
        # A changed pair keeps its kind on both sides (a kind change is a recreate).
        pairs = (cast(tuple[_Kind, _Kind], (o, n)) for o, n in self.changed if _is(o, kind))
        return sorted(pairs, key=lambda pair: _sort_key(pair[0]))

    def _changed_or_same(self, kind: type[_Kind]) -> list[tuple[_Kind, _Kind]]:
        """Objects of `kind` on both sides, changed or not, as (A's, B's)."""
        pairs = (
            (o, cast(_Kind, self.b.objects[k]))  # one key, one kind
            for k, o in self.a.objects.items()
            if _is(o, kind) and k in self.b.objects
        )
        return sorted(pairs, key=lambda pair: _sort_key(pair[0]))


def _engine(dialect: str) -> Engine:
    """The engine that writes the DDL of a snapshot of `dialect`: the schema model's own
    (PostgreSQL's) for one dbci does not know."""
    return find(dialect) or model_engine()


def _is(obj: DbObject, kind: type[_Kind]) -> TypeGuard[_Kind]:
    """Exactly this kind; `Function` also takes procedures, `CatalogObject` every kind of
    its own."""
    return type(obj) is kind or (kind in (Function, CatalogObject) and isinstance(obj, kind))


_VIEW_KINDS = ("view", "materialized view")


def _sort_key(obj: DbObject) -> tuple[str, str]:
    return (obj.key[1], obj.key[2])


def _kind_rank(kind: str) -> int:
    return KIND_ORDER.get(kind, 99)


def _by_kind(objects: dict[Key, DbObject], keys: Iterable[Key], kind: type[_Kind]) -> list[_Kind]:
    found = (objects[k] for k in keys if k in objects and type(objects[k]) is kind)
    return sorted((cast(_Kind, o) for o in found), key=_sort_key)


_KEY_TYPES = ("primary key", "unique")
_TYPE_KINDS = ("enum", "domain")
_ROUTINE_KINDS = ("function", "procedure")


def _view_order(views: list[_Kind]) -> list[_Kind]:
    """Views in creation order: each after the views it reads."""
    by_key = {v.key: v for v in views}
    done: set[Key] = set()
    ordered: list[_Kind] = []

    def visit(view: _Kind, path: frozenset[Key]) -> None:
        if view.key in done or view.key in path:
            return
        for dependency in view.depends_on():
            if dependency in by_key:
                visit(by_key[dependency], path | {view.key})
        done.add(view.key)
        ordered.append(view)

    for view in sorted(views, key=_sort_key):
        visit(view, frozenset())
    return ordered
