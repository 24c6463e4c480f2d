"""The shared lexer's parts: the token alternatives the dialects build on, what a dialect's
rules are (`Dialect`), and the error a malformed script raises.

Every alternative starts with a literal character and names its kind in a group placed
after that character: the regex engine then builds a first-character set and skips plain
code at C speed (a group or class at the head of an alternative disables that). Group
names: s = statement end, q_* = complete quote (significant), c_* = complete comment,
xq_* / xc_* = quote / comment opener finished by a closer function, b_* = opener that
never closes, e = a custom MySQL delimiter, d_* / g_* = a DELIMITER / GO line ahead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol


class Malformed(Exception):
    """A quote or comment that never closes, or a malformed client command (DELIMITER,
    GO); `at` is where it starts in the script (turned into a line)."""

    def __init__(self, what: str, at: int) -> None:
        super().__init__(what)
        self.at = at


# Identifier characters as PostgreSQL sees them: every non-ASCII character counts, and `$`
# may follow the first one (so foo$bar$ is an identifier, not a dollar quote).
# Identifier characters: ASCII letters, `_` (digits and `$` after the first) and every
# non-ASCII character. Written as negated ASCII sets: a literal `\x80-\U0010FFFF` range
# costs the regex compiler ~80 ms at import, which every dbci run would pay.
ID_START = r"^\x00-\x40\x5b-\x5e\x60\x7b-\x7f"
ID_CHAR = r"^\x00-\x23\x25-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f"

SEMI = r";(?P<s>)"
STRING = r"'(?P<q_str>[^']*(?:''[^']*)*')|'(?P<b_str>)"
IDENT = r'"(?P<q_id>[^"]*(?:""[^"]*)*")|"(?P<b_id>)'
BACKTICK = r"`(?P<q_bt>[^`]*(?:``[^`]*)*`)|`(?P<b_bt>)"
LINE_COMMENT = r"-(?P<c_line>-[^\n]*)"
BLOCK_COMMENT = r"/(?P<c_block>\*[^*]*\*+(?:[^/*][^*]*\*+)*/)|/(?P<b_block>\*)"
NESTED_COMMENT = r"/(?P<xc_nest>\*)"

# The message of each b_* alternative (a dialect adds those of its own).
UNTERMINATED = {
    "b_str": "unterminated quoted string",
    "b_id": "unterminated quoted identifier",
    "b_bt": "unterminated quoted identifier",
    "b_br": "unterminated quoted identifier",
    "b_block": "unterminated block comment",
}


def lexer(*alternatives: str) -> re.Pattern[str]:
    # Order matters where alternatives share a first character: complete before broken.
    return re.compile("|".join(alternatives))


# A closer gets (script, opener start, opener end) and returns the index just past the
# construct, or raises Malformed. Only rare openers need one.
Closer = Callable[[str, int, int], int]

COMMENT_EDGE = re.compile(r"/\*|\*/")


def close_nested_comment(script: str, at: int, end: int) -> int:
    # PostgreSQL nests block comments: /* a /* b */ c */ is one comment.
    depth = 1
    for m in COMMENT_EDGE.finditer(script, end):
        depth += 1 if m.group() == "/*" else -1
        if depth == 0:
            return m.end()
    raise Malformed("unterminated block comment", at)


class Body(Protocol):
    """Tracks a statement that may hold a BEGIN ... END block with `;`s inside."""

    def feed(self, script: str, start: int, end: int, parens: int) -> None:
        """Look at a stretch of plain code (no quotes or comments) at paren depth `parens`."""

    def ends(self, script: str, start: int, semi: int) -> bool:
        """Whether the `;` at `semi` (outside parentheses) ends the statement at `start`."""


# Whitespace and comments between two keywords (non-nested comments are enough here);
# possessive so that a long run of blanks cannot backtrack.
SEP = r"(?:\s|--[^\n]*+|/\*[\s\S]*?\*/)++"


# A client command on a line of its own (MySQL's DELIMITER, T-SQL's GO), from where its
# text starts to the line's end: the rules from then on (None: the same) and how many
# times the statement (batch) it ends runs. Raises Malformed.
Command = Callable[[str, int, int], "tuple[Dialect | None, int]"]
# A statement followed by data lines (PostgreSQL's COPY … FROM STDIN): given the statement's
# start and its `;`, where the data starts, where its end line starts and where that line
# ends. Raises Malformed.
DataBlock = Callable[[str, int, int], tuple[int, int, int]]


@dataclass(frozen=True, slots=True)
class Dialect:
    """The rules of one dialect over the shared lexer."""

    tokens: re.Pattern[str]
    closers: dict[str, Closer]  # xq_* / xc_* group name -> closer
    body_gate: re.Pattern[str] | None = None  # statement prefix that may hold a block
    body: Callable[[], Body] | None = None
    # A client command on the script's first line, where no newline announces it; the
    # match's lastgroup names it as the tokens' d_* / g_* alternative would.
    first_line: re.Pattern[str] | None = None
    # A statement whose data follows it in the script, up to a `\\.` line (PostgreSQL's
    # COPY … FROM STDIN): its pattern, the letters it may start with (a quick test before
    # the pattern's), and where its data is.
    copy: re.Pattern[str] | None = None
    copy_first: str = ""
    copy_data: DataBlock | None = None
    # What the d_* / g_* alternatives (a client command's line) do.
    command: Command | None = None
    unterminated: Mapping[str, str] = field(default_factory=lambda: UNTERMINATED)
    # A line whose effect carries from one piece of a script to the next, which
    # split_windows therefore refuses (MySQL's DELIMITER), and what to call it.
    stateful_line: re.Pattern[bytes] | None = None
    stateful_what: str = ""
