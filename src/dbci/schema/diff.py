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

Statements come out in dependency order, in phases (after migra's `changes.py`): drop
what depends on others first (triggers, views, foreign keys, constraints, defaults,
indexes, recreated routines and tables), then create and alter (schemas, extensions,
types, sequences; tables and routines together, each after those of them it uses;
views in dependency order, indexes, foreign keys, triggers), then drop tables,
sequences, routines, types, extensions and schemas. A rename shows as a drop and an
add: a snapshot cannot tell a renamed object from a new one.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from dbci.errors import InputError
from dbci.schema.model import (
    KIND_ORDER,
    Column,
    CompositeType,
    DbObject,
    Domain,
    Enum,
    Extension,
    Function,
    Index,
    Key,
    MaterializedView,
    Schema,
    Sequence,
    Snapshot,
    Table,
    Trigger,
    View,
    column_grant_sql,
    column_revoke_sql,
    constraint_adds,
    constraint_differs,
    constraint_drops,
    dependency_order,
    is_foreign_key,
    qualify,
    quote_ident,
    quote_literal,
    relation_keys,
    type_dependencies,
)
from dbci.sqlsplit.scanner import terminated

ADD, CHANGE, DROP = "Add", "Change", "Drop"


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
        if self.dialect == "mysql":
            from dbci.engines.mysql.ddl import mysql_script

            return mysql_script(self.statements)
        if self.dialect == "mssql":
            from dbci.engines.sqlserver.diff import mssql_script

            return mssql_script(self.statements)
        return "".join(terminated(s) + "\n" for s in self.statements)

    @property
    def destructive(self) -> bool:
        return any(c.destructive for c in self.changes)


def diff(a: Snapshot, b: Snapshot) -> Diff:
    """What changes from snapshot `a` to snapshot `b`, and the SQL that makes a into b."""
    if a.dialect != b.dialect:
        raise InputError(
            f"cannot compare a {a.dialect} schema with a {b.dialect} schema: "
            "both sources must be of the same database engine"
        )
    return _Planner(a, b).run()


class _Planner:
    """Works out the changes, then emits statements phase by phase."""

    def __init__(self, a: Snapshot, b: Snapshot) -> None:
        self.a, self.b = a, b
        self.added = [o for k, o in b.objects.items() if k not in a.objects]
        self.dropped = [o for k, o in a.objects.items() if k not in b.objects]
        self.changed = [
            (a.objects[k], o) for k, o in b.objects.items() if k in a.objects and a.objects[k] != o
        ]
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
        self.destructive: set[Key] = set(self.dropped_keys)
        self.out = Diff(a.dialect)

    # ---- classification ---------------------------------------------------------------

    def run(self) -> Diff:
        for old, new in self.changed:
            if _needs_recreate(old, new):
                self.recreate.add(old.key)
            elif isinstance(old, Function) and isinstance(new, Function):
                if (old.definition, old.body) != (new.definition, new.body):
                    self.redefined.add(old.key)
            if _loses_data(old, new):
                self.destructive.add(old.key)
        rebuilt_types = {k for k in self.recreate if k[0] in _TYPE_KINDS}
        self.retyped = (
            {
                key
                for key, table in self.a.objects.items()
                if isinstance(table, Table)
                and key in self.b.objects
                and _uses_types(table, rebuilt_types)
            }
            if rebuilt_types
            else set()
        )
        self._spread_recreation()
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
        rewritten = {old.key for old, new in self._changed(Table) if _columns_rewritten(old, new)}
        rewritten |= self.retyped
        # What each candidate needs, worked out once: the loop below runs until nothing
        # more is added, over thousands of objects.
        candidates = [
            (key, obj, frozenset(obj.depends_on()))
            for key, obj in self.a.objects.items()
            if isinstance(obj, View | Function | Index | Trigger) and key in self.b.objects
        ]
        grew = True
        while grew:
            grew = False
            gone = self.dropped_keys | self.recreate
            for key, obj, needs in candidates:
                if key in self.recreate or not needs:
                    continue
                hit = needs & gone
                if isinstance(obj, View | Function):  # a SQL-standard body reads tables
                    hit |= needs & rewritten
                if isinstance(obj, Index):
                    hit |= needs & (self.retyped | self.redefined)
                if hit:
                    self.recreate.add(key)
                    gone.add(key)
                    grew = True

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
            new = changed_tables.get(key)  # None: the same in B, so no constraint changes
            changing = {c.name for c in constraint_drops(table, new)} if new else set()
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
            patterns = [_name_pattern(self.a.objects[k]) for k in table.dependencies if k in goes]
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
        render = _ddl_renderer(self.a.dialect)
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
        if self.a.dialect == "sqlite":
            from dbci.engines.sqlite.ddl import emit_sqlite

            self.out.statements = emit_sqlite(self)
            return
        if self.a.dialect == "mysql":
            from dbci.engines.mysql.ddl import emit_mysql

            self.out.statements = emit_mysql(self)
            return
        if self.a.dialect == "mssql":
            from dbci.engines.sqlserver.diff import emit_mssql

            self.out.statements = emit_mssql(self)
            return
        s = self.out.statements
        a, b = self.a.objects, self.b.objects
        goes = self.dropped_keys | self.recreate  # objects of A that are dropped now
        dropped_tables = {k for k in self.dropped_keys if k[0] == "table"}
        gone_views = {k for k in goes if k[0] in _VIEW_KINDS}

        def on(obj: Index | Trigger, relations: set[Key]) -> bool:
            """Whether an index or trigger is on one of `relations` (and goes with it)."""
            return any(k in relations for k in relation_keys(obj.schema, obj.table))

        # 1. what depends on others: triggers, views (dependents first), foreign keys and
        #    other constraints, the defaults and checks `detached` takes off, indexes,
        #    recreated routines, recreated tables. What is on a dropped table goes with it
        #    in step 5; indexes on dropped views go with them.
        for obj in _by_kind(a, goes, Trigger):
            if not on(obj, dropped_tables):
                s += obj.drop_sql()
        for obj in reversed(_view_order([a[k] for k in gone_views])):
            s += obj.drop_sql()
        for old, new in self._changed(Table):
            if old.key not in self.recreate:
                s += [
                    old.drop_constraint_sql(c)
                    for c in constraint_drops(old, new)
                    if is_foreign_key(c)
                ]
        for table_key, name in sorted(self.refreshed):
            table = a[table_key]
            assert isinstance(table, Table)
            s += [table.drop_constraint_sql(c) for c in table.constraints if c.name == name]
        for obj in _by_kind(a, self.dropped_keys, Table):
            # foreign keys between dropped tables go first, so the tables drop in any order
            s += [obj.drop_constraint_sql(c) for c in obj.constraints if is_foreign_key(c)]
        for old, new in self._changed(Table):
            if old.key not in self.recreate:
                s += [
                    old.drop_constraint_sql(c)
                    for c in constraint_drops(old, new)
                    if not is_foreign_key(c)
                ]
        for key, detached in sorted(self.detached.items()):
            old, new = a[key], b[key]
            assert isinstance(old, Table) and isinstance(new, Table)
            s += _detach_sql(old, new, detached)
        for obj in _by_kind(a, goes, Index):
            if not on(obj, dropped_tables | gone_views):
                s += obj.drop_sql()
        for obj in [a[k] for k in sorted(goes) if k[0] in _ROUTINE_KINDS]:
            if obj.key in self.recreate or self._name_reused(obj):
                s += obj.drop_sql()
        # A sequence B keeps is let go by a column that is dropped (or moves elsewhere), so
        # that it does not go with it; step 3 gives it its owner in B.
        for old, _ in self._changed_or_same(Sequence):
            if old.owned_by is not None and self._moves_owner(old):
                s.append(f"ALTER SEQUENCE {old.qualified} OWNED BY NONE")
        for key in sorted(self.recreate):
            if key[0] == "table":
                s += a[key].drop_sql()

        # 2. schemas, extensions, types, sequences
        for obj in self._added(Schema):
            s += obj.create_sql()
        for obj in self._added(Extension):
            s += obj.create_sql()
        for old, new in self._changed(Extension):
            s += _alter_extension(old, new)
        for kind in (Enum, Domain, CompositeType):
            for obj in self._added(kind):
                s += obj.create_sql()
        for old, new in self._changed(Enum) + self._changed(Domain):
            if old.key in self.recreate:
                s += self._rebuild_type(old, new)
            elif isinstance(old, Enum):
                s += _alter_enum(old, new)
            else:
                s += _alter_domain(old, new)
        for old, new in self._changed(CompositeType):
            s += _alter_composite(old, new)
        for obj in self._added(Sequence):
            s += obj.create_sql()
        for old, new in self._changed(Sequence):
            s += _alter_sequence(old, new)

        # 3. tables and routines: new tables without their foreign keys, changes to existing
        #    ones (with the parts step 1 took off), new and recreated routines, replaced
        #    ones. Each comes after those of them it uses (`depends_on`): a table whose
        #    default or check calls a new function after the function, a function whose
        #    SQL-standard body reads a new table after the table. Otherwise tables come
        #    first, those that use none of these routines before all routines: a routine
        #    whose body is a string records nothing it reads, and may read them.
        #    Then sequences owned by a column get their owner.
        tables: dict[Key, list[str]] = {}
        for obj in _partition_order(self._added(Table) + self._recreated(Table)):
            tables[obj.key] = (
                obj.definition_sql(foreign_keys=False) + obj.comment_sql() + obj.grant_sql()
            )
        altered = {old.key for old, _ in self._changed(Table)} | set(self.detached)
        for key in sorted(altered - self.recreate):
            old, new = self.detached.get(key, a[key]), b[key]
            assert isinstance(old, Table) and isinstance(new, Table)
            tables[key] = _alter_table(old, new)
        routines: dict[Key, list[str]] = {}
        for obj in sorted(self.added, key=_sort_key) + self._recreated_any():
            if isinstance(obj, Function):
                routines[obj.key] = obj.create_sql()
        for old, new in self._changed(Function):
            if old.key not in self.recreate:
                routines[old.key] = _replace_function(old, new)
        needing = {k for k in tables if set(b[k].depends_on()) & routines.keys()}
        work = {k: v for k, v in tables.items() if k not in needing} | routines
        work |= {k: v for k, v in tables.items() if k in needing}
        for obj in dependency_order(b[k] for k in work):
            s += work[obj.key]
        for obj in self._added(Sequence):
            s += obj.ownership_sql()
        for old, new in self._changed_or_same(Sequence):
            if new.owned_by is not None and self._moves_owner(old):
                s += new.ownership_sql()

        # 4. views in dependency order, indexes, foreign keys, triggers
        views = [o for o in self.added + self._recreated_any() if isinstance(o, View)]
        for obj in _view_order(views):
            s += obj.create_sql()
        for old, new in self._changed(View) + self._changed(MaterializedView):
            if old.key not in self.recreate:
                s += _comments_and_grants(old, new)
        for obj in [o for o in self.added + self._recreated_any() if isinstance(o, Index)]:
            s += obj.create_sql()
        for old, new in self._changed(Index):
            if old.key not in self.recreate:
                s += _comments_and_grants(old, new)
        for obj in _partition_order(self._added(Table) + self._recreated(Table)):
            s += obj.foreign_key_sql()
        for old, new in self._changed(Table):
            if old.key not in self.recreate:
                s += [
                    new.add_constraint_sql(c)
                    for c in constraint_adds(old, new)
                    if is_foreign_key(c)
                ]
        for table_key, name in sorted(self.refreshed):
            table = b[table_key]
            assert isinstance(table, Table)
            s += [table.add_constraint_sql(c) for c in table.constraints if c.name == name]
        for obj in [o for o in self.added + self._recreated_any() if isinstance(o, Trigger)]:
            s += obj.create_sql()
        for old, new in self._changed(Trigger):
            if old.key not in self.recreate:
                s += _alter_trigger(old, new)

        # 5. drops of whole objects, dependents first. Routines go after tables (a column
        #    default or check may call one) and before the types their signatures use;
        #    those whose name B reuses went in step 1.
        for obj in reversed(_partition_order(_by_kind(a, self.dropped_keys, Table))):
            s += obj.drop_sql()
        for obj in _by_kind(a, self.dropped_keys, Sequence):
            if not self._owner_goes(obj):
                s += obj.drop_sql()
        for obj in [a[k] for k in sorted(self.dropped_keys) if k[0] in _ROUTINE_KINDS]:
            if not self._name_reused(obj):
                s += obj.drop_sql()
        for key in sorted(self.recreate):
            if key[0] in _TYPE_KINDS:
                s.append(f"DROP TYPE {qualify(key[1], _parked_name(a[key]))}")
        for kind in (CompositeType, Domain, Enum):
            for obj in _by_kind(a, self.dropped_keys, kind):
                s += obj.drop_sql()
        for obj in _by_kind(a, self.dropped_keys, Extension):
            s += obj.drop_sql()
        for obj in [a[k] for k in sorted(self.dropped_keys) if k[0] == "schema"]:
            s += obj.drop_sql()
        for old, new in self._changed(Schema):
            s += _comments_and_grants(old, new)

    # ---- types and sequences ------------------------------------------------------------

    def _rebuild_type(self, old: Enum | Domain, new: Enum | Domain) -> list[str]:
        """A type that cannot be altered into the new one (an enum losing or reordering
        labels, a domain over another base type) is rebuilt: the old type is renamed out of
        the way, the new one created, every column of A using it converted through text
        (its default set again after); step 5 drops the old type, once the tables and
        routines B drops (which may still use it) are gone. What else depends on the type
        was dropped in step 1 and comes back in step 4 (`_spread_recreation`)."""
        out = [f"ALTER TYPE {old.qualified} RENAME TO {quote_ident(_parked_name(old))}"]
        out += new.create_sql()
        for table in self.a.objects.values():
            if not isinstance(table, Table) or table.key in self.dropped_keys | self.recreate:
                continue
            table = self.detached.get(table.key, table)  # defaults step 1 took off
            after = self.b.objects.get(table.key)
            for column in table.columns:
                if old.key not in type_dependencies(column.data_type):
                    continue
                # The type keeps its name, so the column keeps its type's text. The default
                # (which names the type) comes back if B has the same one; a different one
                # is step 3's to set, as for any column.
                target = f"ALTER TABLE {table.qualified} ALTER COLUMN {quote_ident(column.name)}"
                if column.default is not None:
                    out.append(f"{target} DROP DEFAULT")
                out.append(
                    f"{target} TYPE {column.data_type} USING "
                    f"{quote_ident(column.name)}::text::{column.data_type}"
                )
                kept = after.column(column.name) if isinstance(after, Table) else None
                if (
                    column.default is not None
                    and kept is not None
                    and (kept.data_type, kept.default) == (column.data_type, column.default)
                ):
                    out.append(f"{target} SET DEFAULT {column.default}")
        return out

    def _owner_goes(self, sequence: Sequence) -> bool:
        """Whether the diff drops the column that owns `sequence` (its table dropped or
        recreated, or the column dropped), which drops the sequence with it."""
        if sequence.owned_by is None:
            return False
        table_name, column_name = sequence.owned_by
        key: Key = ("table", sequence.schema, table_name)
        if key in self.dropped_keys or key in self.recreate:
            return True
        old, new = self.a.objects.get(key), self.b.objects.get(key)
        if not isinstance(old, Table) or not isinstance(new, Table):
            return False
        column = old.column(column_name)
        return column is not None and _column_replaced(column, new.column(column_name))

    def _moves_owner(self, old: Sequence) -> bool:
        """Whether a sequence that both sides have changes owner, or loses its owning
        column for a while (the diff drops it or recreates its table)."""
        new = self.b.objects[old.key]
        assert isinstance(new, Sequence)
        return old.owned_by != new.owned_by or self._owner_goes(old)

    def _name_reused(self, routine: DbObject) -> bool:
        """Whether B adds a routine of the same name as the dropped `routine`. The key
        holds the arguments' names, but PostgreSQL tells routines apart by their types
        only: a routine whose arguments are renamed is the same one to it, and must be
        dropped before it is created again."""
        return any(
            isinstance(o, Function) and (o.schema, o.name) == (routine.schema, routine.name)
            for o in self.added
        )

    # ---- helpers ------------------------------------------------------------------------

    def _added(self, kind: type) -> list:
        return sorted((o for o in self.added if _is(o, kind)), key=_sort_key)

    def _recreated(self, kind: type) -> list:
        objects = (self.b.objects[k] for k in self.recreate if k in self.b.objects)
        return sorted((o for o in objects if _is(o, kind)), key=_sort_key)

    def _recreated_any(self) -> list[DbObject]:
        """Recreated objects other than tables and types, as B has them."""
        objects = (self.b.objects[k] for k in self.recreate if k in self.b.objects)
        return sorted(
            (o for o in objects if not isinstance(o, Table | Enum | Domain)), key=_sort_key
        )

    def _changed(self, kind: type) -> list[tuple]:
        pairs = ((o, n) for o, n in self.changed if _is(o, kind))
        return sorted(pairs, key=lambda pair: _sort_key(pair[0]))

    def _changed_or_same(self, kind: type) -> list[tuple]:
        """Objects of `kind` on both sides, changed or not, as (A's, B's)."""
        pairs = (
            (o, self.b.objects[k])
            for k, o in self.a.objects.items()
            if _is(o, kind) and k in self.b.objects
        )
        return sorted(pairs, key=lambda pair: _sort_key(pair[0]))


def _ddl_renderer(dialect: str) -> Callable[[DbObject], str] | None:
    """The engine's own DDL writer for `Change.before_sql`/`after_sql`, where the model's
    (PostgreSQL's) would not run there."""
    if dialect == "mysql":
        from dbci.engines.mysql.ddl import create_ddl

        return create_ddl
    if dialect == "mssql":
        from dbci.engines.sqlserver.diff import create_ddl as create_mssql_ddl

        return create_mssql_ddl
    return None


def _is(obj: DbObject, kind: type) -> bool:
    """Exactly this kind; `Function` also takes procedures."""
    return type(obj) is kind or (kind is Function and isinstance(obj, Function))


_VIEW_KINDS = ("view", "materialized view")


def _sort_key(obj: DbObject) -> tuple[str, str]:
    return (obj.key[1], obj.key[2])


def _kind_rank(kind: str) -> int:
    return KIND_ORDER.get(kind, 99)


def _by_kind(objects: dict[Key, DbObject], keys: Iterable[Key], kind: type) -> list:
    return sorted(
        (objects[k] for k in keys if k in objects and type(objects[k]) is kind), key=_sort_key
    )


def _needs_recreate(old: DbObject, new: DbObject) -> bool:
    """Whether a changed object must be dropped and created again (types: rebuilt)."""
    if isinstance(old, View) and isinstance(new, View):  # views and materialized views
        return (old.definition, old.options, old.check_option) != (
            new.definition,
            new.options,
            new.check_option,
        )
    if isinstance(old, Index | Trigger) and isinstance(new, Index | Trigger):
        return old.definition != new.definition
    if isinstance(old, Function) and isinstance(new, Function):
        # CREATE OR REPLACE keeps the result type; changing it takes DROP and CREATE.
        return old.result != new.result
    if isinstance(old, Table) and isinstance(new, Table):
        return (old.partition_by, old.partition_of, old.partition_bound) != (
            new.partition_by,
            new.partition_of,
            new.partition_bound,
        )
    if isinstance(old, Enum) and isinstance(new, Enum):
        # ALTER TYPE … ADD VALUE only adds labels; losing or reordering one rebuilds it.
        kept = [label for label in new.labels if label in old.labels]
        return kept != list(old.labels)
    if isinstance(old, Domain) and isinstance(new, Domain):
        return (old.data_type, old.collation) != (new.data_type, new.collation)
    return False


def _loses_data(old: DbObject, new: DbObject) -> bool:
    """Whether changing `old` into `new` may lose data (or fail on the data there is)."""
    if isinstance(old, Table) and isinstance(new, Table):
        return _needs_recreate(old, new) or _columns_rewritten(old, new, collation=False)
    if isinstance(old, Enum | Domain):
        return _needs_recreate(old, new)  # a rebuild converts the values, or fails on them
    if isinstance(old, CompositeType) and isinstance(new, CompositeType):
        after = {a.name: a for a in new.attributes}
        return any(after.get(a.name) != a for a in old.attributes)  # dropped or retyped
    if isinstance(old, Sequence) and isinstance(new, Sequence):
        return _narrows(old, new)
    return False


def _columns_rewritten(old: Table, new: Table, *, collation: bool = True) -> bool:
    """Whether an existing column is dropped, retyped or (with `collation`) given another
    collation: the first two may lose data, and PostgreSQL refuses all three under a view
    reading the column."""
    for column in old.columns:
        other = new.column(column.name)
        if other is None or _column_replaced(column, other):
            return True
        if other.data_type != column.data_type:
            return True
        if collation and other.collation != column.collation:
            return True
    return False


def _column_replaced(old: Column, new: Column | None) -> bool:
    """Whether a column is dropped (it is gone, or it becomes or stops being generated,
    or its generation expression changes, which PostgreSQL cannot alter)."""
    return new is None or new.generated != old.generated


def _name_pattern(obj: DbObject) -> re.Pattern[str]:
    """How an expression PostgreSQL renders names `obj` (a routine or a type) from outside
    the search path: schema-qualified, each part quoted or not (quoted where it must be),
    a routine followed by its argument list."""

    def part(name: str) -> str:
        return f"(?:{re.escape(name)}|{re.escape(quote_ident(name))})"

    after = r"\(" if isinstance(obj, Function) else r"(?![\w$])"
    return re.compile(rf'(?<![\w$"]){part(obj.schema)}\.{part(obj.name)}{after}')


def _detach_sql(old: Table, new: Table, detached: Table) -> list[str]:
    """Step 1's statements that take `old` to `detached`: its defaults and constraints that
    use what goes, but for constraints that are dropped anyway as changed ones."""
    out: list[str] = []
    dropped = {c.name for c in constraint_drops(old, new)}
    kept = {c.name for c in detached.constraints}
    for constraint in old.constraints:
        if constraint.name not in kept and constraint.name not in dropped:
            out.append(old.drop_constraint_sql(constraint))
    for column, after in zip(old.columns, detached.columns, strict=True):
        if column.default != after.default:
            target = f"ALTER TABLE {old.qualified} ALTER COLUMN {quote_ident(column.name)}"
            out.append(f"{target} DROP DEFAULT")
    return out


def _parked_name(rebuilt: DbObject) -> str:
    """The name a rebuilt type has while its successor takes over."""
    return f"{rebuilt.name}__dbci_old"


def _uses_types(table: Table, types: set[Key]) -> bool:
    """Whether a column of `table` is of one of the user types `types` (or arrays of them)."""
    return any(k in types for c in table.columns for k in type_dependencies(c.data_type))


_KEY_TYPES = ("primary key", "unique")
_TYPE_KINDS = ("enum", "domain")
_ROUTINE_KINDS = ("function", "procedure")


# ---- tables ----------------------------------------------------------------------------------


def _alter_table(old: Table, new: Table) -> list[str]:
    """ALTER TABLE statements for columns, non-FK constraints, options, comments, grants."""
    table = old.qualified
    out: list[str] = []
    before = {c.name: c for c in old.columns}
    after = {c.name: c for c in new.columns}
    for column in old.columns:
        if _column_replaced(column, after.get(column.name)):
            out.append(f"ALTER TABLE {table} DROP COLUMN {quote_ident(column.name)}")
    for column in new.columns:
        previous = before.get(column.name)
        if previous is None or _column_replaced(previous, column):
            out.append(f"ALTER TABLE {table} ADD COLUMN {column.definition_sql()}")
        else:
            out += _alter_column(table, previous, column)
    if old.unlogged != new.unlogged:
        out.append(f"ALTER TABLE {table} SET {'UNLOGGED' if new.unlogged else 'LOGGED'}")
    out += [new.add_constraint_sql(c) for c in constraint_adds(old, new) if not is_foreign_key(c)]
    out += _table_comments(old, new)
    out += _table_grant_changes(old, new)
    if not out and [c.name for c in old.columns] != [c.name for c in new.columns]:
        # One comment line: a quoted name may hold a line break, which would end the comment.
        shown = table.replace("\r", "\\r").replace("\n", "\\n")
        out.append(f"-- {shown}: the column order differs; PostgreSQL cannot reorder columns")
    return out


def _alter_column(table: str, old: Column, new: Column) -> list[str]:
    """ALTER COLUMN statements, in the order PostgreSQL accepts them.

    An identity goes first (an identity column refuses DROP NOT NULL and a default). The
    old default goes before a type change, since it may not cast to the new type, and
    the new one is set after. NOT NULL is settled before an identity is added, which
    requires it.
    """
    out: list[str] = []
    column = f"ALTER TABLE {table} ALTER COLUMN {quote_ident(new.name)}"
    retyped = (old.data_type, old.collation) != (new.data_type, new.collation)
    if old.identity and not new.identity:
        out.append(f"{column} DROP IDENTITY")
    if old.default is not None and (old.default != new.default or retyped):
        out.append(f"{column} DROP DEFAULT")
    if retyped:
        collate = f" COLLATE {new.collation}" if new.collation else ""
        using = f" USING {quote_ident(new.name)}::{new.data_type}"
        out.append(f"{column} TYPE {new.data_type}{collate}{using}")
    if old.nullable != new.nullable:
        out.append(f"{column} {'DROP' if new.nullable else 'SET'} NOT NULL")
    if new.identity and old.identity and new.identity != old.identity:
        out.append(f"{column} SET GENERATED {new.identity}")
    elif new.identity and not old.identity:
        out.append(f"{column} ADD GENERATED {new.identity} AS IDENTITY")
    if new.default is not None and (old.default != new.default or retyped):
        out.append(f"{column} SET DEFAULT {new.default}")
    return out


def _table_comments(old: Table, new: Table) -> list[str]:
    out: list[str] = []
    if old.comment != new.comment:
        value = "NULL" if new.comment is None else quote_literal(new.comment)
        out.append(f"COMMENT ON {new.target_sql} IS {value}")
    before = {c.name: c for c in old.columns}
    for column in new.columns:
        previous = before.get(column.name)
        previous_comment = (
            previous.comment if previous and previous.generated == column.generated else None
        )
        if column.comment != previous_comment:
            value = "NULL" if column.comment is None else quote_literal(column.comment)
            out.append(f"COMMENT ON COLUMN {new.qualified}.{quote_ident(column.name)} IS {value}")
    old_constraints = {c.name: c for c in old.constraints}
    for constraint in new.constraints:
        previous = old_constraints.get(constraint.name)
        recreated = previous is None or constraint_differs(previous, constraint)
        previous_comment = None if recreated else previous.comment
        if constraint.comment != previous_comment:
            value = "NULL" if constraint.comment is None else quote_literal(constraint.comment)
            target = f"CONSTRAINT {quote_ident(constraint.name)} ON {new.qualified}"
            out.append(f"COMMENT ON {target} IS {value}")
    return out


def _partition_order(tables: list) -> list:
    """Parents before their partitions."""
    return sorted(tables, key=lambda t: (t.partition_of is not None, t.schema, t.name))


# ---- types, sequences, extensions ----------------------------------------------------------------


def _alter_enum(old: Enum, new: Enum) -> list[str]:
    """New labels are added in place, each before the kept label that follows it (or
    after the one before it). Lost or reordered labels rebuild the type instead."""
    out: list[str] = []
    for index, label in enumerate(new.labels):
        if label in old.labels:
            continue
        anchor = ""
        if index + 1 < len(new.labels) and new.labels[index + 1] in old.labels:
            anchor = f" BEFORE {quote_literal(new.labels[index + 1])}"
        elif index > 0:
            anchor = f" AFTER {quote_literal(new.labels[index - 1])}"
        out.append(f"ALTER TYPE {new.qualified} ADD VALUE {quote_literal(label)}{anchor}")
    return out + _comments_and_grants(old, new)


def _alter_domain(old: Domain, new: Domain) -> list[str]:
    domain = f"ALTER DOMAIN {new.qualified}"
    out: list[str] = []
    if old.default != new.default:
        out.append(
            f"{domain} DROP DEFAULT"
            if new.default is None
            else f"{domain} SET DEFAULT {new.default}"
        )
    if old.not_null != new.not_null:
        out.append(f"{domain} {'SET' if new.not_null else 'DROP'} NOT NULL")
    before = {c.name: c for c in old.constraints}
    after = {c.name: c for c in new.constraints}
    for name, constraint in before.items():
        if name not in after or after[name] != constraint:
            out.append(f"{domain} DROP CONSTRAINT {quote_ident(name)}")
    for name, constraint in after.items():
        if name not in before or before[name] != constraint:
            out.append(f"{domain} ADD CONSTRAINT {quote_ident(name)} {constraint.definition}")
    return out + _comments_and_grants(old, new)


def _alter_composite(old: CompositeType, new: CompositeType) -> list[str]:
    target = f"ALTER TYPE {new.qualified}"
    before = {a.name: a for a in old.attributes}
    after = {a.name: a for a in new.attributes}
    out = [f"{target} DROP ATTRIBUTE {quote_ident(n)}" for n in before if n not in after]
    for attribute in new.attributes:
        previous = before.get(attribute.name)
        collate = f" COLLATE {attribute.collation}" if attribute.collation else ""
        name, data_type = quote_ident(attribute.name), attribute.data_type + collate
        if previous is None:
            out.append(f"{target} ADD ATTRIBUTE {name} {data_type}")
        elif previous != attribute:
            out.append(f"{target} ALTER ATTRIBUTE {name} TYPE {data_type}")
    return out + _comments_and_grants(old, new)


def _alter_sequence(old: Sequence, new: Sequence) -> list[str]:
    """ALTER SEQUENCE for new options (its owner is set in step 3, once columns exist).

    PostgreSQL refuses new bounds that leave out the sequence's current value, which the
    snapshot cannot know: when the range narrows, the sequence restarts (at its START)
    only if its value is outside the new range.
    """
    out: list[str] = []
    if old.options_sql() != new.options_sql():
        alter = f"ALTER SEQUENCE {new.qualified} {new.options_sql(explicit_bounds=True)}"
        if _narrows(old, new):
            low, high = new.bounds()
            outside = f"SELECT FROM {new.qualified} WHERE last_value NOT BETWEEN {low} AND {high}"
            alter = (
                f"DO $dbci$BEGIN\n  IF EXISTS ({outside}) THEN\n    {alter} RESTART;\n"
                f"  ELSE\n    {alter};\n  END IF;\nEND$dbci$"
            )
        out.append(alter)
    return out + _comments_and_grants(old, new)


def _narrows(old: Sequence, new: Sequence) -> bool:
    """Whether the new range of values leaves out some of the old one."""
    (old_low, old_high), (low, high) = old.bounds(), new.bounds()
    return low > old_low or high < old_high


def _alter_extension(old: Extension, new: Extension) -> list[str]:
    out: list[str] = []
    if old.version != new.version and new.version:
        out.append(f"ALTER EXTENSION {new.qualified} UPDATE TO {quote_literal(new.version)}")
    return out + _comments_and_grants(old, new)


# ---- routines, views, triggers ----------------------------------------------------------------


def _replace_function(old: Function, new: Function) -> list[str]:
    out: list[str] = []
    if (old.definition, old.body) != (new.definition, new.body):
        out += new.definition_sql()  # CREATE OR REPLACE
    return out + _comments_and_grants(old, new)


def _alter_trigger(old: Trigger, new: Trigger) -> list[str]:
    out: list[str] = []
    if old.enabled != new.enabled:
        action = "DISABLE" if new.enabled == "D" else "ENABLE"
        table = qualify(new.schema, new.table)
        out.append(f"ALTER TABLE {table} {action} TRIGGER {quote_ident(new.name)}")
    return out + _comments_and_grants(old, new)


def _view_order(views: list) -> list:
    """Views in creation order: each after the views it reads."""
    by_key = {v.key: v for v in views}
    done: set[Key] = set()
    ordered: list = []

    def visit(view: View, path: frozenset[Key]) -> None:
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


# ---- comments and grants ------------------------------------------------------------------------


def _comments_and_grants(old: DbObject, new: DbObject) -> list[str]:
    out: list[str] = []
    if old.comment != new.comment:
        value = "NULL" if new.comment is None else quote_literal(new.comment)
        out.append(f"COMMENT ON {new.target_sql} IS {value}")
    if (
        isinstance(old, View)
        and isinstance(new, View)
        and old.column_comments != new.column_comments
    ):
        before = dict(old.column_comments)
        after = dict(new.column_comments)
        for column in sorted(set(before) | set(after)):
            if before.get(column) != after.get(column):
                text = after.get(column)
                value = "NULL" if text is None else quote_literal(text)
                out.append(f"COMMENT ON COLUMN {new.qualified}.{quote_ident(column)} IS {value}")
    return out + _grant_changes(old, new)


def _grant_changes(old: DbObject, new: DbObject) -> list[str]:
    removed = tuple(g for g in old.grants if g not in new.grants)
    added = tuple(g for g in new.grants if g not in old.grants)
    return new.revoke_sql(removed) + new.grant_sql(added)


def _table_grant_changes(old: Table, new: Table) -> list[str]:
    """The table's grant changes, then its columns'. A REVOKE on the table also revokes
    that privilege on each of its columns from the grantee, so column privileges B keeps
    are granted again after one; a column dropped and added again (`_column_replaced`)
    has lost its privileges."""
    out = _grant_changes(old, new)
    cleared = {
        (g.grantee, g.privilege) for g in old.grants if g not in new.grants and not g.revoked
    } | {(g.grantee, g.privilege) for g in new.grants if g not in old.grants and g.revoked}
    before = {c.name: c for c in old.columns}
    for column in new.columns:
        previous = before.get(column.name)
        had = previous.grants if previous and not _column_replaced(previous, column) else ()
        if not had and not column.grants:
            continue
        removed = [g for g in had if g not in column.grants]
        added = [g for g in column.grants if g not in had or (g.grantee, g.privilege) in cleared]
        out += column_revoke_sql(new, column, removed) + column_grant_sql(new, column, added)
    return out
