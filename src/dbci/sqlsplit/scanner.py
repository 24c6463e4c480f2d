"""Split a migration script into statements, the way psql, sqlite3, mysql, sqlcmd and Flyway do.

One shared lexer walks the script with a single compiled regex that stops only where the
meaning of a `;` can change: a `;`, a quote, a comment, a dollar quote. Whole quotes and
comments are matched by the regex itself, so the Python loop runs once per token and the
plain code in between is never looked at character by character. A dialect is a small
set of rules over that lexer: its token alternatives, plus an optional "body" rule for
statements whose `;`s may sit inside a BEGIN ... END block.

Two client commands live on lines of their own: MySQL's `DELIMITER xx` (the terminator
from then on) and T-SQL's `GO [count]` (the end of a batch; T-SQL never splits on `;`).
Their alternatives start at the newline before such a line, so ordinary lines cost the
regex one failed look-ahead in C; the script's first line is checked once, up front.

Like psql and Flyway, a `;` inside parentheses does not end a statement (PostgreSQL's
multi-action `CREATE RULE ... DO (INSERT ...; INSERT ...)` depends on it).

PostgreSQL's `COPY ... FROM STDIN;` (pg_dump's data) is followed by its data, up to a line
`\\.`: the lexer does not look at it, and the statement carries it (`Statement.copy_data`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Protocol

from dbci.errors import InputError

__all__ = [
    "Statement",
    "copy_row_line",
    "leading_words",
    "split_statements",
    "split_windows",
]


class Statement:
    """One statement of a script.

    `sql` is the text exactly as in the script, from its first significant character
    (comments and whitespace before it skipped) to just before its terminating `;`, with
    trailing whitespace stripped; comments inside it are kept. `line` is the 1-based line
    of the script on which `sql` starts. `repeat` is how many times it runs in a row:
    a T-SQL batch ended by `GO 5` runs 5 times; every other statement runs once.

    A statement the splitter makes points into its script (`at`): the script is held once,
    however many statements it has, and `sql` is cut from it when asked for. A migration of
    a million INSERTs costs its text and a few ints per statement, not its text twice. The
    script may be UTF-8 bytes (`split_windows`): the offsets are then bytes, and `sql` is
    decoded when asked for.

    A PostgreSQL `COPY … FROM STDIN` carries its inline data (`copy_data`): the lines
    after it up to the `\\.` line, kept as a place in the script too. `sql` is then the
    COPY command alone; `written` is the command, its data and the `\\.` line as written.
    """

    __slots__ = ("_text", "_start", "_end", "_data", "_data_end", "line", "repeat")

    _text: str | bytes
    _start: int
    _end: int
    _data: int  # where a COPY's inline data starts in `_text`; -1: no COPY … FROM STDIN
    _data_end: int  # where its `\\.` line starts
    line: int
    repeat: int

    def __init__(
        self, sql: str, line: int, repeat: int = 1, *, copy_data: str | None = None
    ) -> None:
        if copy_data is None:
            _set(self, "_text", sql)
            _set(self, "_data", -1)
            _set(self, "_data_end", -1)
        else:  # as a script writes it: the command, its data, the end-of-data line
            _set(self, "_text", f"{sql};\n{copy_data}\\.")
            _set(self, "_data", len(sql) + 2)
            _set(self, "_data_end", len(sql) + 2 + len(copy_data))
        _set(self, "_start", 0)
        _set(self, "_end", len(sql))
        _set(self, "line", line)
        _set(self, "repeat", repeat)

    @classmethod
    def at(
        cls,
        script: str | bytes,
        start: int,
        end: int,
        line: int,
        repeat: int = 1,
        data: int = -1,
        data_end: int = -1,
    ) -> Statement:
        """The statement `script[start:end]`, kept as a place in `script`; for a COPY …
        FROM STDIN, its data is `script[data:data_end]`."""
        statement = cls.__new__(cls)
        _set(statement, "_text", script)
        _set(statement, "_start", start)
        _set(statement, "_end", end)
        _set(statement, "_data", data)
        _set(statement, "_data_end", data_end)
        _set(statement, "line", line)
        _set(statement, "repeat", repeat)
        return statement

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Statement does not change: cannot set {name}")

    @property
    def sql(self) -> str:
        text = self._text
        if isinstance(text, bytes):
            return text[self._start : self._end].decode("utf-8")
        if self._start == 0 and self._end == len(text):
            return text
        return text[self._start : self._end]

    def head(self, length: int) -> str:
        """The statement's first `length` characters (no copy of the rest)."""
        text = self._text
        if isinstance(text, bytes):  # at most 4 bytes a character; a cut one is dropped
            piece = text[self._start : min(self._end, self._start + 4 * length)]
            return piece.decode("utf-8", errors="ignore")[:length]
        return text[self._start : min(self._end, self._start + length)]

    @property
    def is_copy(self) -> bool:
        """Whether this is a PostgreSQL `COPY … FROM STDIN` with inline data."""
        return self._data >= 0

    @property
    def copy_data(self) -> str | None:
        """A `COPY … FROM STDIN`'s inline data as written (each line with its line break,
        the `\\.` line not included); None for any other statement."""
        if self._data < 0:
            return None
        text = self._text
        if isinstance(text, bytes):
            return text[self._data : self._data_end].decode("utf-8")
        return text[self._data : self._data_end]

    @property
    def data_line(self) -> int | None:
        """The script line of a `COPY … FROM STDIN`'s first data line; None for others."""
        if self._data < 0:
            return None
        text = self._text
        if isinstance(text, bytes):
            return self.line + text.count(b"\n", self._start, self._data)
        return self.line + text.count("\n", self._start, self._data)

    @property
    def written(self) -> str:
        """The statement as the script writes it, for a client (psql) to run: `sql`, or a
        COPY … FROM STDIN with its `;`, its data and its `\\.` line, exactly as written."""
        if self._data < 0:
            return self.sql
        text = self._text
        if isinstance(text, bytes):
            stop = text.find(b"\n", self._data_end)
            return text[self._start : len(text) if stop < 0 else stop].decode("utf-8")
        stop = text.find("\n", self._data_end)
        return text[self._start : len(text) if stop < 0 else stop]

    def __len__(self) -> int:
        return self._end - self._start

    def _key(self) -> tuple[str, int, int, str | None]:
        return (self.sql, self.line, self.repeat, self.copy_data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Statement):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        data = "" if self._data < 0 else f", copy_data={self.copy_data!r}"
        return f"Statement(sql={self.sql!r}, line={self.line!r}, repeat={self.repeat!r}{data})"


_set = object.__setattr__


class _Malformed(Exception):
    """A quote or comment that never closes, or a malformed client command (DELIMITER,
    GO); `at` is where it starts in the script (turned into a line)."""

    def __init__(self, what: str, at: int) -> None:
        super().__init__(what)
        self.at = at


# --- Token alternatives -----------------------------------------------------------------
# Every alternative starts with a literal character and names its kind in a group placed
# after that character: the regex engine then builds a first-character set and skips plain
# code at C speed (a group or class at the head of an alternative disables that). Group
# names: s = statement end, q_* = complete quote (significant), c_* = complete comment,
# xq_* / xc_* = quote / comment opener finished by a closer function, b_* = opener that
# never closes, e = a custom MySQL delimiter, d_* / g_* = a DELIMITER / GO line ahead.

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
    rf"{_ESCAPE_HEAD}(?P<q_esc>[^'\\]*(?:(?:\\[\s\S]|'')[^'\\]*)*')|{_ESCAPE_HEAD}(?P<b_esc>)"
)
# $tag$ with an empty or identifier-like tag; $1 is a parameter, a$b$ an identifier.
_DOLLAR = rf"\$(?<![{_ID_CHAR}]\$)(?P<xq_dollar>(?:[{_ID_START}][{_TAG_CHAR}]*)?\$)"

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

# T-SQL: [bracketed] identifiers with ]] for a ], block comments nest, and `GO [count]`
# on a line of its own ends a batch (GOTO, GO. or GO( are no separator). Possessive, so
# that [a]] cannot backtrack into the identifier [a] and a stray ].
_TSQL_BRACKET = r"\[(?P<q_tbr>[^\]]*+(?:\]\][^\]]*+)*+\])|\[(?P<b_br>)"
_GO_AHEAD = r"[ \t]*[Gg][Oo](?![^\s-])"
_GO_LINE = rf"\n(?={_GO_AHEAD})(?P<g_go>)"

_UNTERMINATED = {
    "b_str": "unterminated quoted string",
    "b_esc": "unterminated quoted string",
    "b_mstr": "unterminated quoted string",
    "b_mdq": "unterminated quoted string",
    "b_id": "unterminated quoted identifier",
    "b_bt": "unterminated quoted identifier",
    "b_br": "unterminated quoted identifier",
    "b_block": "unterminated block comment",
}


def _lexer(*alternatives: str) -> re.Pattern[str]:
    # Order matters where alternatives share a first character: complete before broken.
    return re.compile("|".join(alternatives))


# A closer gets (script, opener start, opener end) and returns the index just past the
# construct, or raises _Malformed. Only rare openers need one.
_Closer = Callable[[str, int, int], int]


def _close_dollar(script: str, at: int, end: int) -> int:
    # The body of $tag$...$tag$ is opaque: only the identical tag closes it.
    tag = script[at:end]
    j = script.find(tag, end)
    if j < 0:
        raise _Malformed(f"unterminated dollar-quoted string ({tag})", at)
    return j + len(tag)


_COMMENT_EDGE = re.compile(r"/\*|\*/")


def _close_nested_comment(script: str, at: int, end: int) -> int:
    # PostgreSQL nests block comments: /* a /* b */ c */ is one comment.
    depth = 1
    for m in _COMMENT_EDGE.finditer(script, end):
        depth += 1 if m.group() == "/*" else -1
        if depth == 0:
            return m.end()
    raise _Malformed("unterminated block comment", at)


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


# MySQL's blanks and comments between two words (an executable comment counts as one).
_MY_SEP = r"(?:\s|#[^\n]*+|--(?!\S)[^\n]*+|/\*[\s\S]*?\*/)++"
_MY_GAP = rf"(?:{_MY_SEP})?"
# Keywords of compound statements, not glued to a word, a `.` (t.end is a column) or an
# `@` (@if is a variable). Commas are looked for only while an IF( is undecided.
_COMPOUND_WORDS = rf"(?<![{_ID_CHAR}])(?<![.@])(?:begin|end|if|case|loop|while|repeat|for)"
_COMPOUND_TOKEN = re.compile(rf"[()]|{_COMPOUND_WORDS}(?![{_ID_CHAR}])", re.I)
_COMPOUND_TOKEN_COMMA = re.compile(rf"[(),]|{_COMPOUND_WORDS}(?![{_ID_CHAR}])", re.I)
_END_OF = re.compile(rf"{_MY_GAP}(?:if|loop|while|repeat|case|for)(?![{_ID_CHAR}])", re.I)
_NO_BLOCK_AFTER_BEGIN = re.compile(rf"{_MY_GAP}(?:work(?![{_ID_CHAR}])|;)", re.I)
_AFTER_IF = re.compile(
    rf"{_MY_GAP}(?:(?P<exists>(?:not{_MY_SEP})?exists(?![{_ID_CHAR}]){_MY_GAP}(?P<query>\()?)"
    rf"|(?P<paren>\())",
    re.I,
)
_OPEN_PAREN = re.compile(rf"{_MY_GAP}\(")
_FOR_LOOP = re.compile(rf"{_MY_SEP}[{_ID_START}][{_ID_CHAR}]*+{_MY_SEP}in(?![{_ID_CHAR}])", re.I)


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


# --- Dialects ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Dialect:
    """The rules of one dialect over the shared lexer."""

    tokens: re.Pattern[str]
    closers: dict[str, _Closer]  # xq_* / xc_* group name -> closer
    body_gate: re.Pattern[str] | None = None  # statement prefix that may hold a block
    body: Callable[[], _Body] | None = None
    # A client command on the script's first line, where no newline announces it; the
    # match's lastgroup names it as the tokens' d_* / g_* alternative would.
    first_line: re.Pattern[str] | None = None
    # A statement whose data follows it in the script, up to a `\\.` line (PostgreSQL's
    # COPY … FROM STDIN).
    copy: re.Pattern[str] | None = None


# PostgreSQL's `COPY … FROM STDIN`, as Flyway's PostgreSQLParser tells it
# (COPY_FROM_STDIN_REGEX, "^COPY( .*)? FROM STDIN" over the statement's words): the lines
# after its `;` are its data, not SQL, up to the first line that is `\\.` once trimmed
# (PostgreSQLParser.readCopyData). FROM 'file' and TO STDOUT have no inline data.
_COPY_FROM_STDIN = re.compile(
    rf"copy(?![{_ID_CHAR}])[\s\S]*?(?<![{_ID_CHAR}])from{_SEP}stdin(?![{_ID_CHAR}])", re.I
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
        raise _Malformed(
            "COPY … FROM STDIN must end its line: its data starts on the next line (text "
            "after the ; would be dropped by Flyway and run by psql)",
            semi,
        )
    data = rest.end()
    end = _COPY_END.search(script, data)
    if end is None:
        raise _Malformed("unterminated COPY … FROM STDIN data: no \\. line ends it", start)
    return data, end.start(), end.end()


_POSTGRESQL = _Dialect(
    _lexer(_SEMI, _ESCAPE_STRING, _STRING, _IDENT, _LINE_COMMENT, _NESTED_COMMENT, _DOLLAR),
    {"xc_nest": _close_nested_comment, "xq_dollar": _close_dollar},
    re.compile(
        rf"create{_SEP}(?:or{_SEP}replace{_SEP})?(?:function|procedure)(?![{_ID_CHAR}])",
        re.I,
    ),
    _AtomicBody,
    copy=_COPY_FROM_STDIN,
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

# Everything a MySQL lexer needs besides its terminator.
_MY_TOKENS = (
    _MY_STRING,
    _MY_DQ_STRING,
    _BACKTICK,
    _MY_LINE_COMMENT,
    _HASH_COMMENT,
    _EXECUTABLE_COMMENT,  # before the plain block comment: both start with /*
    _BLOCK_COMMENT,
    _DELIMITER_LINE,
)
# DEFINER = 'user'@'host' | `user`@`host` | user@host | CURRENT_USER[()]
_MY_QUOTED = r"""'(?:[^'\\]|\\[\s\S]|'')*+'|"(?:[^"\\]|\\[\s\S]|"")*+"|`(?:[^`]|``)*+`"""
_MY_NAME = rf"(?:{_MY_QUOTED}|[^\s'\"`@=();#]++)"
_MY_DEFINER = (
    rf"definer{_MY_GAP}={_MY_GAP}{_MY_NAME}(?:{_MY_GAP}@{_MY_GAP}{_MY_NAME})?"
    rf"(?:{_MY_GAP}\({_MY_GAP}\))?{_MY_SEP}"
)
_MYSQL = _Dialect(
    _lexer(_SEMI, *_MY_TOKENS),
    {},
    re.compile(
        rf"create{_MY_SEP}(?:or{_MY_SEP}replace{_MY_SEP})?(?:{_MY_DEFINER})?"
        rf"(?:aggregate{_MY_SEP})?(?:procedure|function|trigger|event)(?![{_ID_CHAR}])"
        rf"|begin{_MY_SEP}not{_MY_SEP}atomic(?![{_ID_CHAR}])",  # MariaDB's anonymous block
        re.I,
    ),
    _CompoundBody,
    re.compile(rf"(?={_DELIMITER_AHEAD})(?P<d_delimiter>)"),
)
_TSQL = _Dialect(
    # No `;` alternative: T-SQL sends a whole batch, `;`s and all, to the server.
    _lexer(_STRING, _IDENT, _TSQL_BRACKET, _LINE_COMMENT, _NESTED_COMMENT, _GO_LINE),
    {"xc_nest": _close_nested_comment},
    first_line=re.compile(rf"(?={_GO_AHEAD})(?P<g_go>)"),
)
_DIALECTS = {
    "postgresql": _POSTGRESQL,
    "sqlite": _SQLITE,
    "mysql": _MYSQL,
    "mariadb": _MYSQL,
    "mssql": _TSQL,
    "sqlserver": _TSQL,
}


@lru_cache(maxsize=16)
def _mysql_delimited_by(delimiter: str) -> _Dialect:
    """The MySQL rules after `DELIMITER <delimiter>`: that text ends a statement wherever it
    stands outside quotes and comments (parentheses and blocks do not matter, as in the
    mysql client), and `;` is plain code."""
    if delimiter == ";":
        return _MYSQL
    # First: the mysql client looks for the delimiter before it looks for a comment.
    return replace(_MYSQL, tokens=_lexer(re.escape(delimiter) + "(?P<e>)", *_MY_TOKENS), body=None)


_DELIMITER_COMMAND = re.compile(r"[ \t]*delimiter[ \t]*(\S*)[ \t\r]*(.*)", re.I)
_GO_COMMAND = re.compile(r"[ \t]*go[ \t]*([^-]*?)[ \t\r]*(?:--.*)?", re.I)


def _new_delimiter(script: str, begin: int, eol: int) -> str:
    """The delimiter a `DELIMITER xx` line (from `begin` to `eol`) sets."""
    m = _DELIMITER_COMMAND.fullmatch(script, begin, eol)
    assert m is not None  # the lexer only stops at a line that starts with DELIMITER
    delimiter, rest = m.groups()
    if len(delimiter) > 2 and delimiter[0] == delimiter[-1] and delimiter[0] in "'\"`":
        delimiter = delimiter[1:-1]  # DELIMITER '$$', as the mysql client allows
    if not delimiter:
        raise _Malformed(
            "DELIMITER must be followed by the new delimiter, e.g. DELIMITER $$", begin
        )
    if "\\" in delimiter:
        raise _Malformed(f"DELIMITER cannot contain a backslash: {delimiter}", begin)
    if rest and not rest.startswith("#") and re.match(r"--(?!\S)", rest) is None:
        # The mysql client would ignore it and Flyway would make it part of the delimiter:
        # neither is what the author meant.
        raise _Malformed(f"DELIMITER takes one delimiter, not {delimiter} {rest.rstrip()}", begin)
    return delimiter


def _go_count(script: str, begin: int, eol: int) -> int:
    """How many times to run the batch a `GO [count]` line (from `begin` to `eol`) ends."""
    m = _GO_COMMAND.fullmatch(script, begin, eol)
    count = m.group(1) if m is not None else script[begin:eol].strip()[2:].strip()
    if not count:
        return 1
    if count.isascii() and count.isdigit() and int(count) > 0:
        return int(count)
    raise _Malformed(f"GO must be followed by a count of at least 1, not {count}", begin)


_SIGNIFICANT = re.compile(r"\S")


def split_statements(script: str, dialect: str, *, partial: bool = False) -> list[Statement]:
    """Split `script` into its statements, in order, each with the line it starts on.

    `dialect` is "postgresql", "sqlite", "mysql" (or "mariadb"), "mssql" (or "sqlserver"),
    or anything else for generic ANSI rules. A `;` ends a statement unless it is inside a
    quote, comment, parentheses or a block: BEGIN ATOMIC (PostgreSQL), a trigger body
    (SQLite), a stored program's BEGIN ... END or compound statement (MySQL). MySQL's
    `DELIMITER xx` lines change the terminator. T-SQL splits only at `GO [count]` lines,
    each batch a Statement with `repeat` = count. A PostgreSQL `COPY … FROM STDIN;` takes
    the lines after it up to a `\\.` line as its data (`copy_data`), unsplit and unlexed;
    one without that line is an `InputError`. Text after the last terminator is a
    final statement unless it is only whitespace and comments. Raises `InputError` (with
    the line where it starts) for a quote, identifier, dollar quote or block comment that
    never closes, and for a malformed DELIMITER or GO line.

    `partial`: `script` is a piece of a longer script (`split_windows`): only the
    statements that end in it are returned, and one cut off by its end (an unterminated
    quote included) is left for the next piece.
    """
    rules = _DIALECTS.get(dialect.lower(), _GENERIC)
    search = rules.tokens.search
    gate, make_body = rules.body_gate, rules.body
    copy = rules.copy
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
        if rules.first_line is not None:
            command = rules.first_line.match(script, pos)
            if command is not None:
                # Nothing comes before it, so only the command itself has an effect.
                eol = script.find("\n", pos)
                eol = n if eol < 0 else eol
                if command.lastgroup == "d_delimiter":
                    rules = _mysql_delimited_by(_new_delimiter(script, pos, eol))
                    search, gate, make_body = rules.tokens.search, rules.body_gate, rules.body
                else:
                    _go_count(script, pos, eol)
                pos = eol
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
                    stop = _stripped(script, start, at)
                    if (
                        copy is not None
                        and script[start] in "cC"
                        and copy.match(script, start, stop)
                    ):
                        # Its data is neither split nor lexed: the search goes on after it.
                        data, data_end, pos = _copy_block(script, start, at)
                        out.append(Statement.at(script, start, stop, line, 1, data, data_end))
                    else:
                        out.append(Statement.at(script, start, stop, line))
                    start, body = -1, None
            elif k == "x":
                if start < 0 and kind[1] == "q":
                    start = at
                pos = rules.closers[kind](script, at, pos)
            elif k == "b":
                raise _Malformed(_UNTERMINATED[kind], at)
            elif k != "c":
                # A custom delimiter, or a DELIMITER / GO line: the statement (batch) so
                # far ends here whatever its parentheses and blocks, as in the clients.
                repeat = 1
                if k != "e":
                    pos = script.find("\n", end)
                    pos = n if pos < 0 else pos
                    if k == "d":
                        rules = _mysql_delimited_by(_new_delimiter(script, end, pos))
                        search, gate = rules.tokens.search, rules.body_gate
                        make_body = rules.body
                    else:
                        repeat = _go_count(script, end, pos)
                if start >= 0:
                    line += count("\n", line_pos, start)
                    line_pos = start
                    end = _stripped(script, start, at)
                    out.append(Statement.at(script, start, end, line, repeat))
                start, body, parens = -1, None, 0
            # "c": a complete comment, nothing to do.
    except _Malformed as exc:
        if partial and str(exc).startswith("unterminated"):
            return out  # it may end in the next piece
        line += count("\n", line_pos, exc.at)
        raise InputError(str(exc), line=line) from None
    if start >= 0 and not partial:
        # No `;` after the last statement (or its block/parentheses never closed): it is
        # still what the script says, so it runs and the database judges it.
        line += count("\n", line_pos, start)
        out.append(Statement.at(script, start, _stripped(script, start, n), line))
    return out


# The formats whose data lines PostgreSQL numbers as they are written (COPY's CSV).
_COPY_CSV = re.compile(rf"stdin(?![{_ID_CHAR}])[\s\S]*?(?<![{_ID_CHAR}])csv(?![{_ID_CHAR}])", re.I)


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


# A large script is decoded and split this many bytes at a time (split_windows).
WINDOW_BYTES = 8 << 20
_MYSQL_DELIMITER_LINE = re.compile(rb"(?im)^[ \t]*delimiter\b")


def split_windows(data: bytes, dialect: str, window: int = WINDOW_BYTES) -> list[Statement]:
    """`split_statements` of UTF-8 `data`, decoded a window at a time: the statements are
    places in `data` (byte offsets), and its text is never held whole.

    For a large script whose text Python would hold at four bytes a character (one
    character beyond the Basic Multilingual Plane, an emoji, anywhere in it makes the whole
    `str` so, and every statement's that holds one): the script is held once, as its bytes.
    Windows end at a line's end; each gives the statements that end in it, and the next
    starts where the last of them ended. A statement longer than a window widens it. Not
    for MySQL scripts with DELIMITER lines, whose terminator is state carried along."""
    if dialect.lower() in ("mysql", "mariadb") and _MYSQL_DELIMITER_LINE.search(data):
        raise ValueError("split_windows cannot carry MySQL's DELIMITER from window to window")
    out: list[Statement] = []
    n, begin, lines, size = len(data), 0, 0, window
    while begin < n:
        end = min(n, begin + size)
        last = end >= n
        if not last:
            newline = data.rfind(b"\n", begin, end)  # never inside a UTF-8 sequence
            if newline < begin:
                size *= 2
                continue
            end = newline + 1
        text = data[begin:end].decode("utf-8")
        try:
            found = split_statements(text, dialect, partial=not last)
        except InputError as exc:
            if exc.line is not None:
                exc.line += lines
            raise
        if not last and not found:  # one statement longer than the window
            size *= 2
            continue
        # From places in the window's text to places in `data`: the text between them
        # encoded once, statement after statement.
        chars, at = 0, begin
        for statement in found:
            start = at + len(text[chars : statement._start].encode("utf-8"))
            end = start + len(text[statement._start : statement._end].encode("utf-8"))
            line = statement.line + lines
            chars, at = statement._end, end
            if statement._data < 0:
                out.append(Statement.at(data, start, end, line, statement.repeat))
                continue
            # A COPY … FROM STDIN: its data too, and the next window starts after its `\\.`.
            copied = at + len(text[chars : statement._data].encode("utf-8"))
            copied_end = copied + len(text[statement._data : statement._data_end].encode("utf-8"))
            out.append(Statement.at(data, start, end, line, 1, copied, copied_end))
            stop = text.find("\n", statement._data_end)
            stop = len(text) if stop < 0 else stop
            chars, at = stop, copied_end + len(text[statement._data_end : stop].encode("utf-8"))
        if last:
            break
        lines += data.count(b"\n", begin, at)
        begin, size = at, window
    return out


# One token of a single statement, for leading_words. String literals (with their
# prefixes, tried before the word rule so E'..' is not the word E), numbers and $1
# parameters are matched whole so that nothing inside them counts as a word.
# A `#` followed by a blank starts a MySQL comment; `#tmp` (a T-SQL temporary table)
# and PostgreSQL's `#` operator glued to its operand stay what they were.
_LEADING_TOKEN = re.compile(
    r"""
      (?P<block>/\*)
    | (?P<dollar>\$(?:[^\W\d]\w*)?\$)
    | (?P<ident>"(?:[^"]|"")*"?|`(?:[^`]|``)*`?)
    | --[^\n]*
    | \#(?!\S)[^\n]*
    | [Ee]'(?:[^'\\]|\\.|'')*'?
    | (?:[BbXxNn]|[Uu]&)?'(?:[^']|'')*'?
    | (?P<word>[^\W\d][\w$]*)
    | \$?[0-9][\w.]*
    | \s+
    | .
    """,
    re.X | re.S,
)


def _stripped(script: str, start: int, end: int) -> int:
    """Where `script[start:end]` ends once trailing whitespace is dropped (as `rstrip`)."""
    while end > start and script[end - 1].isspace():
        end -= 1
    return end


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
