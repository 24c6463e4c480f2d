"""MySQL's and MariaDB's rules: backslash escapes in strings, `#` and `-- ` comments,
executable comments, `DELIMITER xx` lines, and the compound statements of stored programs
(BEGIN ... END, IF ... END IF, ...) that hold `;`s without a DELIMITER, as Flyway reads them."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from dbci.sqlsplit.lexer import (
    BACKTICK,
    BLOCK_COMMENT,
    ID_CHAR,
    ID_START,
    SEMI,
    UNTERMINATED,
    Dialect,
    Malformed,
    lexer,
)

# MySQL: '...' and "..." are strings (default sql_mode) where a backslash escapes the next
# character and a doubled quote is a quote. `-- ` needs a blank (or the end) after the
# dashes: 1--1 is arithmetic. `#` comments to the end of the line. /*! ... */, /*!50001
# ... */ and MariaDB's /*M! ... */ are code that older servers skip: significant, whole.
_MY_STRING = r"'(?P<q_mstr>[^'\\]*+(?:(?:\\[\s\S]|'')[^'\\]*+)*+')|'(?P<b_mstr>)"
_MY_DQ_STRING = r'"(?P<q_mdq>[^"\\]*+(?:(?:\\[\s\S]|"")[^"\\]*+)*+")|"(?P<b_mdq>)'
_MY_LINE_COMMENT = r"-(?P<c_mline>-(?!\S)[^\n]*)"
_HASH_COMMENT = r"#(?P<c_hash>[^\n]*)"
_EXECUTABLE_COMMENT = r"/(?P<q_exec>\*M?![^*]*\*+(?:[^/*][^*]*\*+)*/)"
# The client command `DELIMITER xx` on a line of its own (mysql, Flyway).
_DELIMITER_AHEAD = r"[ \t]*[Dd][Ee][Ll][Ii][Mm][Ii][Tt][Ee][Rr](?!\S)"
_DELIMITER_LINE = rf"\n(?={_DELIMITER_AHEAD})(?P<d_delimiter>)"

# MySQL's blanks and comments between two words (an executable comment counts as one).
_MY_SEP = r"(?:\s|#[^\n]*+|--(?!\S)[^\n]*+|/\*[\s\S]*?\*/)++"
_MY_GAP = rf"(?:{_MY_SEP})?"
# Keywords of compound statements, not glued to a word, a `.` (t.end is a column) or an
# `@` (@if is a variable). Commas are looked for only while an IF( is undecided.
_COMPOUND_WORDS = rf"(?<![{ID_CHAR}])(?<![.@])(?:begin|end|if|case|loop|while|repeat|for)"
_COMPOUND_TOKEN = re.compile(rf"[()]|{_COMPOUND_WORDS}(?![{ID_CHAR}])", re.I)
_COMPOUND_TOKEN_COMMA = re.compile(rf"[(),]|{_COMPOUND_WORDS}(?![{ID_CHAR}])", re.I)
_END_OF = re.compile(rf"{_MY_GAP}(?:if|loop|while|repeat|case|for)(?![{ID_CHAR}])", re.I)
_NO_BLOCK_AFTER_BEGIN = re.compile(rf"{_MY_GAP}(?:work(?![{ID_CHAR}])|;)", re.I)
_AFTER_IF = re.compile(
    rf"{_MY_GAP}(?:(?P<exists>(?:not{_MY_SEP})?exists(?![{ID_CHAR}]){_MY_GAP}(?P<query>\()?)"
    rf"|(?P<paren>\())",
    re.I,
)
_OPEN_PAREN = re.compile(rf"{_MY_GAP}\(")
_FOR_LOOP = re.compile(rf"{_MY_SEP}[{ID_START}][{ID_CHAR}]*+{_MY_SEP}in(?![{ID_CHAR}])", re.I)


class _CompoundBody:
    """MySQL/MariaDB `CREATE PROCEDURE|FUNCTION|TRIGGER|EVENT` bodies without DELIMITER.

    Flyway's MySQL parser keeps reading past a `;` while a BEGIN ... END block is open;
    this also counts the compound statements that may stand without BEGIN (a trigger's
    `FOR EACH ROW IF ... END IF`): IF, CASE, LOOP, WHILE, REPEAT and MariaDB's FOR each
    open one level, END closes one, and END IF / END LOOP / ... close theirs (their
    second word opens nothing). A CASE expression ends with a plain END, so counting
    every CASE works for both kinds. Not openers: BEGIN WORK, the REPEAT( function,
    DDL's IF [NOT] EXISTS name, and the IF(a, b, c) function, told from the statement
    `IF (a > b) THEN` by the commas at the top of its parenthesis once that closes.
    Keywords inside parentheses do not count. The statement ends at a `;` at depth 0.
    """

    __slots__ = ("commas", "consumed", "depth", "undecided")

    def __init__(self) -> None:
        self.depth = 0
        self.consumed = -1  # the word after END (END IF's IF) ends before this index
        self.undecided = False  # an IF followed by `(`: a function or an IF statement?
        self.commas = False  # a comma at the top of that IF's parenthesis

    def feed(self, script: str, start: int, end: int, parens: int) -> None:
        pos = start
        while True:
            token = (_COMPOUND_TOKEN_COMMA if self.undecided else _COMPOUND_TOKEN).search
            m = token(script, pos, end)
            if m is None:
                return
            pos = m.end()
            word = m.group().upper()
            if word == "(":
                parens += 1
            elif word == ")":
                parens = parens - 1 if parens else 0
                if self.undecided and parens == 0:
                    self.undecided = False
                    if not self.commas:
                        self.depth += 1  # IF (a > b) THEN
            elif word == ",":
                self.commas = self.commas or parens == 1
            elif parens or m.start() < self.consumed:
                continue
            elif word == "END":
                self.depth -= 1
                closes = _END_OF.match(script, pos)
                if closes is not None:
                    self.consumed = closes.end()
            elif word == "IF":
                after = _AFTER_IF.match(script, pos)
                if after is None or after.group("query") is not None:
                    self.depth += 1  # IF x THEN, IF EXISTS (SELECT ...) THEN
                elif after.group("paren") is not None:
                    self.undecided, self.commas = True, False
                # else: DROP TABLE IF EXISTS t, CREATE TABLE IF NOT EXISTS t
            elif word == "BEGIN":
                if _NO_BLOCK_AFTER_BEGIN.match(script, pos) is None:
                    self.depth += 1
            elif word == "REPEAT":
                if _OPEN_PAREN.match(script, pos) is None:
                    self.depth += 1
            elif word == "FOR":
                if _FOR_LOOP.match(script, pos) is not None:
                    self.depth += 1  # MariaDB FOR i IN 1..3 DO ... END FOR
            else:  # CASE, LOOP, WHILE
                self.depth += 1

    def ends(self, script: str, start: int, semi: int) -> bool:
        return self.depth <= 0


# Everything a MySQL lexer needs besides its terminator.
_MY_TOKENS = (
    _MY_STRING,
    _MY_DQ_STRING,
    BACKTICK,
    _MY_LINE_COMMENT,
    _HASH_COMMENT,
    _EXECUTABLE_COMMENT,  # before the plain block comment: both start with /*
    BLOCK_COMMENT,
    _DELIMITER_LINE,
)
# DEFINER = 'user'@'host' | `user`@`host` | user@host | CURRENT_USER[()]
_MY_QUOTED = r"""'(?:[^'\\]|\\[\s\S]|'')*+'|"(?:[^"\\]|\\[\s\S]|"")*+"|`(?:[^`]|``)*+`"""
_MY_NAME = rf"(?:{_MY_QUOTED}|[^\s'\"`@=();#]++)"
_MY_DEFINER = (
    rf"definer{_MY_GAP}={_MY_GAP}{_MY_NAME}(?:{_MY_GAP}@{_MY_GAP}{_MY_NAME})?"
    rf"(?:{_MY_GAP}\({_MY_GAP}\))?{_MY_SEP}"
)


def _delimiter_line(script: str, begin: int, eol: int) -> tuple[Dialect, int]:
    """A `DELIMITER xx` line: the rules with that delimiter from then on."""
    return _delimited_by(_new_delimiter(script, begin, eol)), 1


MYSQL = Dialect(
    lexer(SEMI, *_MY_TOKENS),
    {},
    re.compile(
        rf"create{_MY_SEP}(?:or{_MY_SEP}replace{_MY_SEP})?(?:{_MY_DEFINER})?"
        rf"(?:aggregate{_MY_SEP})?(?:procedure|function|trigger|event)(?![{ID_CHAR}])"
        rf"|begin{_MY_SEP}not{_MY_SEP}atomic(?![{ID_CHAR}])",  # MariaDB's anonymous block
        re.I,
    ),
    _CompoundBody,
    re.compile(rf"(?={_DELIMITER_AHEAD})(?P<d_delimiter>)"),
    command=_delimiter_line,
    unterminated={
        **UNTERMINATED,
        "b_mstr": "unterminated quoted string",
        "b_mdq": "unterminated quoted string",
    },
    stateful_line=re.compile(rb"(?im)^[ \t]*delimiter\b"),
    stateful_what="MySQL's DELIMITER",
)


@lru_cache(maxsize=16)
def _delimited_by(delimiter: str) -> Dialect:
    """The MySQL rules after `DELIMITER <delimiter>`: that text ends a statement wherever it
    stands outside quotes and comments (parentheses and blocks do not matter, as in the
    mysql client), and `;` is plain code."""
    if delimiter == ";":
        return MYSQL
    # First: the mysql client looks for the delimiter before it looks for a comment.
    return replace(MYSQL, tokens=lexer(re.escape(delimiter) + "(?P<e>)", *_MY_TOKENS), body=None)


_DELIMITER_COMMAND = re.compile(r"[ \t]*delimiter[ \t]*(\S*)[ \t\r]*(.*)", re.I)


def _new_delimiter(script: str, begin: int, eol: int) -> str:
    """The delimiter a `DELIMITER xx` line (from `begin` to `eol`) sets."""
    m = _DELIMITER_COMMAND.fullmatch(script, begin, eol)
    assert m is not None  # the lexer only stops at a line that starts with DELIMITER
    delimiter, rest = m.groups()
    if len(delimiter) > 2 and delimiter[0] == delimiter[-1] and delimiter[0] in "'\"`":
        delimiter = delimiter[1:-1]  # DELIMITER '$$', as the mysql client allows
    if not delimiter:
        raise Malformed("DELIMITER must be followed by the new delimiter, e.g. DELIMITER $$", begin)
    if "\\" in delimiter:
        raise Malformed(f"DELIMITER cannot contain a backslash: {delimiter}", begin)
    if rest and not rest.startswith("#") and re.match(r"--(?!\S)", rest) is None:
        # The mysql client would ignore it and Flyway would make it part of the delimiter:
        # neither is what the author meant.
        raise Malformed(f"DELIMITER takes one delimiter, not {delimiter} {rest.rstrip()}", begin)
    return delimiter
