"""Split a migration script into statements, the way psql, sqlite3 and Flyway do.

One shared lexer walks the script with a single compiled regex that stops only where the
meaning of a `;` can change: a `;`, a quote, a comment, a dollar quote. Whole quotes and
comments are matched by the regex itself, so the Python loop runs once per token and the
plain code in between is never looked at character by character. A dialect is a small
set of rules over that lexer: its token alternatives, plus an optional "body" rule for
statements whose `;`s may sit inside a BEGIN ... END block. Later dialects (MySQL
DELIMITER, T-SQL GO) add their own alternatives and rules here.

Like psql and Flyway, a `;` inside parentheses does not end a statement (PostgreSQL's
multi-action `CREATE RULE ... DO (INSERT ...; INSERT ...)` depends on it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from dbci.errors import InputError

__all__ = ["Statement", "leading_words", "split_statements"]


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of a script.

    `sql` is the text exactly as in the script, from its first significant character
    (comments and whitespace before it skipped) to just before its terminating `;`, with
    trailing whitespace stripped; comments inside it are kept. `line` is the 1-based line
    of the script on which `sql` starts.
    """

    sql: str
    line: int


class _Unterminated(Exception):
    """A quote or comment that never closes; `at` is where it opens (turned into a line)."""

    def __init__(self, what: str, at: int) -> None:
        super().__init__(what)
        self.at = at


# --- Token alternatives -----------------------------------------------------------------
# Every alternative starts with a literal character and names its kind in a group placed
# after that character: the regex engine then builds a first-character set and skips plain
# code at C speed (a group or class at the head of an alternative disables that). Group
# names: s = statement end, q_* = complete quote (significant), c_* = complete comment,
# xq_* / xc_* = quote / comment opener finished by a closer function, b_* = opener that
# never closes.

# Identifier characters as PostgreSQL sees them: every non-ASCII character counts, and `$`
# may follow the first one (so foo$bar$ is an identifier, not a dollar quote).
# Identifier characters: ASCII letters, `_` (digits and `$` after the first) and every
# non-ASCII character. Written as negated ASCII sets: a literal `\x80-\U0010FFFF` range
# costs the regex compiler ~80 ms at import, which every dbci run would pay.
_ID_START = r"^\x00-\x40\x5b-\x5e\x60\x7b-\x7f"
_ID_CHAR = r"^\x00-\x23\x25-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f"
_TAG_CHAR = r"^\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f"  # a dollar-quote tag holds no `$`

_SEMI = r";(?P<s>)"
_STRING = r"'(?P<q_str>[^']*(?:''[^']*)*')|'(?P<b_str>)"
_IDENT = r'"(?P<q_id>[^"]*(?:""[^"]*)*")|"(?P<b_id>)'
_BACKTICK = r"`(?P<q_bt>[^`]*(?:``[^`]*)*`)|`(?P<b_bt>)"
_BRACKET = r"\[(?P<q_br>[^\]]*\])|\[(?P<b_br>)"  # SQLite [x]: no escape, first ] closes
_LINE_COMMENT = r"-(?P<c_line>-[^\n]*)"
_BLOCK_COMMENT = r"/(?P<c_block>\*[^*]*\*+(?:[^/*][^*]*\*+)*/)|/(?P<b_block>\*)"
_NESTED_COMMENT = r"/(?P<xc_nest>\*)"
# PostgreSQL E'...': a backslash escapes the next character (E'it\'s' is one string) and
# '' is still a quote. It is an E' not glued to an identifier (time'12:00' is not one);
# the lookbehinds sit after the quote so the alternative still starts with a literal.
_ESCAPE_HEAD = rf"'(?<=[Ee]')(?<![{_ID_CHAR}][Ee]')"
_ESCAPE_STRING = (
    rf"{_ESCAPE_HEAD}(?P<q_esc>[^'\\]*(?:(?:\\.|'')[^'\\]*)*')|{_ESCAPE_HEAD}(?P<b_esc>)"
)
# $tag$ with an empty or identifier-like tag; $1 is a parameter, a$b$ an identifier.
_DOLLAR = rf"\$(?<![{_ID_CHAR}]\$)(?P<xq_dollar>(?:[{_ID_START}][{_TAG_CHAR}]*)?\$)"

_UNTERMINATED = {
    "b_str": "unterminated quoted string",
    "b_esc": "unterminated quoted string",
    "b_id": "unterminated quoted identifier",
    "b_bt": "unterminated quoted identifier",
    "b_br": "unterminated quoted identifier",
    "b_block": "unterminated block comment",
}


def _lexer(*alternatives: str) -> re.Pattern[str]:
    # Order matters where alternatives share a first character: complete before broken.
    return re.compile("|".join(alternatives))


# A closer gets (script, opener start, opener end) and returns the index just past the
# construct, or raises _Unterminated. Only rare openers need one.
_Closer = Callable[[str, int, int], int]


def _close_dollar(script: str, at: int, end: int) -> int:
    # The body of $tag$...$tag$ is opaque: only the identical tag closes it.
    tag = script[at:end]
    j = script.find(tag, end)
    if j < 0:
        raise _Unterminated(f"unterminated dollar-quoted string ({tag})", at)
    return j + len(tag)


_COMMENT_EDGE = re.compile(r"/\*|\*/")


def _close_nested_comment(script: str, at: int, end: int) -> int:
    # PostgreSQL nests block comments: /* a /* b */ c */ is one comment.
    depth = 1
    for m in _COMMENT_EDGE.finditer(script, end):
        depth += 1 if m.group() == "/*" else -1
        if depth == 0:
            return m.end()
    raise _Unterminated("unterminated block comment", at)


# --- Block bodies -----------------------------------------------------------------------


class _Body(Protocol):
    """Tracks a statement that may hold a BEGIN ... END block with `;`s inside."""

    def feed(self, script: str, start: int, end: int, parens: int) -> None:
        """Look at a stretch of plain code (no quotes or comments) at paren depth `parens`."""

    def ends(self, script: str, start: int, semi: int) -> bool:
        """Whether the `;` at `semi` (outside parentheses) ends the statement at `start`."""


# Whitespace and comments between two keywords (non-nested comments are enough here);
# possessive so that a long run of blanks cannot backtrack.
_SEP = r"(?:\s|--[^\n]*+|/\*[\s\S]*?\*/)++"
_ONLY_SEP = re.compile(_SEP)
_LONE_END = re.compile(rf"(?:{_SEP})?end(?:{_SEP})?", re.I)
# Only the keywords that matter, so a long header costs one search, not one per word.
_BODY_TOKEN = re.compile(rf"[()]|(?<![{_ID_CHAR}])(?:begin|atomic|case|end)(?![{_ID_CHAR}])", re.I)


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


# --- Dialects ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Dialect:
    """The rules of one dialect over the shared lexer."""

    tokens: re.Pattern[str]
    closers: dict[str, _Closer]  # xq_* / xc_* group name -> closer
    body_gate: re.Pattern[str] | None = None  # statement prefix that may hold a block
    body: Callable[[], _Body] | None = None


_POSTGRESQL = _Dialect(
    _lexer(_SEMI, _ESCAPE_STRING, _STRING, _IDENT, _LINE_COMMENT, _NESTED_COMMENT, _DOLLAR),
    {"xc_nest": _close_nested_comment, "xq_dollar": _close_dollar},
    re.compile(
        rf"create{_SEP}(?:or{_SEP}replace{_SEP})?(?:function|procedure)(?![{_ID_CHAR}])",
        re.I,
    ),
    _AtomicBody,
)
_SQLITE = _Dialect(
    _lexer(_SEMI, _STRING, _IDENT, _BACKTICK, _BRACKET, _LINE_COMMENT, _BLOCK_COMMENT),
    {},
    re.compile(rf"create{_SEP}(?:temp(?:orary)?{_SEP})?trigger(?![{_ID_CHAR}])", re.I),
    _TriggerBody,
)
_GENERIC = _Dialect(
    _lexer(_SEMI, _STRING, _IDENT, _BACKTICK, _LINE_COMMENT, _BLOCK_COMMENT),
    {},
)
_DIALECTS = {"postgresql": _POSTGRESQL, "sqlite": _SQLITE}

_SIGNIFICANT = re.compile(r"\S")


def split_statements(script: str, dialect: str) -> list[Statement]:
    """Split `script` into its statements, in order, each with the line it starts on.

    `dialect` is "postgresql", "sqlite", or anything else for generic ANSI rules. A `;`
    ends a statement unless it is inside a quote, comment, parentheses or a BEGIN ATOMIC
    (PostgreSQL) / trigger (SQLite) body; text after the last `;` is a final statement
    unless it is only whitespace and comments. Raises `InputError` (with the line where
    it opens) for a quote, identifier, dollar quote or block comment that never closes.
    """
    rules = _DIALECTS.get(dialect.lower(), _GENERIC)
    search = rules.tokens.search
    gate, make_body = rules.body_gate, rules.body
    count = script.count
    n = len(script)
    out: list[Statement] = []
    # A byte-order mark is an encoding artefact, not SQL (Flyway drops it too).
    pos = 1 if script.startswith("\ufeff") else 0
    start = -1  # first significant char of the statement being read; -1: none yet
    parens = 0
    body: _Body | None = None
    # Line numbers are counted forward from the last statement start, never from 0.
    line, line_pos = 1, 0
    try:
        while True:
            m = search(script, pos)
            at, end = m.span() if m is not None else (n, n)
            # script[pos:at] is plain code: whitespace, words, operators, parentheses.
            if at > pos:
                if start < 0:
                    first = _SIGNIFICANT.search(script, pos, at)
                    if first is not None:
                        start = first.start()
                        if gate is not None and make_body is not None:
                            body = make_body() if gate.match(script, start) else None
                if body is not None:
                    body.feed(script, pos, at, parens)
                # Parentheses only matter at a `;`, so count them in C, not per token.
                opened = count("(", pos, at)
                if opened or parens:
                    parens += opened - count(")", pos, at)
                    if parens < 0:
                        parens = 0  # a stray `)`: psql does not go below 0 either
            if m is None:
                break
            pos = end
            kind = m.lastgroup
            assert kind is not None
            k = kind[0]
            if k == "q":
                if start < 0:
                    start = at
            elif k == "s":
                if start >= 0 and parens == 0 and (body is None or body.ends(script, start, at)):
                    line += count("\n", line_pos, start)
                    line_pos = start
                    out.append(Statement(script[start:at].rstrip(), line))
                    start, body = -1, None
            elif k == "x":
                if start < 0 and kind[1] == "q":
                    start = at
                pos = rules.closers[kind](script, at, pos)
            elif k == "b":
                raise _Unterminated(_UNTERMINATED[kind], at)
            # "c": a complete comment, nothing to do.
    except _Unterminated as exc:
        line += count("\n", line_pos, exc.at)
        raise InputError(str(exc), line=line) from None
    if start >= 0:
        # No `;` after the last statement (or its block/parentheses never closed): it is
        # still what the script says, so it runs and the database judges it.
        line += count("\n", line_pos, start)
        out.append(Statement(script[start:].rstrip(), line))
    return out


# One token of a single statement, for leading_words. String literals (with their
# prefixes, tried before the word rule so E'..' is not the word E), numbers and $1
# parameters are matched whole so that nothing inside them counts as a word.
_LEADING_TOKEN = re.compile(
    r"""
      (?P<block>/\*)
    | (?P<dollar>\$(?:[^\W\d]\w*)?\$)
    | (?P<ident>"(?:[^"]|"")*"?|`(?:[^`]|``)*`?)
    | --[^\n]*
    | [Ee]'(?:[^'\\]|\\.|'')*'?
    | (?:[BbXxNn]|[Uu]&)?'(?:[^']|'')*'?
    | (?P<word>[^\W\d][\w$]*)
    | \$?[0-9][\w.]*
    | \s+
    | .
    """,
    re.X | re.S,
)


def _skip_comment_leniently(sql: str, end: int) -> int:
    # Nested as in PostgreSQL; if that never closes (a non-nesting dialect whose comment
    # merely contains "/*"), the first */ closes it; if none does, it runs to the end.
    depth = 1
    for m in _COMMENT_EDGE.finditer(sql, end):
        depth += 1 if m.group() == "/*" else -1
        if depth == 0:
            return m.end()
    j = sql.find("*/", end)
    return len(sql) if j < 0 else j + 2


def leading_words(sql: str, count: int) -> list[str]:
    """The first `count` words of a statement, upper-cased, e.g. ['CREATE', 'INDEX'].

    Words are keywords and identifiers; comments, whitespace, punctuation, string
    literals and numbers are skipped. A quoted identifier ("x" or `x`) counts as a word
    but is returned verbatim, quotes included, so it never looks like a keyword. Used to
    classify statements (CREATE INDEX CONCURRENTLY cannot run in a transaction, ...).
    """
    words: list[str] = []
    pos, n = 0, len(sql)
    while len(words) < count and pos < n:
        m = _LEADING_TOKEN.match(sql, pos)
        assert m is not None  # the last alternative matches any character
        pos = m.end()
        kind = m.lastgroup
        if kind == "word":
            words.append(m.group().upper())
        elif kind == "ident":
            words.append(m.group())
        elif kind == "block":
            pos = _skip_comment_leniently(sql, pos)
        elif kind == "dollar":
            j = sql.find(m.group(), pos)
            pos = n if j < 0 else j + len(m.group())
    return words


def terminated(sql: str) -> str:
    """`sql` ended with `;` for a script; on a line of its own when the statement's last
    line holds a `--` comment, which would otherwise swallow it."""
    body = sql.rstrip()
    return body + ("\n;" if "--" in body.rsplit("\n", 1)[-1] else ";")
