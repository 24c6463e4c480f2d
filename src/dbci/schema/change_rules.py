"""What a change between two versions of an object takes: whether it must be dropped and
created again, whether it may lose data, whether a table's columns end in another order
than asked, and the small facts about names, types and sequences the planner
(`dbci.schema.diff`) and the engines' DDL emitters decide by.
"""

from __future__ import annotations

import dataclasses
import re

from dbci.schema.model import (
    CatalogObject,
    Column,
    CompositeType,
    DbObject,
    Domain,
    Enum,
    Extension,
    Function,
    Index,
    Key,
    Sequence,
    Snapshot,
    Table,
    Trigger,
    View,
    quote_ident,
    type_dependencies,
)
from dbci.schema.model.keys import _split_qualified

USER_TYPE_KINDS = ("enum", "domain", "composite type")


def needs_recreate(old: DbObject, new: DbObject) -> bool:
    """Whether a changed object must be dropped and created again (types: rebuilt)."""
    if isinstance(old, CatalogObject) and isinstance(new, CatalogObject):
        # Settings are set again and CREATE OR REPLACE runs again; the others are remade,
        # but where they alter in place what changed (`CatalogObject.change_sql`).
        return (
            old.change_by == "recreate"
            and (old.create, old.drop) != (new.create, new.drop)
            and new.change_sql(old) is None
        )
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
        # Another partition key: the table is created again (its partitions leave it
        # first and join the new one, `_Planner._move_partitions`). A partition that
        # becomes a table, or the other way round, or gets another bound or parent,
        # is detached and attached instead.
        return old.partition_by != new.partition_by
    if isinstance(old, Enum) and isinstance(new, Enum):
        # ALTER TYPE … ADD VALUE only adds labels; losing or reordering one rebuilds it.
        kept = [label for label in new.labels if label in old.labels]
        return kept != list(old.labels)
    if isinstance(old, Domain) and isinstance(new, Domain):
        return (old.data_type, old.collation) != (new.data_type, new.collation)
    return False


def same_as_read(old: DbObject, new: DbObject) -> bool:
    """Whether two catalog objects are the same as far as both snapshots could read them:
    options one side could not read are not compared (`CatalogObject.same_as`)."""
    return isinstance(old, CatalogObject) and isinstance(new, CatalogObject) and new.same_as(old)


def loses_data(old: DbObject, new: DbObject, *, keeps_generated: bool = True) -> bool:
    """Whether changing `old` into `new` may lose data (or fail on the data there is).
    `keeps_generated`: whether a generated column that becomes a plain one keeps its
    values (`Engine.keeps_generated_values`)."""
    if isinstance(old, Table) and isinstance(new, Table):
        return needs_recreate(old, new) or columns_rewritten(
            old, new, collation=False, keeps_generated=keeps_generated
        )
    if isinstance(old, Enum | Domain):
        return needs_recreate(old, new)  # a rebuild converts the values, or fails on them
    if isinstance(old, CompositeType) and isinstance(new, CompositeType):
        after = {a.name: a for a in new.attributes}
        return any(after.get(a.name) != a for a in old.attributes)  # dropped or retyped
    if isinstance(old, Sequence) and isinstance(new, Sequence):
        return narrows(old, new)
    if isinstance(old, CatalogObject):
        # created again without the secrets it holds, which were never read
        return old.holds_unread and needs_recreate(old, new)
    return False


def columns_rewritten(
    old: Table, new: Table, *, collation: bool = True, keeps_generated: bool = True
) -> bool:
    """Whether an existing column is dropped, retyped or (with `collation`) given another
    collation: the first two may lose data, and PostgreSQL refuses all three under a view
    reading the column. Without `keeps_generated`, a generated column that becomes a
    plain one is dropped and added too."""
    for column in old.columns:
        other = new.column(column.name)
        if other is None or column_replaced(column, other):
            return True
        if not keeps_generated and other.generated != column.generated:
            return True
        if other.data_type != column.data_type:
            return True
        if collation and other.collation != column.collation:
            return True
    return False


def column_replaced(old: Column, new: Column | None) -> bool:
    """Whether a column is dropped (it is gone, or it becomes generated, or its generation
    expression changes, which PostgreSQL 15 cannot alter). A generated column that
    becomes a plain one keeps its values (ALTER COLUMN … DROP EXPRESSION)."""
    return new is None or (new.generated is not None and new.generated != old.generated)


def after_extension_moves(a: Snapshot, b: Snapshot) -> Snapshot:
    """`a` as it is once its extensions that B has in another schema are moved there: the
    columns of a type such an extension brings name its new schema. (An extension's types
    are not in the snapshot: a type of the extension's old schema that is not one of A's
    own is taken for one of the extension's.)"""
    before = {o.name: o.schema for o in a.objects.values() if isinstance(o, Extension)}
    moves = {
        (before[o.name], o.schema)
        for o in b.objects.values()
        if isinstance(o, Extension) and before.get(o.name, o.schema) != o.schema
    }
    if not moves:
        return a
    own_types = {k[1:] for k in a.objects if k[0] in USER_TYPE_KINDS}

    def moved(old: str, new: str) -> bool:
        """Whether type `old` is `new` in the schema the extension left (same name,
        modifiers and array bounds; the schema written quoted or not)."""
        for schema, target in moves:
            for was in {schema, quote_ident(schema)}:
                for now in {target, quote_ident(target)}:
                    rest = old.removeprefix(was + ".")
                    if rest != old and new == f"{now}.{rest}":
                        name = _split_qualified(old.rstrip("[]"))[2]
                        return (schema, name) not in own_types
        return False

    objects = dict(a.objects)
    for key, table in a.objects.items():
        other = b.objects.get(key)
        if not isinstance(table, Table) or not isinstance(other, Table):
            continue
        columns = tuple(
            dataclasses.replace(c, data_type=theirs.data_type)
            if (theirs := other.column(c.name)) is not None
            and theirs.data_type != c.data_type
            and moved(c.data_type, theirs.data_type)
            else c
            for c in table.columns
        )
        if columns != table.columns:
            objects[key] = dataclasses.replace(table, columns=columns)
    return Snapshot(a.dialect, objects)


def order_only(old: DbObject, new: DbObject) -> bool:
    """Whether two tables differ only in the order of their columns."""
    if not isinstance(old, Table) or not isinstance(new, Table):
        return False
    if len(old.columns) != len(new.columns):
        return False
    if not _same_names(old, new):
        return False
    by_name = {c.name: c for c in new.columns}
    return dataclasses.replace(new, columns=tuple(by_name[c.name] for c in old.columns)) == old


def _same_names(old: Table, new: Table) -> bool:
    return {c.name for c in old.columns} == {c.name for c in new.columns}


def out_of_order(old: Table, new: Table, *, keeps_generated: bool = True) -> bool:
    """Whether altering `old` into `new` in place (columns dropped, the new ones added last)
    leaves its columns in another order than `new`'s. Partitions take their parent's
    columns, and a partitioned table's order is its partitions': neither is rebuilt."""
    if old.partition_by or old.partition_of or new.partition_by or new.partition_of:
        return False
    after = {c.name: c for c in new.columns}

    def replaced(column: Column) -> bool:
        other = after.get(column.name)
        if other is None or column_replaced(column, other):
            return True
        return not keeps_generated and other.generated != column.generated

    kept = [c.name for c in old.columns if not replaced(c)]
    names = set(kept)
    altered = kept + [c.name for c in new.columns if c.name not in names]
    return altered != [c.name for c in new.columns]


def parent_key(partition: Table) -> Key:
    """The key of a partition's parent table."""
    schema, _, name = _split_qualified(partition.partition_of or "")
    return ("table", schema, name)


def name_pattern(obj: DbObject) -> re.Pattern[str]:
    """How an expression PostgreSQL renders names `obj` (a routine or a type) from outside
    the search path: schema-qualified, each part quoted or not (quoted where it must be),
    a routine followed by its argument list."""

    def part(name: str) -> str:
        return f"(?:{re.escape(name)}|{re.escape(quote_ident(name))})"

    after = r"\(" if isinstance(obj, Function) else r"(?![\w$])"
    return re.compile(rf'(?<![\w$"]){part(obj.schema)}\.{part(obj.name)}{after}')


def uses_types(table: Table, types: set[Key]) -> bool:
    """Whether a column of `table` is of one of the user types `types` (or arrays of them)."""
    return any(k in types for c in table.columns for k in type_dependencies(c.data_type))


def narrows(old: Sequence, new: Sequence) -> bool:
    """Whether the new range of values leaves out some of the old one."""
    (old_low, old_high), (low, high) = old.bounds(), new.bounds()
    return low > old_low or high < old_high
