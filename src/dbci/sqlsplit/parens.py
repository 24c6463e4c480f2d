"""Parentheses and commas of a stretch of SQL, outside quotes and comments, by the same
lexer that splits scripts: where a bracketed list closes, where one of its items ends."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dbci.sqlsplit.dialects import rules_for
from dbci.sqlsplit.lexer import Malformed

_MARKS = re.compile(r"[(),]")


def _marks(script: str, start: int, end: int, dialect: str) -> Iterator[tuple[int, str]]:
    """(index, character) of each `(`, `)` and `,` of `script[start:end]` that is code,
    not inside a quote, a quoted identifier or a comment. Raises Malformed for a quote
    or comment that does not close before `end`."""
    rules = rules_for(dialect)
    search = rules.tokens.search
    pos = start
    while pos < end:
        m = search(script, pos, end)
        at, after = m.span() if m is not None else (end, end)
        for mark in _MARKS.finditer(script, pos, at):
            yield mark.start(), mark.group()
        if m is None:
            return
        kind = m.lastgroup or ""
        if kind.startswith("b_"):
            raise Malformed("unterminated", at)
        if kind.startswith("x"):
            after = rules.closers[kind](script, at, after)
            if after > end:
                raise Malformed("unterminated", at)
        pos = after


def opening_paren(script: str, start: int, end: int, dialect: str = "postgresql") -> int | None:
    """The index of the first `(` of `script[start:end]` that is code, or None."""
    try:
        return next((at for at, mark in _marks(script, start, end, dialect) if mark == "("), None)
    except Malformed:
        return None


def closing_paren(script: str, opening: int, end: int, dialect: str = "postgresql") -> int | None:
    """The index of the `)` that closes the `(` at `opening`, or None when none does
    before `end` (or a quote or comment does not close)."""
    depth = 0
    try:
        for at, mark in _marks(script, opening, end, dialect):
            if mark == "(":
                depth += 1
            elif mark == ")":
                depth -= 1
                if depth == 0:
                    return at
    except Malformed:
        return None
    return None


def item_end(script: str, start: int, end: int, dialect: str = "postgresql") -> int | None:
    """Where the list item starting at `start` ends: the first `,` or unmatched `)` at
    its own level, else `end`; None when a quote or comment does not close."""
    depth = 0
    try:
        for at, mark in _marks(script, start, end, dialect):
            if mark == "(":
                depth += 1
            elif depth == 0:
                return at
            elif mark == ")":
                depth -= 1
    except Malformed:
        return None
    return end
