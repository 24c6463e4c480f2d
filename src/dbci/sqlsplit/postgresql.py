"""PostgreSQL's rules: E'...' strings, $tag$ dollar quotes, nested block comments, `BEGIN
ATOMIC ... END` bodies (psql's rule), and `COPY … FROM STDIN` with its data inline."""

from __future__ import annotations

import re

from dbci.sqlsplit.lexer import (
    ID_CHAR,
    ID_START,
    IDENT,
    LINE_COMMENT,
    NESTED_COMMENT,
    SEMI,
    SEP,
    STRING,
    UNTERMINATED,
    Dialect,
    Malformed,
    close_nested_comment,
    lexer,
)
from dbci.sqlsplit.statement import Statement

_TAG_CHAR = r"^\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f"  # a dollar-quote tag holds no `$`

# PostgreSQL E'...': a backslash escapes the next character (E'it\'s' is one string) and
# '' is still a quote. It is an E' not glued to an identifier (time'12:00' is not one);
# the lookbehinds sit after the quote so the alternative still starts with a literal.
_ESCAPE_HEAD = rf"'(?<=[Ee]')(?<![{ID_CHAR}][Ee]')"
_ESCAPE_STRING = (
    rf"{_ESCAPE_HEAD}(?P<q_esc>[^'\\]*(?:(?:\\[\s\S]|'')[^'\\]*)*')|{_ESCAPE_HEAD}(?P<b_esc>)"
)
# $tag$ with an empty or identifier-like tag; $1 is a parameter, a$b$ an identifier.
_DOLLAR = rf"\$(?<![{ID_CHAR}]\$)(?P<xq_dollar>(?:[{ID_START}][{_TAG_CHAR}]*)?\$)"


def _close_dollar(script: str, at: int, end: int) -> int:
    # The body of $tag$...$tag$ is opaque: only the identical tag closes it.
    tag = script[at:end]
    j = script.find(tag, end)
    if j < 0:
        raise Malformed(f"unterminated dollar-quoted string ({tag})", at)
    return j + len(tag)


_ONLY_SEP = re.compile(SEP)
# Only the keywords that matter, so a long header costs one search, not one per word.
_BODY_TOKEN = re.compile(rf"[()]|(?<![{ID_CHAR}])(?:begin|atomic|case|end)(?![{ID_CHAR}])", re.I)


class _AtomicBody:
    """PostgreSQL `CREATE FUNCTION|PROCEDURE ... BEGIN ATOMIC ... END` (psql's rule).

    Keywords count only outside parentheses, as in psql. Inside the block CASE ... END
    nests, so the depth counts CASE up and END down; the statement ends at a `;` once
    the depth is back to zero.
    """

    __slots__ = ("begin_end", "depth")

    def __init__(self) -> None:
        self.depth = 0
        self.begin_end = -1  # just after a BEGIN that ATOMIC may follow; -1: none

    def feed(self, script: str, start: int, end: int, parens: int) -> None:
        for m in _BODY_TOKEN.finditer(script, start, end):
            word = m.group().upper()
            if word == "(":
                parens += 1
            elif word == ")":
                parens = parens - 1 if parens else 0
            elif parens:
                continue
            elif self.depth == 0:
                # BEGIN alone is no block (a function may even be called "begin"): only
                # BEGIN, then nothing but blanks and comments, then ATOMIC.
                if word == "ATOMIC" and self.begin_end >= 0:
                    gap = _ONLY_SEP.fullmatch(script, self.begin_end, m.start())
                    if gap is not None:
                        self.depth = 1
                self.begin_end = m.end() if word == "BEGIN" else -1
            elif word == "CASE":
                self.depth += 1
            elif word == "END":
                self.depth -= 1

    def ends(self, script: str, start: int, semi: int) -> bool:
        return self.depth <= 0


# PostgreSQL's `COPY … FROM STDIN`, as Flyway's PostgreSQLParser tells it
# (COPY_FROM_STDIN_REGEX, "^COPY( .*)? FROM STDIN" over the statement's words): the lines
# after its `;` are its data, not SQL, up to the first line that is `\\.` once trimmed
# (PostgreSQLParser.readCopyData). FROM 'file' and TO STDOUT have no inline data.
_COPY_FROM_STDIN = re.compile(
    rf"copy(?![{ID_CHAR}])[\s\S]*?(?<![{ID_CHAR}])from{SEP}stdin(?![{ID_CHAR}])", re.I
)
# What may follow the COPY's `;` on its line: blanks and a `--` comment. Flyway drops the
# rest of that line, psql runs it as SQL after the data: text there is refused instead.
_COPY_LINE_REST = re.compile(r"[^\S\n]*+(?:--[^\n]*+)?(?:\n|\Z)")
# The end of the data: a line holding `\\.` and blanks only (Java's trim()).
_COPY_END = re.compile(r"^[^\S\n]*+\\\.[^\S\n]*+$", re.M)


def _copy_block(script: str, start: int, semi: int) -> tuple[int, int, int]:
    """The inline data of the COPY … FROM STDIN at `start` whose `;` is at `semi`: where
    the data starts, where its `\\.` line starts, and where that line ends."""
    rest = _COPY_LINE_REST.match(script, semi + 1)
    if rest is None:
        raise Malformed(
            "COPY … FROM STDIN must end its line: its data starts on the next line (text "
            "after the ; would be dropped by Flyway and run by psql)",
            semi,
        )
    data = rest.end()
    end = _COPY_END.search(script, data)
    if end is None:
        raise Malformed("unterminated COPY … FROM STDIN data: no \\. line ends it", start)
    return data, end.start(), end.end()


POSTGRESQL = Dialect(
    lexer(SEMI, _ESCAPE_STRING, STRING, IDENT, LINE_COMMENT, NESTED_COMMENT, _DOLLAR),
    {"xc_nest": close_nested_comment, "xq_dollar": _close_dollar},
    re.compile(
        rf"create{SEP}(?:or{SEP}replace{SEP})?(?:function|procedure)(?![{ID_CHAR}])",
        re.I,
    ),
    _AtomicBody,
    copy=_COPY_FROM_STDIN,
    copy_first="cC",
    copy_data=_copy_block,
    unterminated={**UNTERMINATED, "b_esc": "unterminated quoted string"},
)


# The formats whose data lines PostgreSQL numbers as they are written (COPY's CSV).
_COPY_CSV = re.compile(rf"stdin(?![{ID_CHAR}])[\s\S]*?(?<![{ID_CHAR}])csv(?![{ID_CHAR}])", re.I)


def copy_row_line(statement: Statement, row: int) -> int:
    """The script line of row `row` of a COPY … FROM STDIN's data, as PostgreSQL numbers
    the rows in an error's context (`COPY things, line 2, column id: "x"`).

    The server counts the lines it reads: in CSV every line break counts (those inside a
    quoted field too), in text format a line ending in an unescaped backslash goes on
    into the next one (a backslash and a line break are a line break in the data)."""
    first = statement.data_line
    data = statement.copy_data
    if first is None or data is None:
        raise ValueError("not a COPY … FROM STDIN")
    if _COPY_CSV.search(statement.sql) is not None:
        return first + row - 1
    lines, rows, at = 0, 1, 0
    while rows < row:
        end = data.find("\n", at)
        if end < 0:
            break
        content = data[at:end]
        lines += 1
        rows += (len(content) - len(content.rstrip("\\"))) % 2 == 0
        at = end + 1
    return first + lines
