"""PostgreSQL statements no dbci rule reads, left out of SQLFluff's parse when its style
rules are off (`[dbci.check.code] style = false`).

SQLFluff's parse is nearly all of what a file costs dbci's rules, and much of a
migration's text is statements none of them reads: `COMMENT ON`, `INSERT … VALUES` (an
INSERT is large DML to DB502 only with a query; no other rule reads one) and `CREATE
VIEW` (DB502 asks only whether a file with large DML also holds DDL, so a view is kept in
such a file). libpg_query, PostgreSQL's own parser (through `pgparse`), finds them
exactly, in a fraction of a millisecond a file; they are blanked out, every character but
line breaks dropped, so that every other statement keeps its line and column. The
comments before a blanked statement go with it (a `dbci:ignore` there was about it), but
not the rest of the line the statement before it ends on (a comment there is that
statement's).

The same parse gives each `CREATE TABLE`'s columns to the type rules, and SQLFluff parses
only a stand-in for the statement, its column list blanked (`created_tables`).

A file libpg_query cannot parse (a syntax error, a psql meta-command, a placeholder that
is not SQL) is parsed whole, as is every file where `pgparse` is not installed (it has
wheels for Linux and macOS on ARM): the findings are the same either way, only slower.
`tests/test_unread_statements.py` holds every rule's cases to that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dbci.analysis.columns import TypedColumn
from dbci.analysis.created_tables import Lines, stand_in

# libpg_query's statement nodes that no rule reads; ViewStmt only without large DML.
_NEVER_READ = frozenset({"CommentStmt"})
_DDL_FOR_DB502 = frozenset({"ViewStmt"})
# What, at the start of a statement's span, is not yet the statement: whitespace and
# comments (libpg_query's span starts right after the `;` before it).
_LEADING = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.DOTALL)


@dataclass(frozen=True)
class ForRules:
    """A file's text as SQLFluff parses it for dbci's rules, and what libpg_query read
    instead: the columns of each CREATE TABLE given as a stand-in (`created_tables`), by
    the (line, column) where the statement starts."""

    text: str
    columns: dict[tuple[int, int], list[TypedColumn]] = field(default_factory=dict)


def text_for_rules(text: str, *, stand_ins: bool = True) -> ForRules:
    """`text` with the statements no dbci rule reads blanked out and, with `stand_ins`,
    each CREATE TABLE's column list blanked with its columns read by libpg_query (see the
    module's docstring); `text` itself when there is nothing to leave out, when libpg_query
    cannot parse it or when `pgparse` is not installed."""
    parsed = _parse(text)
    if not parsed:
        return ForRules(text)
    nodes = [(next(iter(s["stmt"])), s) for s in parsed]
    large_dml = any(_is_large_dml(kind, s["stmt"][kind]) for kind, s in nodes)
    data = text.encode("utf-8")
    to_char = _char_offsets(text, data)
    lines = Lines(text)
    # (first, last, whole statement): the character ranges to blank, in order.
    spans: list[tuple[int, int, bool]] = []
    columns: dict[tuple[int, int], list[TypedColumn]] = {}
    for kind, s in nodes:
        start, end = _span(s)
        first, last = to_char(start), to_char(min(end, len(data)))
        if (
            kind in _NEVER_READ
            or (kind == "InsertStmt" and _inserts_values(s["stmt"][kind]))
            or (kind in _DDL_FOR_DB502 and not large_dml)
        ):
            spans.append((first, last, True))
        elif kind == "CreateStmt" and stand_ins:
            read = stand_in(text, s["stmt"][kind], to_char, lines, _parse, (first, last))
            if read is not None:
                code = _LEADING.match(text, first, last)
                columns[lines.at(code.end() if code else first)] = read.columns
                spans.append((*read.blank, False))
    if not spans:
        return ForRules(text)
    pieces: list[str] = []
    done = 0
    for first, last, whole in spans:
        if whole:
            # The terminating `;` goes too (libpg_query's span stops before it).
            if last < len(text) and text[last] == ";":
                last += 1
            if first:  # not the file's first statement: keep the line the one before ends on
                first = _after_line_of_previous(text, first, last)
        pieces += [text[done:first], _blank(text, first, last)]
        done = last
    pieces.append(text[done:])
    return ForRules("".join(pieces), columns)


def blank_unread(text: str) -> str:
    """`text` with only the statements no dbci rule reads blanked out."""
    return text_for_rules(text, stand_ins=False).text


def _blank(text: str, first: int, last: int) -> str:
    """What stands for `text[first:last]`: its line breaks, and spaces for what is on the
    last line, so that what follows on that line keeps its column. Whole lines become
    empty rather than spaces: SQLFluff lexes less."""
    lines = text.count("\n", first, last)
    end_of_line = text.find("\n", last)
    if not text[last : len(text) if end_of_line < 0 else end_of_line].strip():
        return "\n" * lines  # nothing after it on its last line: no column to keep
    if not lines:
        return " " * (last - first)
    return "\n" * lines + " " * (last - 1 - text.rindex("\n", first, last))


def _parse(text: str) -> list[dict[str, Any]] | None:
    try:
        import pgparse
    except ImportError:  # no wheel for this platform: the whole file is parsed
        return None
    try:
        return list(pgparse.parse(text))
    except pgparse.PGQueryError:
        return None


def _span(statement: dict[str, Any]) -> tuple[int, int]:
    """(start, end) in UTF-8 bytes: a length of 0 is the rest of the text."""
    start = int(statement.get("stmt_location", 0))
    length = int(statement.get("stmt_len", 0))
    return start, (start + length if length else 1 << 62)


def _is_large_dml(kind: str, node: dict[str, Any]) -> bool:
    """As DB502 sees it: UPDATE, DELETE, or an INSERT of a query's rows."""
    if kind in ("UpdateStmt", "DeleteStmt"):
        return True
    return kind == "InsertStmt" and not _inserts_values(node)


def _inserts_values(node: dict[str, Any]) -> bool:
    """An INSERT of listed rows (`VALUES …`, `DEFAULT VALUES`), not of a query's."""
    select = node.get("selectStmt")
    if select is None:
        return True  # DEFAULT VALUES
    inner = select.get("SelectStmt", {})
    return "valuesLists" in inner and not any(
        key in inner for key in ("targetList", "fromClause", "withClause", "larg", "rarg")
    )


def _after_line_of_previous(text: str, first: int, last: int) -> int:
    """Where blanking starts: after the line the statement before ends on, when the
    statement itself starts on a later line (a comment on that line is the earlier
    statement's), else where its span starts."""
    code = _LEADING.match(text, first, last)
    code_at = code.end() if code else first
    newline = text.find("\n", first, code_at)
    return newline + 1 if newline >= 0 else first


def _char_offsets(text: str, data: bytes) -> Any:
    """A function from a UTF-8 byte offset of `text` to its character offset."""
    if len(data) == len(text):  # ASCII: the same
        return lambda offset: offset
    starts = [0] * (len(data) + 1)
    position = 0
    for index, char in enumerate(text):
        size = len(char.encode("utf-8"))
        for k in range(size):
            starts[position + k] = index
        position += size
    starts[len(data)] = len(text)
    return lambda offset: starts[offset]
