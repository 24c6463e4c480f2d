"""The columns a statement defines, with their data types: what the type-choice rules
(DB601–DB604) read.

A column gets its type in `CREATE TABLE t (c <type> …)`, `ALTER TABLE t ADD [COLUMN] c
<type> …` and `ALTER TABLE t ALTER [COLUMN] c [SET DATA] TYPE <type>`. Only the column's
own type counts: a cast inside `USING`, a `DEFAULT` or a `CHECK` is not one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dbci.analysis.tree import (
    FileFacts,
    Statement,
    code_children,
    keywords,
    object_name,
    position,
)

# The keywords of a data type as SQLFluff's PostgreSQL dialect splits them.
INT4_TYPES = frozenset({"INT", "INTEGER", "INT4", "SERIAL", "SERIAL4"})
INT2_TYPES = frozenset({"SMALLINT", "INT2", "SMALLSERIAL", "SERIAL2"})
SERIAL_TYPES = frozenset({"SERIAL", "SERIAL4", "SMALLSERIAL", "SERIAL2", "BIGSERIAL", "SERIAL8"})


@dataclass(frozen=True)
class TypedColumn:
    """A column a statement gives a type to."""

    table: str  # as the statement names it, lower-cased, unquoted
    column: str
    type_text: str  # the type as written: `varchar(255)`
    # The type's keywords, upper-cased, as SQLFluff's PostgreSQL dialect splits them:
    # `['TIMESTAMP', 'WITHOUT', 'TIME', 'ZONE']` (none for a quoted or schema-qualified
    # name outside pg_catalog).
    type_words: list[str]
    has_length: bool  # the type says a length or precision: `varchar(20)`, `char(2)`
    at: tuple[int, int]  # (line, column) of the type in the linted text
    new_table: bool  # the table is created by this statement or earlier in the file
    changed_type: bool  # ALTER COLUMN … TYPE (not a new column)
    primary_key: bool  # PRIMARY KEY on the column, or in the same CREATE TABLE's key
    identity: bool  # GENERATED … AS IDENTITY


def typed_columns(statement: Statement, facts: FileFacts) -> list[TypedColumn]:
    """The columns `statement` defines or retypes (CREATE TABLE, ALTER TABLE), read once
    for the five rules that ask (kept in `facts.memo`)."""
    if statement.kind not in ("create_table_statement", "alter_table_statement"):
        return []
    read = facts.columns_read.get((statement.line, statement.column))
    if read is not None and statement.kind == "create_table_statement":
        return read  # a stand-in for SQLFluff: libpg_query read its columns
    key = ("typed_columns", statement.index)
    found = facts.memo.get(key)
    if found is None:
        found = facts.memo[key] = list(_typed_columns(statement, facts))
    return found


def _typed_columns(statement: Statement, facts: FileFacts) -> Iterator[TypedColumn]:
    if statement.kind == "create_table_statement":
        yield from _created(statement)
    elif statement.kind == "alter_table_statement":
        table = statement.table()
        new = facts.is_new_table(statement, table)
        for action in statement.actions():
            column = _altered(table, action, new)
            if column is not None:
                yield column


def _created(statement: Statement) -> Iterator[TypedColumn]:
    table = statement.table()
    definitions = list(statement.body.recursive_crawl("column_definition", recurse_into=False))
    key_columns: set[str] = set()
    for constraint in statement.body.recursive_crawl("table_constraint", recurse_into=False):
        if _says_primary_key(keywords(constraint)):
            key_columns.update(
                object_name(ref) for ref in constraint.recursive_crawl("column_reference")
            )
    for definition in definitions:
        children = code_children(definition)
        data_type = next((s for s in children if s.type == "data_type"), None)
        if data_type is None or not children:
            continue
        column = object_name(children[0])
        words = keywords(children[children.index(data_type) + 1 :])
        yield _column(
            table,
            column,
            data_type,
            new_table=True,
            changed_type=False,
            primary_key=_says_primary_key(words) or column in key_columns,
            identity="IDENTITY" in words,
        )


def _altered(table: str, action: list[Any], new: bool) -> TypedColumn | None:
    data_type = next((s for s in action if s.type == "data_type"), None)
    if data_type is None:
        return None
    words = keywords(action)
    if words[:1] not in (["ADD"], ["ALTER"]):
        return None
    changed = words[0] == "ALTER"
    if changed and "TYPE" not in words:
        return None
    reference = next((s for s in action if s.type == "column_reference"), None)
    after = keywords(action[action.index(data_type) + 1 :])
    return _column(
        table,
        object_name(reference),
        data_type,
        new_table=new,
        changed_type=changed,
        primary_key=not changed and _says_primary_key(after),
        identity="IDENTITY" in after,
    )


def _column(
    table: str,
    column: str,
    data_type: Any,
    *,
    new_table: bool,
    changed_type: bool,
    primary_key: bool,
    identity: bool,
) -> TypedColumn:
    """A column whose type is SQLFluff's `data_type` segment."""
    return TypedColumn(
        table,
        column,
        data_type.raw,
        keywords(data_type),
        next(data_type.recursive_crawl("bracketed_arguments"), None) is not None,
        position(data_type),
        new_table=new_table,
        changed_type=changed_type,
        primary_key=primary_key,
        identity=identity,
    )


def _says_primary_key(words: list[str]) -> bool:
    return any(words[i : i + 2] == ["PRIMARY", "KEY"] for i in range(len(words)))
