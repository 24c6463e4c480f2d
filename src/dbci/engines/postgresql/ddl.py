"""PostgreSQL's DDL emitter for a diff (`dbci.schema.diff`): the statements that make
snapshot A into snapshot B, from what the planner worked out (what is added, dropped,
changed, recreated, rebuilt, refreshed, detached).

The statements come out in dependency order, in phases (after migra's `changes.py`): drop
what depends on others first (triggers, views, foreign keys, constraints, defaults,
indexes, recreated routines and tables), then create and alter (schemas, extensions,
types, sequences; tables and routines together, each after those of them it uses;
views in dependency order, indexes, foreign keys, triggers), then drop tables,
sequences, routines, types, extensions and schemas.

How each kind of object is altered in place is in `dbci.engines.postgresql.alter`.
"""

from __future__ import annotations

from typing import cast

from dbci.engines.postgresql.alter import (
    alter_composite,
    alter_domain,
    alter_enum,
    alter_extension,
    alter_sequence,
    alter_table,
    alter_trigger,
    comments_and_grants,
    replace_function,
)
from dbci.schema.diff import (
    _ROUTINE_KINDS,
    _TYPE_KINDS,
    _VIEW_KINDS,
    _by_kind,
    _column_replaced,
    _Planner,
    _sort_key,
    _view_order,
)
from dbci.schema.model import (
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
    Table,
    Trigger,
    View,
    constraint_adds,
    constraint_drops,
    dependency_order,
    is_foreign_key,
    qualify,
    quote_ident,
    relation_keys,
    type_dependencies,
)


def emit_postgresql(planner: _Planner) -> list[str]:
    """Statements in dependency order for the planner's changes."""
    s: list[str] = []
    a, b = planner.a.objects, planner.b.objects
    goes = planner.dropped_keys | planner.recreate  # objects of A that are dropped now
    dropped_tables = {k for k in planner.dropped_keys if k[0] == "table"}
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
    for old, new in planner._changed(Table):
        if old.key not in planner.recreate:
            s += [
                old.drop_constraint_sql(c) for c in constraint_drops(old, new) if is_foreign_key(c)
            ]
    for table_key, name in sorted(planner.refreshed):
        table = a[table_key]
        assert isinstance(table, Table)
        s += [table.drop_constraint_sql(c) for c in table.constraints if c.name == name]
    for obj in _by_kind(a, planner.dropped_keys, Table):
        # foreign keys between dropped tables go first, so the tables drop in any order
        s += [obj.drop_constraint_sql(c) for c in obj.constraints if is_foreign_key(c)]
    for old, new in planner._changed(Table):
        if old.key not in planner.recreate:
            s += [
                old.drop_constraint_sql(c)
                for c in constraint_drops(old, new)
                if not is_foreign_key(c)
            ]
    for key, detached in sorted(planner.detached.items()):
        old, new = cast(Table, a[key]), cast(Table, b[key])
        assert isinstance(old, Table) and isinstance(new, Table)
        s += _detach_sql(old, new, detached)
    for obj in _by_kind(a, goes, Index):
        if not on(obj, dropped_tables | gone_views):
            s += obj.drop_sql()
    for obj in [a[k] for k in sorted(goes) if k[0] in _ROUTINE_KINDS]:
        if obj.key in planner.recreate or _name_reused(planner, obj):
            s += obj.drop_sql()
    # A sequence B keeps is let go by a column that is dropped (or moves elsewhere), so
    # that it does not go with it; step 3 gives it its owner in B.
    for old, _ in planner._changed_or_same(Sequence):
        if old.owned_by is not None and _moves_owner(planner, old):
            s.append(f"ALTER SEQUENCE {old.qualified} OWNED BY NONE")
    for key in sorted(planner.recreate):
        if key[0] == "table":
            s += a[key].drop_sql()

    # 2. schemas, extensions, types, sequences
    for obj in planner._added(Schema):
        s += obj.create_sql()
    for obj in planner._added(Extension):
        s += obj.create_sql()
    for old, new in planner._changed(Extension):
        s += alter_extension(old, new)
    for kind in (Enum, Domain, CompositeType):
        for made in planner._added(kind):
            s += made.create_sql()
    for old, new in planner._changed(Enum) + planner._changed(Domain):
        if old.key in planner.recreate:
            s += _rebuild_type(planner, old, new)
        elif isinstance(old, Enum):
            s += alter_enum(old, cast(Enum, new))
        else:
            s += alter_domain(old, cast(Domain, new))
    for old, new in planner._changed(CompositeType):
        s += alter_composite(old, new)
    for obj in planner._added(Sequence):
        s += obj.create_sql()
    for old, new in planner._changed(Sequence):
        s += alter_sequence(old, new)

    # 3. tables and routines: new tables without their foreign keys, changes to existing
    #    ones (with the parts step 1 took off), new and recreated routines, replaced
    #    ones. Each comes after those of them it uses (`depends_on`): a table whose
    #    default or check calls a new function after the function, a function whose
    #    SQL-standard body reads a new table after the table. Otherwise tables come
    #    first, those that use none of these routines before all routines: a routine
    #    whose body is a string records nothing it reads, and may read them.
    #    Then sequences owned by a column get their owner.
    tables: dict[Key, list[str]] = {}
    for obj in _partition_order(planner._added(Table) + planner._recreated(Table)):
        tables[obj.key] = (
            obj.definition_sql(foreign_keys=False) + obj.comment_sql() + obj.grant_sql()
        )
    altered = {old.key for old, _ in planner._changed(Table)} | set(planner.detached)
    for key in sorted(altered - planner.recreate):
        was, now = cast(Table, planner.detached.get(key, a[key])), cast(Table, b[key])
        assert isinstance(was, Table) and isinstance(now, Table)
        tables[key] = alter_table(was, now)
    routines: dict[Key, list[str]] = {}
    for obj in sorted(planner.added, key=_sort_key) + planner._recreated_any():
        if isinstance(obj, Function):
            routines[obj.key] = obj.create_sql()
    for old, new in planner._changed(Function):
        if old.key not in planner.recreate:
            routines[old.key] = replace_function(old, new)
    needing = {k for k in tables if set(b[k].depends_on()) & routines.keys()}
    work = {k: v for k, v in tables.items() if k not in needing} | routines
    work |= {k: v for k, v in tables.items() if k in needing}
    for obj in dependency_order(b[k] for k in work):
        s += work[obj.key]
    for obj in planner._added(Sequence):
        s += obj.ownership_sql()
    for old, new in planner._changed_or_same(Sequence):
        if new.owned_by is not None and _moves_owner(planner, old):
            s += new.ownership_sql()

    # 4. views in dependency order, indexes, foreign keys, triggers
    views = [o for o in planner.added + planner._recreated_any() if isinstance(o, View)]
    for obj in _view_order(views):
        s += obj.create_sql()
    for old, new in planner._changed(View) + planner._changed(MaterializedView):
        if old.key not in planner.recreate:
            s += comments_and_grants(old, new)
    for obj in [o for o in planner.added + planner._recreated_any() if isinstance(o, Index)]:
        s += obj.create_sql()
    for old, new in planner._changed(Index):
        if old.key not in planner.recreate:
            s += comments_and_grants(old, new)
    for obj in _partition_order(planner._added(Table) + planner._recreated(Table)):
        s += obj.foreign_key_sql()
    for old, new in planner._changed(Table):
        if old.key not in planner.recreate:
            s += [new.add_constraint_sql(c) for c in constraint_adds(old, new) if is_foreign_key(c)]
    for table_key, name in sorted(planner.refreshed):
        table = b[table_key]
        assert isinstance(table, Table)
        s += [table.add_constraint_sql(c) for c in table.constraints if c.name == name]
    for obj in [o for o in planner.added + planner._recreated_any() if isinstance(o, Trigger)]:
        s += obj.create_sql()
    for old, new in planner._changed(Trigger):
        if old.key not in planner.recreate:
            s += alter_trigger(old, new)

    # 5. drops of whole objects, dependents first. Routines go after tables (a column
    #    default or check may call one) and before the types their signatures use;
    #    those whose name B reuses went in step 1.
    for obj in reversed(_partition_order(_by_kind(a, planner.dropped_keys, Table))):
        s += obj.drop_sql()
    for obj in _by_kind(a, planner.dropped_keys, Sequence):
        if not _owner_goes(planner, obj):
            s += obj.drop_sql()
    for obj in [a[k] for k in sorted(planner.dropped_keys) if k[0] in _ROUTINE_KINDS]:
        if not _name_reused(planner, obj):
            s += obj.drop_sql()
    for key in sorted(planner.recreate):
        if key[0] in _TYPE_KINDS:
            s.append(f"DROP TYPE {qualify(key[1], _parked_name(a[key]))}")
    for kind in (CompositeType, Domain, Enum):
        for obj in _by_kind(a, planner.dropped_keys, kind):
            s += obj.drop_sql()
    for obj in _by_kind(a, planner.dropped_keys, Extension):
        s += obj.drop_sql()
    for obj in [a[k] for k in sorted(planner.dropped_keys) if k[0] == "schema"]:
        s += obj.drop_sql()
    for old, new in planner._changed(Schema):
        s += comments_and_grants(old, new)
    return s


def _rebuild_type(planner: _Planner, old: Enum | Domain, new: Enum | Domain) -> list[str]:
    """A type that cannot be altered into the new one (an enum losing or reordering
    labels, a domain over another base type) is rebuilt: the old type is renamed out of
    the way, the new one created, every column of A using it converted through text
    (its default set again after); step 5 drops the old type, once the tables and
    routines B drops (which may still use it) are gone. What else depends on the type
    was dropped in step 1 and comes back in step 4 (`_Planner._spread_recreation`)."""
    out = [f"ALTER TYPE {old.qualified} RENAME TO {quote_ident(_parked_name(old))}"]
    out += new.create_sql()
    for table in planner.a.objects.values():
        if not isinstance(table, Table) or table.key in planner.dropped_keys | planner.recreate:
            continue
        table = planner.detached.get(table.key, table)  # defaults step 1 took off
        after = planner.b.objects.get(table.key)
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


def _owner_goes(planner: _Planner, sequence: Sequence) -> bool:
    """Whether the diff drops the column that owns `sequence` (its table dropped or
    recreated, or the column dropped), which drops the sequence with it."""
    if sequence.owned_by is None:
        return False
    table_name, column_name = sequence.owned_by
    key: Key = ("table", sequence.schema, table_name)
    if key in planner.dropped_keys or key in planner.recreate:
        return True
    old, new = planner.a.objects.get(key), planner.b.objects.get(key)
    if not isinstance(old, Table) or not isinstance(new, Table):
        return False
    column = old.column(column_name)
    return column is not None and _column_replaced(column, new.column(column_name))


def _moves_owner(planner: _Planner, old: Sequence) -> bool:
    """Whether a sequence that both sides have changes owner, or loses its owning
    column for a while (the diff drops it or recreates its table)."""
    new = planner.b.objects[old.key]
    assert isinstance(new, Sequence)
    return old.owned_by != new.owned_by or _owner_goes(planner, old)


def _name_reused(planner: _Planner, routine: DbObject) -> bool:
    """Whether B adds a routine of the same name as the dropped `routine`. The key
    holds the arguments' names, but PostgreSQL tells routines apart by their types
    only: a routine whose arguments are renamed is the same one to it, and must be
    dropped before it is created again."""
    return any(
        isinstance(o, Function) and (o.schema, o.name) == (routine.schema, routine.name)
        for o in planner.added
    )


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


def _partition_order(tables: list[Table]) -> list[Table]:
    """Parents before their partitions."""
    return sorted(tables, key=lambda t: (t.partition_of is not None, t.schema, t.name))
