"""The kinds in creation order, the snapshot (a set of objects by key), the order objects
are created in, and rebuilding an object from its JSON form."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dbci.schema.model.base import DbObject, Grant
from dbci.schema.model.catalog import EARLY_KINDS, LATE_KINDS, CatalogObject
from dbci.schema.model.keys import Key
from dbci.schema.model.mysql_objects import Event
from dbci.schema.model.routines import Function, Procedure, Trigger
from dbci.schema.model.tables import Column, Constraint, Index, Table
from dbci.schema.model.types import (
    Attribute,
    CompositeType,
    Domain,
    DomainConstraint,
    Enum,
    Extension,
    Schema,
    Sequence,
)
from dbci.schema.model.views import MaterializedView, View

# ---- the snapshot ------------------------------------------------------------------------

# Object kinds in creation order; drops go the other way. Within it, `dependency_order`
# puts an object after those it depends on (a table after the function its default calls).
KINDS: tuple[type[DbObject], ...] = (
    Schema,
    Extension,
    Enum,
    Domain,
    CompositeType,
    Sequence,
    *EARLY_KINDS,
    Table,
    Function,
    Procedure,
    View,
    MaterializedView,
    Index,
    Trigger,
    *LATE_KINDS,
    Event,
)
KIND_BY_NAME: dict[str, type[DbObject]] = {cls.kind: cls for cls in KINDS}
KIND_ORDER: dict[str, int] = {cls.kind: i for i, cls in enumerate(KINDS)}


def _same_fields(self: Any, other: Any) -> Any:
    """Whether two model objects of one class have the same fields."""
    if other.__class__ is self.__class__:
        return self.__dict__ == other.__dict__
    return NotImplemented


# A dataclass's own `__eq__` builds a tuple of every field on each side before comparing;
# a diff compares every object of two snapshots, and comparing their instance dictionaries
# is a loop in C instead (four times faster for the columns `assemble` makes). A model
# object's dictionary holds its fields and nothing else, so the two agree, and so does the
# generated `__hash__`, which stays.
MODEL_CLASSES: tuple[type, ...] = (
    Grant,
    DomainConstraint,
    Attribute,
    Column,
    Constraint,
    DbObject,
    CatalogObject,
    *KINDS,
)
for _cls in MODEL_CLASSES:
    _cls.__eq__ = _same_fields  # type: ignore[method-assign,assignment]

# Version 2 reads every kind of `catalog` and every table and column attribute that
# version 1 left out: a version 1 snapshot would show them all as drift.
FORMAT = "dbci-snapshot/2"


@dataclass
class Snapshot:
    """A database's schema: its objects by key, the dialect that wrote them, and the
    schemas that were read (so that an empty one, or one left out, is never silent)."""

    dialect: str
    objects: dict[Key, DbObject] = field(default_factory=dict)
    # In the order read, the default schema first; empty when not known (a snapshot file of
    # an older dbci, a snapshot made in code). Not part of equality: two snapshots with the
    # same objects are the same schema.
    schemas: tuple[str, ...] = field(default=(), compare=False)

    def add(self, obj: DbObject) -> None:
        self.objects[obj.key] = obj

    def schemas_read(self) -> tuple[str, ...]:
        """The schemas it was read from; for one that does not say (a file of an older
        dbci), those its objects are in."""
        return self.schemas or tuple(sorted({key[1] for key in self.objects}))

    def sorted_objects(self) -> list[DbObject]:
        """Objects in a stable order: by kind (creation order), schema, name."""
        return sorted(self.objects.values(), key=lambda o: (KIND_ORDER[o.kind], o.key[1], o.key[2]))

    def get(self, key: Key) -> DbObject | None:
        return self.objects.get(key)


def without_column_order(snapshot: Snapshot) -> Snapshot:
    """`snapshot` with each table's columns in name order, for comparisons in which a
    column's position does not count: PostgreSQL cannot move a column, so an undo script
    that restores a dropped column adds it last, and the schema is otherwise the same."""
    objects = {
        key: dataclasses.replace(obj, columns=tuple(sorted(obj.columns, key=lambda c: c.name)))
        if isinstance(obj, Table)
        else obj
        for key, obj in snapshot.objects.items()
    }
    return Snapshot(snapshot.dialect, objects, snapshot.schemas)


def dependency_order(objects: Iterable[DbObject]) -> list[DbObject]:
    """`objects` in the order given, except that each comes after those of them it depends
    on (`depends_on`, however far down); a cycle is broken where it closes."""
    listed = list(objects)
    by_key = {o.key: o for o in listed}
    done: set[Key] = set()
    ordered: list[DbObject] = []
    for first in listed:
        # Depth first without recursion: (object, its dependencies still to visit).
        stack = [(first, iter(first.depends_on()))] if first.key not in done else []
        visiting = {first.key}
        while stack:
            obj, pending = stack[-1]
            for key in pending:
                needed = by_key.get(key)
                if needed is not None and key not in done and key not in visiting:
                    visiting.add(key)
                    stack.append((needed, iter(needed.depends_on())))
                    break
            else:
                stack.pop()
                done.add(obj.key)
                ordered.append(obj)
    return ordered


def object_from_dict(data: dict[str, Any]) -> DbObject:
    """Rebuild an object from `to_dict` output; raises KeyError/TypeError/ValueError on bad data."""
    cls = KIND_BY_NAME[data["type"]]
    values = {k: v for k, v in data.items() if k != "type"}
    nested: dict[str, type] = {
        "grants": Grant,
        "constraints": DomainConstraint if cls is Domain else Constraint,
        "attributes": Attribute,
    }
    for name, item_type in nested.items():
        if name in values:
            values[name] = tuple(item_type(**item) for item in values[name])
    for name in ("labels", "options", "include", "storage_parameters", "inherits"):
        if name in values:
            values[name] = tuple(values[name])
    if cls is Index and "columns" in data:
        values["columns"] = tuple(data["columns"])
    if cls is Table and "columns" in values:  # an index's are plain names or expressions
        values["columns"] = tuple(_column_from_dict(item) for item in values["columns"])
    if "column_attributes" in values:  # a materialized view's
        values["column_attributes"] = tuple(
            _column_from_dict(item) for item in values["column_attributes"]
        )
    if issubclass(cls, CatalogObject):
        for name in ("create", "drop"):
            if name in values:
                values[name] = tuple(values[name])
    for name in ("dependencies", "column_comments"):
        if name in values:
            values[name] = tuple(tuple(item) for item in values[name])
    for name in ("owned_by", "function", "cloned_from"):
        if values.get(name) is not None:
            values[name] = tuple(values[name])
    if cls is Table:
        values["constraints"] = tuple(
            dataclasses.replace(c, references=tuple(c.references) if c.references else None)
            for c in values.get("constraints", ())
        )
    return cls(**values)


def _column_from_dict(data: dict[str, Any]) -> Column:
    if "identity_options" in data:
        data = {**data, "identity_options": tuple(data["identity_options"])}
    grants = data.get("grants")
    if not grants:
        return Column(**data) if grants is None else Column(**{**data, "grants": ()})
    return Column(**{**data, "grants": tuple(Grant(**g) for g in grants)})
