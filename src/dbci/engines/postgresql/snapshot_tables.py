"""Tables and what belongs to them, from the rows of a PostgreSQL snapshot's catalog queries.

Part of `dbci.engines.postgresql.snapshot` (which runs the queries of `sql/`): the columns
and constraints of each table, then tables, partitions, sequences, views and materialized
views (`relations.sql`), indexes (`indexes.sql`) and triggers (`triggers.sql`). Each
builder takes the rows of its query, in the query's column order.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from dbci.schema import model
from dbci.schema.model import (
    Column,
    Constraint,
    DbObject,
    Grant,
    Index,
    Key,
    MaterializedView,
    Table,
    Trigger,
    View,
    assemble,
    identity_options,
    qualify,
)

# The grants of each object by (catalog letter, oid), as `grants.sql` gives them.
Grants = Mapping[tuple[str, int], tuple[Grant, ...]]

_IDENTITY = {"a": "ALWAYS", "d": "BY DEFAULT"}
_CONSTRAINT_TYPES = {
    "p": "primary key",
    "u": "unique",
    "c": "check",
    "f": "foreign key",
    "x": "exclude",
}
# A column's storage (where it is not its type's) and compression method, by catalog letter.
_STORAGE = {"p": "PLAIN", "e": "EXTERNAL", "m": "MAIN", "x": "EXTENDED"}
_COMPRESSION = {"p": "pglz", "l": "lz4"}
_REPLICA_IDENTITY = {"n": "NOTHING", "f": "FULL", "i": "INDEX"}
# (lowest, highest) value of each sequence type: NO MINVALUE / NO MAXVALUE mean these.
_SEQUENCE_RANGE = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}


@dataclasses.dataclass
class Parts:
    """What `table_parts` makes of the column and constraint rows."""

    columns: dict[int, list[Any]]  # the rows of each relation's columns, in order
    table_columns: dict[int, tuple[Column, ...]]
    constraints: dict[int, tuple[Constraint, ...]]


@dataclasses.dataclass
class Relations:
    """What `relations` makes of the relation rows: the objects, in row order, and which
    oids are in the snapshot (tables, views) under which name and key."""

    objects: list[DbObject]
    names: dict[int, tuple[str, str]]
    view_keys: dict[int, Key]
    table_keys: dict[int, Key]


def _column_grants(acl: list[list[Any]]) -> tuple[Grant, ...]:
    return tuple(Grant(grantee=g, privilege=p, grantable=o) for g, p, o in acl)


def table_parts(column_rows: list[Any], constraint_rows: list[Any]) -> Parts:
    """The column rows by relation, and each table's columns and constraints."""
    columns: dict[int, list[Any]] = defaultdict(list)
    for row in column_rows:
        columns[row[0]].append(row)
    table_columns = {
        relid: tuple(
            assemble(
                Column,
                {
                    "name": attname,
                    "data_type": data_type,
                    "nullable": not attnotnull,
                    "default": None if attgenerated else default,
                    "identity": _IDENTITY.get(attidentity),
                    "generated": default if attgenerated else None,
                    "collation": collation,
                    "comment": column_comment,
                    "grants": _column_grants(acl) if acl else (),
                    "storage": _STORAGE.get(storage),
                    "compression": _COMPRESSION.get(compression, compression),
                    "statistics": statistics,
                    "identity_options": (
                        identity_options(data_type, *sequence) if sequence[0] is not None else ()
                    ),
                    "inherited": inherited,
                },
            )
            for (
                _,
                attname,
                data_type,
                attnotnull,
                default,
                attidentity,
                attgenerated,
                collation,
                column_comment,
                acl,
                _attnum,
                _quoted,
                _type_oid,
                _collation_oid,
                _relkind,
                storage,
                compression,
                statistics,
                inherited,
                *sequence,
            ) in relation_columns
        )
        for relid, relation_columns in columns.items()
        if relation_columns[0][14] in ("r", "p")  # the relation kind: a table's columns
    }
    constraints: dict[int, list[Constraint]] = defaultdict(list)
    for (
        relid,
        name,
        contype,
        definition,
        ref_schema,
        ref_table,
        comment,
        index_comment,
    ) in constraint_rows:
        constraints[relid].append(
            assemble(
                Constraint,
                {
                    "name": name,
                    "constraint_type": _CONSTRAINT_TYPES[contype],
                    "definition": definition,
                    "references": (ref_schema, ref_table) if ref_table is not None else None,
                    "comment": comment,
                    "index_comment": index_comment,
                },
            )
        )
    return Parts(
        columns=columns,
        table_columns=table_columns,
        constraints={relid: tuple(found) for relid, found in constraints.items()},
    )


def relations(
    rows: list[Any], parts: Parts, grants: Grants, excluded: set[tuple[str, str]]
) -> Relations:
    """Tables, partitions, sequences, views and materialized views; a sequence a table in
    `excluded` owns goes with it."""
    out = Relations(objects=[], names={}, view_keys={}, table_keys={})
    add = out.objects.append
    columns = parts.columns
    for (
        oid,
        schema,
        name,
        relkind,
        unlogged,
        comment,
        bound,
        partition_key,
        parent_schema,
        parent,
        view_definition,
        options,
        seq_type,
        seq_start,
        seq_increment,
        seq_min,
        seq_max,
        seq_cache,
        seq_cycle,
        owner_schema,
        owner_table,
        owner_column,
        row_security,
        force_row_security,
        replica_identity,
        replica_index,
        clustered_on,
        toast_options,
        parent_schemas,
        parent_names,
        of_type,
        access_method,
    ) in rows:
        if relkind == "S":
            if owner_table is not None and (owner_schema, owner_table) in excluded:
                continue  # goes with its excluded table
            lowest, highest = _SEQUENCE_RANGE.get(seq_type, (None, None))
            ascending = seq_increment > 0
            add(
                model.Sequence(
                    schema=schema,
                    name=name,
                    comment=comment,
                    grants=grants.get(("c", oid), ()),
                    data_type=seq_type,
                    start=seq_start,
                    increment=seq_increment,
                    minimum=None if seq_min == (1 if ascending else lowest) else seq_min,
                    maximum=None if seq_max == (highest if ascending else -1) else seq_max,
                    cache=seq_cache,
                    cycle=seq_cycle,
                    owned_by=(owner_table, owner_column) if owner_table is not None else None,
                    unlogged=unlogged,
                )
            )
            continue
        if (schema, name) in excluded:
            continue
        out.names[oid] = (schema, name)
        if relkind in ("r", "p"):
            out.table_keys[oid] = ("table", schema, name)
            add(
                Table(
                    schema=schema,
                    name=name,
                    comment=comment,
                    grants=grants.get(("c", oid), ()),
                    columns=parts.table_columns.get(oid, ()),
                    constraints=parts.constraints.get(oid, ()),
                    partition_by=partition_key,
                    partition_of=qualify(parent_schema, parent) if parent is not None else None,
                    partition_bound=bound,
                    unlogged=unlogged,
                    storage_parameters=(
                        (*(options or ()), *(f"toast.{o}" for o in toast_options or ()))
                    ),
                    row_security=row_security,
                    force_row_security=force_row_security,
                    # USING INDEX with its index gone is left out, as pg_dump leaves it out.
                    replica_identity=(
                        _REPLICA_IDENTITY.get(replica_identity)
                        if replica_identity != "i" or replica_index is not None
                        else None
                    ),
                    replica_index=replica_index,
                    clustered_on=clustered_on,
                    inherits=tuple(
                        qualify(*parent)
                        for parent in zip(parent_schemas or (), parent_names or (), strict=True)
                    ),
                    of_type=of_type,
                    access_method=access_method,
                )
            )
        else:
            check_option = None
            view_options: list[str] = []
            for option in options or ():
                if option.startswith("check_option="):
                    check_option = option.partition("=")[2].upper()
                else:
                    view_options.append(option)
            extra: dict[str, Any] = {}
            if relkind == "m":
                extra = {
                    "access_method": access_method,
                    "column_attributes": _column_attributes(columns.get(oid, [])),
                }
            view_class = View if relkind == "v" else MaterializedView
            view = view_class(
                **extra,
                schema=schema,
                name=name,
                comment=comment,
                grants=grants.get(("c", oid), ()),
                definition=view_definition,
                options=tuple(view_options),
                check_option=check_option,
                dependencies=(),  # filled in from the dependencies query
                column_comments=tuple(
                    (r[1], r[8]) for r in columns.get(oid, ()) if r[8] is not None
                ),
            )
            out.view_keys[oid] = view.key
            add(view)
    return out


def _column_attributes(rows: list[Any]) -> tuple[Column, ...]:
    """A materialized view's columns (rows of the columns query) that have a storage,
    compression or statistics target of their own."""
    out: list[Column] = []
    for row in rows:
        storage, compression, statistics = row[15:18]
        if storage is None and compression is None and statistics is None:
            continue
        out.append(
            Column(
                name=row[1],
                data_type=row[2],
                storage=_STORAGE.get(storage),
                compression=_COMPRESSION.get(compression, compression),
                statistics=statistics,
            )
        )
    return tuple(out)


def indexes(
    rows: list[Any], relation_names: Mapping[int, tuple[str, str]]
) -> tuple[list[Index], dict[int, Key]]:
    """The indexes on the relations of `relation_names`, and each one's key by its oid."""
    out: list[Index] = []
    index_keys: dict[int, Key] = {}
    for (
        relid,
        schema,
        name,
        relkind,
        definition,
        unique,
        method,
        comment,
        predicate,
        index_oid,
        lists,
    ) in rows:
        table = relation_names.get(relid)
        if table is None:
            continue  # on an excluded table, or an extension's
        if relkind == "I":
            # A partitioned table's index reads `ON ONLY`, which would leave the partitions
            # without theirs; created plainly it makes them.
            at = definition.find(" ON ONLY ", len("CREATE INDEX ") + len(name))
            if at >= 0:
                definition = definition[:at] + " ON " + definition[at + len(" ON ONLY ") :]
        keys, include = lists if lists is not None else index_lists(definition)
        index: Index = assemble(
            Index,
            {
                "schema": schema,
                "name": name,
                "comment": comment,
                "grants": (),
                "table": table[1],
                "definition": definition,
                "unique": unique,
                "method": method,
                "columns": keys,
                "include": include,
                "predicate": predicate,
                "dependencies": (),
                "ignored": False,
            },
        )
        index_keys[index_oid] = index.key
        out.append(index)
    return out, index_keys


def triggers(rows: list[Any], relation_names: Mapping[int, tuple[str, str]]) -> list[Trigger]:
    """The triggers on the relations of `relation_names`."""
    out: list[Trigger] = []
    for (
        relid,
        name,
        definition,
        enabled,
        fn_schema,
        fn_name,
        fn_arguments,
        comment,
        parent_schema,
        parent_table,
    ) in rows:
        table = relation_names.get(relid)
        if table is None:
            continue
        out.append(
            Trigger(
                schema=table[0],
                name=name,
                comment=comment,
                table=table[1],
                definition=definition,
                function=("function", fn_schema, f"{fn_name}({fn_arguments})"),
                enabled=enabled,
                cloned_from=None if parent_table is None else (parent_schema, parent_table),
            )
        )
    return out


def index_lists(definition: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The key items and the INCLUDE columns of a `pg_get_indexdef` statement.

    Read from the definition rather than with one `pg_get_indexdef(oid, k)` call per key:
    those calls cost a third of the index query on a large schema. Key items are written
    as in the definition (an expression in parentheses, `DESC`, an operator class).
    """
    using = definition.find(" USING ")
    start = definition.find("(", using)
    keys, end = _paren_list(definition, start)
    include: tuple[str, ...] = ()
    rest = definition[end:]
    if rest.startswith(" INCLUDE ("):
        include, _ = _paren_list(definition, end + len(" INCLUDE "))
    return keys, include


def _paren_list(text: str, start: int) -> tuple[tuple[str, ...], int]:
    """Split the parenthesised list at `text[start]` on its top-level commas; return the
    items and the position after the closing parenthesis. Quotes are respected."""
    items: list[str] = []
    depth, quote, begin, i = 0, "", start + 1, start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""  # a doubled quote closes and reopens: the same result
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                items.append(text[begin:i].strip())
                return tuple(item for item in items if item), i + 1
        elif ch == "," and depth == 1:
            items.append(text[begin:i].strip())
            begin = i + 1
        i += 1
    return tuple(items), len(text)
