"""Key and index definitions written as PostgreSQL writes them, from their catalog parts.

`pg_get_constraintdef` and `pg_get_indexdef` look a table's columns up through its
relation cache entry, which PostgreSQL builds the first time a connection opens the
table. A snapshot connects afresh, so for a schema of thousands of tables those two
functions cost a large part of the server's work. The common shapes (primary keys, unique
and foreign keys, indexes on plain columns) are written here instead, from the column
names the columns query has already read; everything else (checks, exclusions,
expression, partial and tuned indexes) still comes from PostgreSQL. The tests check that
both ways write the same text, on every scenario schema.

This runs once per key and index of a snapshot, so it works on the query's rows as they
come: attribute numbers and oids stay the text PostgreSQL sent (`"1 2"`, split on
blanks), and nothing is converted or wrapped that a lookup does not need.
"""

from __future__ import annotations

from collections.abc import Iterable

# (relation oid, attribute number as text) -> (quoted name, type oid, collation oid),
# the last two as text.
ColumnIndex = dict[tuple[int, str], tuple[str, str, str]]

_MATCH = {"f": " MATCH FULL", "p": " MATCH PARTIAL", "s": ""}
# ON UPDATE / ON DELETE actions; NO ACTION is the default and is not written.
_FK_ACTIONS = {"a": "", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def column_index(rows: Iterable[tuple[int, str, str, str, str]]) -> ColumnIndex:
    """Index columns by relation and number, from (relation oid, number, quoted name,
    type oid, collation oid) rows."""
    return {
        (relid, number): (quoted, type_oid, coll) for relid, number, quoted, type_oid, coll in rows
    }


def _names(columns: ColumnIndex, relid: int, numbers: list[str]) -> str:
    return ", ".join([columns[(relid, number)][0] for number in numbers])


def constraint_definition(
    columns: ColumnIndex,
    contype: str,
    relid: int,
    keys: str,
    ref_relid: int | None,
    ref_table: str | None,
    ref_keys: str | None,
    match: str,
    on_update: str,
    on_delete: str,
    delete_columns: str | None,
    deferrable: bool,
    deferred: bool,
    validated: bool,
    index_keys: str | None,
    index_key_count: int | None,
    nulls_not_distinct: bool | None,
) -> str:
    """A primary, unique or foreign key's definition exactly as `pg_get_constraintdef(oid)`
    writes it. Column lists are attribute numbers as text, separated by blanks; for a
    primary or unique key, `index_keys` are its index's columns, INCLUDE ones after the
    first `index_key_count`."""
    if contype == "f":
        assert ref_relid is not None and ref_keys is not None
        sql = f"FOREIGN KEY ({_names(columns, relid, keys.split())}) REFERENCES "
        sql += f"{ref_table}({_names(columns, ref_relid, ref_keys.split())}){_MATCH[match]}"
        if on_update != "a":
            sql += f" ON UPDATE {_FK_ACTIONS[on_update]}"
        if on_delete != "a":
            sql += f" ON DELETE {_FK_ACTIONS[on_delete]}"
        if delete_columns:
            sql += f" ({_names(columns, relid, delete_columns.split())})"
    else:
        if contype == "p":
            sql = "PRIMARY KEY ("
        else:
            sql = "UNIQUE NULLS NOT DISTINCT (" if nulls_not_distinct else "UNIQUE ("
        sql += _names(columns, relid, keys.split()) + ")"
        included = (index_keys or "").split()[index_key_count or 0 :]
        if included:
            sql += f" INCLUDE ({_names(columns, relid, included)})"
    if deferrable:
        sql += " DEFERRABLE"
    if deferred:
        sql += " INITIALLY DEFERRED"
    if not validated:
        sql += " NOT VALID"
    return sql


def index_definition(
    columns: ColumnIndex,
    default_opclasses: dict[str, str],
    relid: int,
    unique: bool,
    method: str,
    name: str,
    table: str,
    key_count: int,
    numbers: str,
    opclasses: str,
    collations: str,
) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
    """A plain index's statement as `pg_get_indexdef(oid)` writes it, with its key and
    INCLUDE columns; or None when it is not plain after all.

    `name` and `table` come quoted; `numbers` (key columns, then INCLUDE ones),
    `opclasses` and `collations` (one per key column) as PostgreSQL writes an int2vector
    or oidvector. `pg_get_indexdef` writes an operator class unless it is the default one
    for the column's own type, and a collation unless it is the column's:
    `default_opclasses` maps each default operator class to that type. An operator class
    made for another type (a varchar column's `text_ops`, an array's `array_ops`) is left
    to PostgreSQL rather than guessed at.
    """
    found = []
    for number in numbers.split():
        column = columns.get((relid, number))
        if column is None:
            return None
        found.append(column)
    # Operator classes and collations are given for the key columns only.
    for column, opclass, collation in zip(
        found, opclasses.split(), collations.split(), strict=False
    ):
        if default_opclasses.get(opclass) != column[1]:
            return None
        if collation != "0" and collation != column[2]:
            return None
    names = tuple(column[0] for column in found)
    keys, include = names[:key_count], names[key_count:]
    sql = f"CREATE {'UNIQUE ' if unique else ''}INDEX {name} ON {table} "
    sql += f"USING {method} ({', '.join(keys)})"
    if include:
        sql += f" INCLUDE ({', '.join(include)})"
    return sql, keys, include
