"""Enums, domains and composite types, from the rows of `sql/types.sql`.

Part of `dbci.engines.postgresql.snapshot`; a composite type's attributes are the rows the
columns query read for its relation (`sql/columns.sql`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dbci.engines.postgresql.snapshot_tables import Grants
from dbci.schema.model import (
    Attribute,
    CompositeType,
    DbObject,
    Domain,
    DomainConstraint,
    Enum,
)


def types(rows: list[Any], columns: Mapping[int, list[Any]], grants: Grants) -> list[DbObject]:
    """The enums, domains and composite types, in row order."""
    out: list[DbObject] = []
    add = out.append
    for (
        oid,
        schema,
        name,
        typtype,
        typrelid,
        comment,
        labels,
        base,
        default,
        not_null,
        collation,
        check_names,
        check_defs,
        _array_type,
    ) in rows:
        type_grants = grants.get(("t", oid), ())
        if typtype == "e":
            add(
                Enum(
                    schema=schema,
                    name=name,
                    comment=comment,
                    grants=type_grants,
                    labels=tuple(labels),
                )
            )
        elif typtype == "d":
            add(
                Domain(
                    schema=schema,
                    name=name,
                    comment=comment,
                    grants=type_grants,
                    data_type=base,
                    default=default,
                    not_null=not_null,
                    collation=collation,
                    constraints=tuple(
                        DomainConstraint(name=n, definition=d)
                        for n, d in zip(check_names, check_defs, strict=True)
                    ),
                )
            )
        else:
            attributes = tuple(
                Attribute(name=r[1], data_type=r[2], collation=r[7])
                for r in columns.get(typrelid, ())
            )
            add(
                CompositeType(
                    schema=schema,
                    name=name,
                    comment=comment,
                    grants=type_grants,
                    attributes=attributes,
                )
            )
    return out
