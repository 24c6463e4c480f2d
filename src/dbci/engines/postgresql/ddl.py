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

import dataclasses
from collections.abc import Iterable
from typing import cast

from dbci.engines.postgresql.alter import (
    alter_composite,
    alter_domain,
    alter_enum,
    alter_extension,
    alter_materialized_view,
    alter_sequence,
    alter_table,
    alter_trigger,
    comments_and_grants,
    inherited_columns_sql,
    replace_function,
    without_inherited_generation,
)
from dbci.engines.postgresql.trigger_states import cloned_trigger_states
from dbci.schema.change_rules import USER_TYPE_KINDS, column_replaced
from dbci.schema.diff import (
    _ROUTINE_KINDS,
    _TYPE_KINDS,
    _VIEW_KINDS,
    _by_kind,
    _Planner,
    _sort_key,
    _view_order,
)
from dbci.schema.model import (
    KIND_ORDER,
    CatalogObject,
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
    constraint_comment_sql,
    constraint_drops,
    dependency_order,
    index_comment_sql,
    is_foreign_key,
    qualify,
    quote_ident,
    quote_literal,
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

    # 1. what depends on others: objects written as statements that need their relations
    #    (policies, rules, statistics, publications: dependents first), triggers, views
    #    (dependents first), foreign keys and other constraints, the defaults and checks
    #    `detached` takes off, indexes, recreated catalog objects created with tables
    #    (collations, aggregates, …), recreated routines, recreated tables. What is on a
    #    dropped table goes with it in step 5; indexes on dropped views go with them.
    late_goes = [a[k] for k in goes if _late(a[k])]
    for obj in reversed(dependency_order(sorted(late_goes, key=_catalog_order))):
        s += obj.drop_sql()
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
    early_remade = [a[k] for k in planner.recreate if _early(a[k])]
    for obj in reversed(dependency_order(sorted(early_remade, key=_catalog_order))):
        s += obj.drop_sql()
    for obj in [a[k] for k in sorted(goes) if k[0] in _ROUTINE_KINDS]:
        if obj.key in planner.recreate or _name_reused(planner, obj):
            s += obj.drop_sql()
    # A sequence B keeps is let go by a column that is dropped (or moves elsewhere), so
    # that it does not go with it; step 3 gives it its owner in B.
    for old, _ in planner._changed_or_same(Sequence):
        if old.owned_by is not None and _moves_owner(planner, old):
            s.append(f"ALTER SEQUENCE {old.qualified} OWNED BY NONE")
    # Partitions leave their parent (to become tables, to join another parent or the
    # same one with another bound, or to outlive a parent that is rebuilt).
    for key in sorted(planner.detach):
        partition = cast(Table, a[key])
        s.append(f"ALTER TABLE {partition.partition_of} DETACH PARTITION {partition.qualified}")
    # Recreated tables go, partitions before their parents; those rebuilt for their
    # column order go in step 3, once their rows are copied.
    recreated = _by_kind(a, planner.recreate - planner.reordered, Table)
    for obj in reversed(_partition_order(recreated)):
        s += obj.drop_sql()
    # What B replaces by another kind of relation of the same name (a table by a view, a
    # sequence by a materialized view, …) goes now, before its successor is created:
    # they share one namespace.
    early = _relation_names_reused(planner)
    for obj in reversed(_partition_order(_by_kind(a, early, Table))):
        s += obj.drop_sql()
    for kind in (Sequence, CompositeType):
        s += [d for obj in _by_kind(a, early, kind) for d in obj.drop_sql()]

    # 2. schemas, extensions, types, sequences
    for obj in planner._added(Schema):
        s += obj.create_sql()
    moving = {o.name for o in planner._added(Extension)}
    for obj in _by_kind(a, planner.dropped_keys, Extension):
        if obj.name in moving:  # one that cannot move: dropped first (`CREATE … IF NOT EXISTS`)
            s += obj.drop_sql()
    for obj in planner._added(Extension):
        s += obj.create_sql()
    for old, new in planner._changed(Extension):
        s += alter_extension(old, new)
    # A domain whose default or check calls a new or recreated routine is created in
    # step 3, after it; so is a domain or composite type over a new or recreated catalog
    # object created there (a range type, a collation).
    remade_in_3 = {
        k for k in planner.added_keys | planner.recreate if k[0] in _ROUTINE_KINDS or _early(b[k])
    }
    # So is a type over such a type, however far down. Types over types (a domain over a
    # domain or a composite type, a composite type with a domain field) come after them.
    new_types = planner._added(Enum) + planner._added(Domain) + planner._added(CompositeType)
    later_types = _over(new_types, remade_in_3)
    for made in dependency_order(t for t in new_types if t not in later_types):
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
    #    Tables that join a parent do so last, once their columns are the parent's.
    tables: dict[Key, list[str]] = {}
    for obj in _partition_order(planner._added(Table) + planner._recreated(Table)):
        if obj.key in planner.reordered:
            tables[obj.key] = _reorder_table(cast(Table, a[obj.key]), obj)
            continue
        parents = _parents(planner, obj)
        tables[obj.key] = (
            without_inherited_generation(obj, parents).definition_sql(foreign_keys=False)
            + inherited_columns_sql(obj, parents)
            + obj.comment_sql(added_after=False)
            + obj.grant_sql()
        )
    altered = {old.key for old, _ in planner._changed(Table)} | set(planner.detached)
    text_types = _enum_types(planner)
    for key in sorted(altered - planner.recreate):
        was, now = cast(Table, planner.detached.get(key, a[key])), cast(Table, b[key])
        assert isinstance(was, Table) and isinstance(now, Table)
        inherited = (
            was.partition_of is not None
            and was.partition_of == now.partition_of
            and key not in planner.detach
        )
        tables[key] = alter_table(was, now, text_types=text_types, inherited=inherited)
    for key in sorted(planner.attach):
        partition = cast(Table, b[key])
        tables[key] = tables.get(key, []) + [
            f"ALTER TABLE {partition.partition_of} ATTACH PARTITION {partition.qualified} "
            + (partition.partition_bound or "DEFAULT")
        ]
    routines: dict[Key, list[str]] = {}
    for obj in later_types:
        routines[obj.key] = obj.create_sql()
    for obj in sorted(planner.added, key=_sort_key) + planner._recreated_any():
        if isinstance(obj, Function):
            routines[obj.key] = obj.create_sql()
    for old, new in planner._changed(Function):
        if old.key not in planner.recreate:
            routines[old.key] = replace_function(old, new)
    # Catalog objects created with tables and routines (collations, range types,
    # aggregates, operators, casts, foreign tables, …) are ordered among them.
    for obj in planner.added + planner._recreated_any():
        if _early(obj):
            routines[obj.key] = obj.create_sql()
    for old, new in planner._changed(CatalogObject):
        if _early(old) and old.key not in planner.recreate:
            routines[old.key] = _catalog_change(old, new)
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
    for old, new in planner._changed(View):
        if old.key not in planner.recreate:
            s += comments_and_grants(old, new)
    for old, new in planner._changed(MaterializedView):
        if old.key not in planner.recreate:
            s += alter_materialized_view(old, new)
    for obj in [o for o in planner.added + planner._recreated_any() if isinstance(o, Index)]:
        s += obj.create_sql()
    for old, new in planner._changed(Index):
        if old.key not in planner.recreate:
            s += comments_and_grants(old, new)
    for obj in _partition_order(planner._added(Table) + planner._recreated(Table)):
        s += obj.foreign_key_sql()
    # A constraint's comment comes once it is there (alter_table leaves those to here).
    for old, new in planner._changed(Table):
        if old.key not in planner.recreate:
            for c in constraint_adds(old, new):
                if is_foreign_key(c):
                    s.append(new.add_constraint_sql(c))
                    s += [constraint_comment_sql(new, c)] if c.comment is not None else []
    for table_key, name in sorted(planner.refreshed):
        table = b[table_key]
        assert isinstance(table, Table)
        for c in table.constraints:
            if c.name == name:
                s.append(table.add_constraint_sql(c))
                s += [constraint_comment_sql(table, c)] if c.comment is not None else []
                s += index_comment_sql(table, c)
    s += _index_settings_sql(planner)
    for obj in [o for o in planner.added + planner._recreated_any() if isinstance(o, Trigger)]:
        if obj.cloned_from is None:  # a partition's copy: its state is set below
            s += obj.create_sql()
    for old, new in planner._changed(Trigger):
        if old.key not in planner.recreate:
            s += alter_trigger(old, new)
    s += cloned_trigger_states(planner)
    # Then the catalog objects that need their relations and routines: policies, rules,
    # statistics, publications, event triggers, default privileges, owners.
    late = [o for o in planner.added + planner._recreated_any() if _late(o)]
    for obj in dependency_order(sorted(late, key=_catalog_order)):
        s += obj.create_sql()
    for old, new in planner._changed(CatalogObject):
        if _late(old) and old.key not in planner.recreate:
            s += _catalog_change(old, new)

    # 5. drops of whole objects, dependents first. Routines go after tables (a column
    #    default or check may call one) and before the types their signatures use;
    #    those whose name B reuses went in step 1. Routines and the catalog objects
    #    created with them go together, dependents first: an aggregate before its state
    #    function, a function before the range type it takes. So do the domains and
    #    composite types over one of those catalog objects (a range type) or whose check
    #    calls one of those routines, before it.
    gone_early = {k for k in planner.dropped_keys if _early(a[k])}
    gone_routines = {k for k in planner.dropped_keys if k[0] in _ROUTINE_KINDS}
    gone_types = _by_kind(a, planner.dropped_keys - early, Domain) + _by_kind(
        a, planner.dropped_keys - early, CompositeType
    )
    types_over_early = {t.key for t in _over(gone_types, gone_early | gone_routines)}
    dropping = [
        a[k]
        for k in sorted(planner.dropped_keys)
        if (k[0] in _ROUTINE_KINDS and not _name_reused(planner, a[k]))
        or _early(a[k])
        or k in types_over_early
    ]
    # What goes with an object whose drop takes its dependents along (a shell type's DROP
    # TYPE … CASCADE takes its base type and I/O functions) is not dropped on its own.
    takes_along = {k for k in gone_early if cast(CatalogObject, a[k]).drops_dependents}
    gone_along = {o.key for o in dropping if set(o.depends_on()) & takes_along}
    # But a routine that takes or returns a dropped table's row type (or reads the table
    # in an SQL-standard body) goes before the table, with what uses it, and after the
    # tables whose defaults call it.
    gone_tables = _partition_order(_by_kind(a, planner.dropped_keys - early, Table))
    over_tables = _over(dropping, {t.key for t in gone_tables})
    for obj in reversed(dependency_order(gone_tables + over_tables)):
        if obj.key not in gone_along:
            s += obj.drop_sql()
    for obj in _by_kind(a, planner.dropped_keys - early, Sequence):
        if not _owner_goes(planner, obj):
            s += obj.drop_sql()
    for obj in reversed(dependency_order(o for o in dropping if o not in over_tables)):
        if obj.key not in gone_along:
            s += obj.drop_sql()
    for key in sorted(planner.recreate):
        if key[0] in _TYPE_KINDS:
            s.append(f"DROP TYPE {qualify(key[1], _parked_name(a[key]))}")
    gone_types = [
        a[k]
        for k in sorted(planner.dropped_keys - early - types_over_early)
        if k[0] in USER_TYPE_KINDS
    ]
    for obj in reversed(dependency_order(gone_types)):
        s += obj.drop_sql()
    for obj in _by_kind(a, planner.dropped_keys, Extension):
        if obj.name not in moving:
            s += obj.drop_sql()
    for obj in [a[k] for k in sorted(planner.dropped_keys) if k[0] == "schema"]:
        s += obj.drop_sql()
    for old, new in planner._changed(Schema):
        s += comments_and_grants(old, new)
    if any(isinstance(b[k], Function) and _creates(v) for k, v in routines.items()):
        # A routine's body (a string) may read a table, type or routine made later in the
        # script, or that only exists when it runs (a temporary table): PostgreSQL checks
        # the body when it is created unless told not to. pg_dump starts its scripts so;
        # the setting lasts for the session that runs the script.
        s.insert(0, "SET check_function_bodies = false")
    return s


def _over(types: Iterable[DbObject], made: set[Key]) -> list[DbObject]:
    """Those of `types` that depend on one of `made`, or on another such type."""
    types = list(types)
    over: list[DbObject] = []
    keys = set(made)
    grew = True
    while grew:
        grew = False
        for t in types:
            if t not in over and set(t.depends_on()) & keys:
                over.append(t)
                keys.add(t.key)
                grew = True
    return over


def _creates(statements: list[str]) -> bool:
    """Whether a routine's statements create it (not only comment on it or grant on it)."""
    return any(st.lstrip().upper().startswith("CREATE") for st in statements)


def _early(obj: DbObject) -> bool:
    """A catalog object created with tables and routines (a collation, an aggregate, …)."""
    return isinstance(obj, CatalogObject) and obj.phase == "early"


def _late(obj: DbObject) -> bool:
    """A catalog object created once its relations and routines exist (a policy, …)."""
    return isinstance(obj, CatalogObject) and obj.phase == "late"


def _catalog_order(obj: DbObject) -> tuple[int, str, str]:
    """Catalog objects by kind (creation order), schema and name."""
    return (KIND_ORDER[obj.kind], obj.key[1], obj.key[2])


def _catalog_change(old: CatalogObject, new: CatalogObject) -> list[str]:
    """A catalog object changed in place: it alters what changed (a server's options, a
    publication's members: `CatalogObject.change_sql`), or its statements run again where
    its kind is a setting (an owner); and its comment."""
    altered = new.change_sql(old)
    out = altered if altered is not None else list(new.create) if old.create != new.create else []
    if old.comment != new.comment and new.target:
        out += new.comment_sql(clear=True)
    return out


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
    return column is not None and column_replaced(column, new.column(column_name))


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


# Kinds whose names share pg_class's namespace in a schema (with indexes, which step 1
# drops anyway).
_RELATION_NAME_KINDS = ("table", "view", "materialized view", "sequence", "composite type")


def _relation_names_reused(planner: _Planner) -> set[Key]:
    """Tables, sequences and composite types B drops whose name an object of another
    relation kind that B adds takes: they go in step 1, before it is created. (Views go
    in step 1 anyway.)"""
    taken = {k[1:] for k in planner.added_keys if k[0] in _RELATION_NAME_KINDS}
    if not taken:
        return set()
    return {k for k in planner.dropped_keys if k[0] in _RELATION_NAME_KINDS and k[1:] in taken}


def _enum_types(planner: _Planner) -> frozenset[Key]:
    """The enums of A and B and the domains over them: a column converted from or to one
    goes through text (`alter_table`)."""
    enums = {k for s in (planner.a, planner.b) for k in s.objects if k[0] == "enum"}
    if not enums:
        return frozenset()
    domains = {
        o.key
        for s in (planner.a, planner.b)
        for o in s.objects.values()
        if isinstance(o, Domain) and set(type_dependencies(o.data_type)) & enums
    }
    return frozenset(enums | domains)


def _reorder_table(old: Table, new: Table) -> list[str]:
    """A table rebuilt to put its columns in B's order, which ALTER TABLE cannot do: B's
    table is created under a passing name, A's rows copied into it (the columns both
    have, but generated ones; identity values as they are, and the identity sequence
    where A's was), A's table dropped (what depends on it went in step 1, and comes back
    in step 4: indexes, triggers, views, foreign keys) and the new one renamed; then
    its constraints, comments and grants. The rows must fit B's definition."""
    passing = quote_ident(f"{new.name}__dbci_new")
    target = f"{quote_ident(new.schema)}.{passing}"
    shell = dataclasses.replace(new, name=f"{new.name}__dbci_new", constraints=())
    # Said inside the statement, where a script read back keeps it.
    note = f"-- {_one_line(new.qualified)} is rebuilt to put its columns in order; rows copied"
    out = [shell.definition_sql()[0].replace(" (\n", f" (\n    {note}\n", 1)]
    copied = [
        quote_ident(c.name)
        for c in new.columns
        if c.generated is None
        and (kept := old.column(c.name)) is not None
        and not column_replaced(kept, c)
    ]
    if copied:
        names = ", ".join(copied)
        overriding = " OVERRIDING SYSTEM VALUE" if any(c.identity for c in new.columns) else ""
        out.append(
            f"INSERT INTO {target} ({names}){overriding} SELECT {names} FROM {old.qualified}"
        )
    for column in new.columns:
        was = old.column(column.name)
        if column.identity and was is not None and was.identity:
            out.append(_move_identity_sequence(old.qualified, target, column.name))
    out += old.drop_sql()
    out.append(f"ALTER TABLE {target} RENAME TO {quote_ident(new.name)}")
    out += [new.add_constraint_sql(c) for c in new.constraints if not new.added_after(c)]
    # What CREATE TABLE cannot write (column storage, row level security, replica
    # identity), set on the renamed table.
    out += new.definition_sql(foreign_keys=False)[1:]
    return out + new.comment_sql(added_after=False) + new.grant_sql()


def _move_identity_sequence(old: str, new: str, column: str) -> str:
    """The new table's identity sequence of `column` takes the old one's position and
    name (the old one, renamed out of the way, goes with its table)."""
    sequence = f"pg_get_serial_sequence({{}}, {quote_literal(column)})::regclass"
    return (
        "DO $dbci$\nDECLARE\n"
        f"  old_seq regclass := {sequence.format(quote_literal(old))};\n"
        f"  new_seq regclass := {sequence.format(quote_literal(new))};\n"
        "  name text := (SELECT relname FROM pg_class WHERE oid = old_seq);\n"
        "BEGIN\n"
        "  EXECUTE format('SELECT setval(%L, last_value, is_called) FROM %s', new_seq, old_seq);\n"
        "  EXECUTE format('ALTER SEQUENCE %s RENAME TO %I', old_seq, name || '__dbci_old');\n"
        "  EXECUTE format('ALTER SEQUENCE %s RENAME TO %I', new_seq, name);\n"
        "END$dbci$"
    )


def _one_line(text: str) -> str:
    """A name for a comment line: a quoted name may hold a line break."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _parked_name(rebuilt: DbObject) -> str:
    """The name a rebuilt type has while its successor takes over."""
    return f"{rebuilt.name}__dbci_old"


def _partition_order(tables: list[Table]) -> list[Table]:
    """Parents before their partitions and their children (INHERITS)."""
    ordered = sorted(tables, key=lambda t: (t.partition_of is not None, t.schema, t.name))
    if not any(t.inherits for t in ordered):
        return ordered
    return cast(list[Table], dependency_order(ordered))


def _parents(planner: _Planner, table: Table) -> list[Table]:
    """The parents (INHERITS, PARTITION OF) of a table of B that B has."""
    found = (planner.b.objects.get(key) for key in table.parent_keys())
    return [p for p in found if isinstance(p, Table)]


def _index_settings_sql(planner: _Planner) -> list[str]:
    """REPLICA IDENTITY USING INDEX and CLUSTER ON, once the indexes exist: for new and
    recreated tables, where a table takes another index, and where its index was made
    again (which loses both)."""
    a, b = planner.a.objects, planner.b.objects
    remade = {k[1:] for k in planner.added_keys | planner.recreate if k[0] == "index"}
    out: list[str] = []
    # Only tables with either setting: this runs on every diff, over every table of B.
    settled = (
        t
        for t in b.values()
        if isinstance(t, Table) and (t.replica_identity == "INDEX" or t.clustered_on is not None)
    )
    for new in sorted(settled, key=_sort_key):
        old = a.get(new.key)
        if not isinstance(old, Table) or new.key in planner.recreate:
            out += new.index_settings_sql()
            continue
        made = {c.name for c in constraint_adds(old, new)}
        made |= {name for key, name in planner.refreshed if key == new.key}
        made |= {name for schema, name in remade if schema == new.schema}
        if new.replica_identity == "INDEX" and (
            (old.replica_identity, old.replica_index) != (new.replica_identity, new.replica_index)
            or new.replica_index in made
        ):
            out += new.replica_identity_sql()
        if new.clustered_on is not None and (
            old.clustered_on != new.clustered_on or new.clustered_on in made
        ):
            out += new.cluster_sql()
    return out
