"""A PostgreSQL `CREATE TABLE`'s columns as libpg_query reads them, so that SQLFluff need
parse only a stand-in for the statement (`[dbci.check.code] style = false`).

Of a `CREATE TABLE`, dbci's rules read two things: the table it creates (a later
statement on a new table is not a risk) and its columns' types and keys (DB601–DB605).
The column list is most of what a migration asks SQLFluff to parse, so libpg_query's tree
(`pgparse`) gives the columns instead, and SQLFluff sees the statement with its column
list blanked, `CREATE TABLE orders (   )`: the same statement kind, the same table name,
at the same place. Every character keeps its line and column.

A statement is read this way only when nothing about it is in doubt; else SQLFluff
parses it whole, as before:

* a plain column list (columns and table constraints: no `LIKE`, `OF type` or
  `PARTITION OF`);
* a `dbci:ignore` or `noqa` inside the list stays in SQLFluff's text (suppressions are
  read from it);
* a comment inside a column's type, or a list whose brackets the lexer cannot match;
* libpg_query must read the stand-in as a `CREATE TABLE` of the same table, empty.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dbci.analysis.columns import TypedColumn
from dbci.sqlsplit.parens import closing_paren, item_end, opening_paren

# Whitespace and comments that end a column's item (the comma or bracket comes after).
_TRAILING = re.compile(r"(?:\s+|--[^\n]*|/\*[\s\S]*?\*/)*\Z")
_SUPPRESSION = re.compile(r"dbci:ignore|noqa", re.IGNORECASE)
# A type's words outside brackets; a quoted part is none of SQLFluff's keywords.
_WORD = re.compile(r'"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*|\.|\(|\)')


@dataclass(frozen=True)
class StandIn:
    """A CREATE TABLE read from libpg_query: what to blank, and what the rules read."""

    blank: tuple[int, int]  # character offsets of the column list, brackets excluded
    columns: list[TypedColumn]


class Lines:
    """A text's (line, column) of a character offset, both from 1, as SQLFluff counts."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def at(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1


def stand_in(
    text: str,
    node: dict[str, Any],
    to_char: Callable[[int], int],
    lines: Lines,
    parse: Callable[[str], list[dict[str, Any]] | None],
    span: tuple[int, int],
) -> StandIn | None:
    """The stand-in for the `CreateStmt` `node` (libpg_query's, byte offsets through
    `to_char`), whose statement is `text[span[0]:span[1]]`; None when the statement must
    be parsed whole (see the module's docstring). `parse` is libpg_query's parse."""
    elements = node.get("tableElts")
    relation = node.get("relation") or {}
    if not elements or "ofTypename" in node or "partbound" in node or "location" not in relation:
        return None
    if any(next(iter(e)) not in ("ColumnDef", "Constraint") for e in elements):
        return None
    start, end = span
    opening = opening_paren(text, to_char(int(relation["location"])), end)
    closing = None if opening is None else closing_paren(text, opening, end)
    if opening is None or closing is None:
        return None
    if _SUPPRESSION.search(text, opening, closing):
        return None
    table = str(relation.get("relname", "")).lower()
    columns = _columns(text, elements, table, to_char, lines, closing)
    if columns is None:
        return None
    check = parse(text[start : opening + 1] + text[closing:end])
    created = check[0]["stmt"].get("CreateStmt") if check and len(check) == 1 else None
    if (
        created is None
        or created.get("tableElts")
        or created.get("relation", {}).get("relname") != relation.get("relname")
    ):
        return None
    return StandIn((opening + 1, closing), columns)


def _columns(
    text: str,
    elements: list[dict[str, Any]],
    table: str,
    to_char: Callable[[int], int],
    lines: Lines,
    closing: int,
) -> list[TypedColumn] | None:
    """The columns of a CREATE TABLE's elements, as `columns.typed_columns` reads them from
    SQLFluff's tree; None when a type's text is in doubt."""
    keys = {
        str(k["String"]["sval"]).lower()
        for e in elements
        if e.get("Constraint", {}).get("contype") == "CONSTR_PRIMARY"
        for k in e["Constraint"].get("keys", [])
    }
    found: list[TypedColumn] = []
    for element in elements:
        column = element.get("ColumnDef")
        if column is None:
            continue
        type_name = column.get("typeName") or {}
        if "location" not in type_name:
            return None
        constraints = [c["Constraint"] for c in column.get("constraints", [])]
        kinds = {c.get("contype") for c in constraints}
        type_text = _type_text(text, column, constraints, to_char, closing)
        if type_text is None:
            return None
        begin = to_char(int(type_name["location"]))
        name = str(column.get("colname", "")).lower()
        found.append(
            TypedColumn(
                table,
                name,
                type_text,
                type_words(type_text),
                _has_length(type_text),
                lines.at(begin),
                new_table=True,
                changed_type=False,
                primary_key="CONSTR_PRIMARY" in kinds or name in keys,
                identity="CONSTR_IDENTITY" in kinds,
            )
        )
    return found


def _type_text(
    text: str,
    column: dict[str, Any],
    constraints: list[dict[str, Any]],
    to_char: Callable[[int], int],
    closing: int,
) -> str | None:
    """A column's type as written: from its start to the first constraint, COLLATE, or the
    end of the column's item in the list; None when a comment is inside it."""
    begin = to_char(int(column["typeName"]["location"]))
    stop = item_end(text, begin, closing)
    if stop is None:
        return None
    marks = [c.get("location", -1) for c in constraints]
    marks.append((column.get("collClause") or {}).get("location", -1))
    for mark in marks:
        if isinstance(mark, int) and mark >= 0:
            at = to_char(mark)
            if begin < at < stop:
                stop = at
    written = text[begin:stop]
    written = written[: _TRAILING.search(written).start()]  # type: ignore[union-attr]
    if not written or "--" in written or "/*" in written:
        return None
    return written


def type_words(written: str) -> list[str]:
    """A type's keywords as SQLFluff's PostgreSQL dialect gives them: its words outside
    brackets, upper-cased; none for a quoted name or one qualified by a schema other than
    pg_catalog. (A user type's plain name gives a word where SQLFluff gives none: no rule
    reads those.)"""
    tokens = _WORD.findall(written)
    words: list[str] = []
    depth = 0
    for i, token in enumerate(tokens):
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        elif depth:
            continue
        elif token.startswith('"'):
            return []
        elif token == ".":
            if [w.lower() for w in words] != ["pg_catalog"] or i + 1 >= len(tokens):
                return []
            words = []
        else:
            words.append(token)
    return [w.upper() for w in words]


def _has_length(written: str) -> bool:
    """Whether the type says a length or precision, `varchar(20)` (array bounds do not)."""
    return "(" in written
