"""SQLite's rules: [bracketed] and `backticked` identifiers, and trigger bodies ended by
`; END ;` as sqlite3_complete ends them."""

from __future__ import annotations

import re

from dbci.sqlsplit.lexer import (
    BACKTICK,
    BLOCK_COMMENT,
    ID_CHAR,
    IDENT,
    LINE_COMMENT,
    SEMI,
    SEP,
    STRING,
    Dialect,
    lexer,
)

_BRACKET = r"\[(?P<q_br>[^\]]*\])|\[(?P<b_br>)"  # SQLite [x]: no escape, first ] closes
_LONE_END = re.compile(rf"(?:{SEP})?end(?:{SEP})?", re.I)


class _TriggerBody:
    """SQLite `CREATE [TEMP|TEMPORARY] TRIGGER ... BEGIN ... END;`, by SQLite's own rule.

    sqlite3_complete (what the sqlite3 shell uses to decide when to run what it read)
    ends a trigger only at `; END ;`: a `;` whose piece since the previous `;` is the lone
    word END. A CASE ... END inside the body never directly follows a `;`, so it needs no
    counting. Checking only that piece keeps a trigger that lacks its END linear, where
    asking sqlite3.complete_statement about the whole statement at every `;` would be
    quadratic; the tests use complete_statement as the oracle.
    """

    __slots__ = ("piece",)

    def __init__(self) -> None:
        self.piece = -1  # where the text after the previous `;` starts; -1: no `;` yet

    def feed(self, script: str, start: int, end: int, parens: int) -> None:
        pass

    def ends(self, script: str, start: int, semi: int) -> bool:
        done = self.piece >= 0 and _LONE_END.fullmatch(script, self.piece, semi) is not None
        self.piece = semi + 1
        return done


SQLITE = Dialect(
    lexer(SEMI, STRING, IDENT, BACKTICK, _BRACKET, LINE_COMMENT, BLOCK_COMMENT),
    {},
    re.compile(rf"create{SEP}(?:temp(?:orary)?{SEP})?trigger(?![{ID_CHAR}])", re.I),
    _TriggerBody,
)
