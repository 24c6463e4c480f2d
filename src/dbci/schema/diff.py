"""Comparing two snapshots: the list of changes, and the SQL that turns A into B.

The comparison is a dictionary diff by object key (kind, schema, name): keys only in B
are added, keys only in A dropped, keys in both with different values changed. Each
changed object is altered in place where the database allows it (columns, constraints,
enum values, sequence options, function bodies, comments, grants) and dropped and
created again where it does not (views, indexes, triggers, a function whose result type
changed). Objects that depend on something dropped or recreated (a view reading a table
whose columns change, a trigger whose function is recreated) are recreated around it.

Statements come out in dependency order, in phases (after migra's `changes.py`): drop
what depends on others first (triggers, views, foreign keys, indexes, functions), then
create and alter (schemas, extensions, types, sequences, tables, functions, views in
dependency order, indexes, foreign keys, triggers), then drop tables, sequences, types,
extensions and schemas. A rename shows as a drop and an add: a snapshot cannot tell a
renamed object from a new one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from dbci.errors import InputError
from dbci.schema.model import (
    KIND_ORDER,
    Column,
    CompositeType,
    Constraint,
    DbObject,
    Domain,
    Enum,
    Extension,
    Function,
    Index,
    Key,
    Schema,
    Sequence,
    Snapshot,
    Table,
    Trigger,
    View,
    qualify,
    quote_ident,
    quote_literal,
    type_dependencies,
)

ADD, CHANGE, DROP = "Add", "Change", "Drop"


@dataclass(frozen=True)
class Change:
    """One object that differs between A and B."""

    id: int
    change: str  # Add | Change | Drop
    type: str
    schema: str
    name: str
    before_sql: str | None
    after_sql: str | None
    destructive: bool

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
        """The statements as a script (empty when A and B are the same)."""
        return "".join(_terminated(s) for s in self.statements)

    @property
    def destructive(self) -> bool:
        return any(c.destructive for c in self.changes)


def _terminated(statement: str) -> str:
    last_line = statement.rstrip().rsplit("\n", 1)[-1]
    return statement.rstrip() + ("\n;\n" if "--" in last_line else ";\n")


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
        # Keys dropped and created again (in A and B): views, indexes, triggers, …
        self.recreate: set[Key] = set()
        self.destructive: set[Key] = set(self.dropped_keys)
        self.out = Diff(a.dialect)

    # ---- classification ---------------------------------------------------------------

    def run(self) -> Diff:
        for old, new in self.changed:
            if _needs_recreate(old, new):
                self.recreate.add(old.key)
                if isinstance(old, Table | Enum | CompositeType | Domain):
                    self.destructive.add(old.key)
            elif isinstance(old, Table) and isinstance(new, Table) and _table_loses_data(old, new):
                self.destructive.add(old.key)
        self._spread_recreation()
        self._record_changes()
        self._emit()
        return self.out

    def _spread_recreation(self) -> None:
        """Recreate what depends on anything dropped or recreated; views also when a table,
        view or function they read is altered (PostgreSQL refuses most such ALTERs)."""
        altered = {o.key for o, _ in self.changed if isinstance(o, Table | Function)}
        # A recreated table takes its indexes and triggers with it.
        for key in [k for k in self.recreate if k[0] == "table"]:
            for obj in self.a.objects.values():
                if isinstance(obj, Index | Trigger) and (obj.schema, obj.table) == key[1:]:
                    self.recreate.add(obj.key)
        grew = True
        while grew:
            grew = False
            for obj in self.a.objects.values():
                if obj.key in self.recreate or obj.key not in self.b.objects:
                    continue
                if not isinstance(obj, View | Function | Index | Trigger):
                    continue
                needs = set(obj.depends_on())
                hit = needs & (self.dropped_keys | self.recreate)
                if isinstance(obj, View):
                    hit |= needs & altered
                if hit:
                    self.recreate.add(obj.key)
                    grew = True

    def _record_changes(self) -> None:
        entries: list[tuple[str, DbObject, DbObject | None, DbObject | None]] = []
        entries += [(ADD, o, None, o) for o in self.added]
        entries += [(DROP, o, o, None) for o in self.dropped]
        entries += [(CHANGE, new, old, new) for old, new in self.changed]
        order = {ADD: 1, CHANGE: 2, DROP: 3}
        entries.sort(key=lambda e: (_kind_rank(e[1].kind), e[1].key[1], e[1].key[2], order[e[0]]))
        for number, (change, obj, before, after) in enumerate(entries, start=1):
            self.out.changes.append(
                Change(
                    id=number,
                    change=change,
                    type=obj.kind,
                    schema=obj.schema,
                    name=obj.key_name,
                    before_sql=before.ddl() if before else None,
                    after_sql=after.ddl() if after else None,
                    destructive=obj.key in self.destructive,
                )
            )

    # ---- emission -----------------------------------------------------------------------

    def _emit(self) -> None:
        if self.a.dialect == "sqlite":
            from dbci.schema.sqlite_diff import emit_sqlite

            self.out.statements = emit_sqlite(self)
            return
        s = self.out.statements
        a = self.a.objects
        goes = self.dropped_keys | self.recreate  # objects of A that are dropped now
        dropped_tables = {k for k in self.dropped_keys if k[0] == "table"}

        def on_dropped_table(obj: DbObject) -> bool:
            table = getattr(obj, "table", None)
            return table is not None and ("table", obj.schema, table) in dropped_tables

        # 1. triggers, views (dependents first), foreign keys, other constraints, indexes
        for obj in _by_kind(a, goes, Trigger):
            if not on_dropped_table(obj):
                s += obj.drop_sql()
        for obj in reversed(_view_order([a[k] for k in goes if k[0] in _VIEW_KINDS])):
            s += obj.drop_sql()
        for old, new in self._changed(Table):
            if old.key not in self.recreate:
                s += [old.drop_constraint_sql(c) for c in _constraint_drops(old, new) if _is_fk(c)]
        for obj in _by_kind(a, self.dropped_keys, Table):
            # foreign keys between dropped tables go first, so the tables drop in any order
            s += [obj.drop_constraint_sql(c) for c in obj.constraints if _is_fk(c)]
        for old, new in self._changed(Table):
            if old.key not in self.recreate:
                s += [
                    old.drop_constraint_sql(c) for c in _constraint_drops(old, new) if not _is_fk(c)
                ]
        for obj in _by_kind(a, goes, Index):
            if not on_dropped_table(obj):
                s += obj.drop_sql()
        for obj in [a[k] for k in sorted(goes) if k[0] in ("function", "procedure")]:
            s += obj.drop_sql()
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
        for old, new in self._changed(Enum):
            s += _alter_enum(old, new, self)
        for old, new in self._changed(Domain):
            s += _alter_domain(old, new)
        for old, new in self._changed(CompositeType):
            s += _alter_composite(old, new)
        for obj in self._added(Sequence):
            s += obj.create_sql()
        for old, new in self._changed(Sequence):
            s += _alter_sequence(old, new)

        # 3. tables: new ones without their foreign keys, then changes to existing ones
        for obj in _partition_order(self._added(Table) + self._recreated(Table)):
            s += obj.definition_sql(foreign_keys=False) + obj.comment_sql() + obj.grant_sql()
        for old, new in self._changed(Table):
            if old.key not in self.recreate:
                s += _alter_table(old, new)
        for obj in self._added(Sequence):
            s += obj.ownership_sql()

        # 4. functions, views in dependency order, indexes, foreign keys, triggers
        for obj in [o for o in self.added + self._recreated_any() if isinstance(o, Function)]:
            s += obj.create_sql()
        for old, new in self._changed(Function):
            if old.key not in self.recreate:
                s += _replace_function(old, new)
        views = [o for o in self.added + self._recreated_any() if isinstance(o, View)]
        for obj in _view_order(views):
            s += obj.create_sql()
        for old, new in self._changed(View):
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
                s += [new.add_constraint_sql(c) for c in _constraint_adds(old, new) if _is_fk(c)]
        for obj in [o for o in self.added + self._recreated_any() if isinstance(o, Trigger)]:
            s += obj.create_sql()
        for old, new in self._changed(Trigger):
            if old.key not in self.recreate:
                s += _alter_trigger(old, new)

        # 5. drops of whole objects, dependents first
        for obj in reversed(_partition_order(_by_kind(a, self.dropped_keys, Table))):
            s += obj.drop_sql()
        for obj in _by_kind(a, self.dropped_keys, Sequence):
            if obj.owned_by is None or ("table", obj.schema, obj.owned_by[0]) not in dropped_tables:
                s += obj.drop_sql()
        for kind in (CompositeType, Domain, Enum):
            for obj in _by_kind(a, self.dropped_keys, kind):
                s += obj.drop_sql()
        for obj in _by_kind(a, self.dropped_keys, Extension):
            s += obj.drop_sql()
        for obj in [a[k] for k in sorted(self.dropped_keys) if k[0] == "schema"]:
            s += obj.drop_sql()
        for old, new in self._changed(Schema):
            s += _comments_and_grants(old, new)

    # ---- helpers ------------------------------------------------------------------------

    def _added(self, kind: type) -> list:
        return sorted((o for o in self.added if _is(o, kind)), key=_sort_key)

    def _recreated(self, kind: type) -> list:
        objects = (self.b.objects[k] for k in self.recreate if k in self.b.objects)
        return sorted((o for o in objects if _is(o, kind)), key=_sort_key)

    def _recreated_any(self) -> list[DbObject]:
        """Recreated objects other than tables, as B has them."""
        objects = (self.b.objects[k] for k in self.recreate if k in self.b.objects)
        return sorted((o for o in objects if not isinstance(o, Table)), key=_sort_key)

    def _changed(self, kind: type) -> list[tuple]:
        pairs = ((o, n) for o, n in self.changed if _is(o, kind))
        return sorted(pairs, key=lambda pair: _sort_key(pair[0]))


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


def _is_fk(constraint: Constraint) -> bool:
    return constraint.constraint_type == "foreign key"


def _needs_recreate(old: DbObject, new: DbObject) -> bool:
    """Whether a changed object must be dropped and created again."""
    if isinstance(old, View):  # views and materialized views
        return (old.definition, old.options, old.check_option) != (
            new.definition,
            new.options,
            new.check_option,
        ) or type(old) is not type(new)
    if isinstance(old, Index):
        return old.definition != new.definition
    if isinstance(old, Trigger):
        return old.definition != new.definition
    if isinstance(old, Function):
        return old.result != new.result or type(old) is not type(new)
    if isinstance(old, Table):
        return (old.partition_by, old.partition_of, old.partition_bound) != (
            new.partition_by,
            new.partition_of,
            new.partition_bound,
        )
    if isinstance(old, Domain):
        return (old.data_type, old.collation) != (new.data_type, new.collation)
    if isinstance(old, Extension):
        return old.schema != new.schema
    return False


def _table_loses_data(old: Table, new: Table) -> bool:
    new_columns = {c.name: c for c in new.columns}
    for column in old.columns:
        other = new_columns.get(column.name)
        if other is None or other.data_type != column.data_type:
            return True
        if other.generated != column.generated:
            return True
    return False


# ---- tables ----------------------------------------------------------------------------------


def _constraint_drops(old: Table, new: Table) -> list[Constraint]:
    after = {c.name: c for c in new.constraints}
    return [
        c for c in old.constraints if c.name not in after or _constraint_differs(c, after[c.name])
    ]


def _constraint_adds(old: Table, new: Table) -> list[Constraint]:
    before = {c.name: c for c in old.constraints}
    return [
        c for c in new.constraints if c.name not in before or _constraint_differs(before[c.name], c)
    ]


def _constraint_differs(old: Constraint, new: Constraint) -> bool:
    return (old.constraint_type, old.definition) != (new.constraint_type, new.definition)


def _alter_table(old: Table, new: Table) -> list[str]:
    """ALTER TABLE statements for columns, non-FK constraints, options, comments, grants."""
    table = old.qualified
    out: list[str] = []
    before = {c.name: c for c in old.columns}
    after = {c.name: c for c in new.columns}
    for column in old.columns:
        replacement = after.get(column.name)
        if replacement is None or replacement.generated != column.generated:
            out.append(f"ALTER TABLE {table} DROP COLUMN {quote_ident(column.name)}")
    for column in new.columns:
        previous = before.get(column.name)
        if previous is None or previous.generated != column.generated:
            out.append(f"ALTER TABLE {table} ADD COLUMN {column.definition_sql()}")
        else:
            out += _alter_column(table, previous, column)
    if old.unlogged != new.unlogged:
        out.append(f"ALTER TABLE {table} SET {'UNLOGGED' if new.unlogged else 'LOGGED'}")
    out += [new.add_constraint_sql(c) for c in _constraint_adds(old, new) if not _is_fk(c)]
    out += _table_comments(old, new)
    out += _grant_changes(old, new)
    if not out and [c.name for c in old.columns] != [c.name for c in new.columns]:
        out.append(f"-- {table}: the column order differs; PostgreSQL cannot reorder columns")
    return out


def _alter_column(table: str, old: Column, new: Column) -> list[str]:
    out: list[str] = []
    column = f"ALTER TABLE {table} ALTER COLUMN {quote_ident(new.name)}"
    if (old.data_type, old.collation) != (new.data_type, new.collation):
        collate = f" COLLATE {new.collation}" if new.collation else ""
        using = f" USING {quote_ident(new.name)}::{new.data_type}"
        out.append(f"{column} TYPE {new.data_type}{collate}{using}")
    if old.identity != new.identity:
        if old.identity and new.identity:
            out.append(f"{column} SET GENERATED {new.identity}")
        elif old.identity:
            out.append(f"{column} DROP IDENTITY")
    if old.default != new.default and new.identity is None:
        if new.default is None:
            out.append(f"{column} DROP DEFAULT")
        else:
            out.append(f"{column} SET DEFAULT {new.default}")
    if new.identity and not old.identity:
        if old.default is not None:
            out.append(f"{column} DROP DEFAULT")
        out.append(f"{column} ADD GENERATED {new.identity} AS IDENTITY")
    if old.nullable != new.nullable:
        out.append(f"{column} {'DROP' if new.nullable else 'SET'} NOT NULL")
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
        recreated = previous is None or _constraint_differs(previous, constraint)
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


def _alter_enum(old: Enum, new: Enum, planner: _Planner) -> list[str]:
    """New labels are added in place; a removed or reordered label rebuilds the type."""
    kept = [label for label in old.labels if label in new.labels]
    order_kept = [label for label in new.labels if label in old.labels]
    out: list[str] = []
    if kept == list(old.labels) and kept == order_kept:
        for index, label in enumerate(new.labels):
            if label in old.labels:
                continue
            anchor = ""
            if index + 1 < len(new.labels) and new.labels[index + 1] in old.labels:
                anchor = f" BEFORE {quote_literal(new.labels[index + 1])}"
            elif index > 0:
                anchor = f" AFTER {quote_literal(new.labels[index - 1])}"
            out.append(f"ALTER TYPE {new.qualified} ADD VALUE {quote_literal(label)}{anchor}")
    else:
        planner.destructive.add(old.key)
        out += _rebuild_type(old, new, planner)
    out += _comments_and_grants(old, new)
    return out


def _rebuild_type(old: DbObject, new: DbObject, planner: _Planner) -> list[str]:
    """Rename the old type, create the new one, convert columns through text, drop the old."""
    parked = f"{old.name}__dbci_old"
    out = [f"ALTER TYPE {old.qualified} RENAME TO {quote_ident(parked)}"]
    out += new.definition_sql()
    key = old.key
    for obj in planner.b.objects.values():
        if isinstance(obj, Table) and obj.key in planner.a.objects:
            for column in obj.columns:
                if key in _column_type_keys(column):
                    target = f"ALTER TABLE {obj.qualified} ALTER COLUMN {quote_ident(column.name)}"
                    if column.default is not None:
                        out.append(f"{target} DROP DEFAULT")
                    out.append(
                        f"{target} TYPE {column.data_type} USING "
                        f"{quote_ident(column.name)}::text::{column.data_type}"
                    )
                    if column.default is not None:
                        out.append(f"{target} SET DEFAULT {column.default}")
    out.append(f"DROP TYPE {qualify(old.schema, parked)}")
    return out


def _column_type_keys(column: Column) -> tuple[Key, ...]:
    return type_dependencies(column.data_type)


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
    out: list[str] = []
    if old.options_sql() != new.options_sql():
        out.append(f"ALTER SEQUENCE {new.qualified} {new.options_sql()}")
    if old.owned_by != new.owned_by:
        out += new.ownership_sql() or [f"ALTER SEQUENCE {new.qualified} OWNED BY NONE"]
    return out + _comments_and_grants(old, new)


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
