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

import re

from dbci.errors import InputError
from dbci.sqlsplit.dialects import rules_for
from dbci.sqlsplit.lexer import COMMENT_EDGE, Body, Malformed
from dbci.sqlsplit.statement import Statement

__all__ = ["WINDOW_BYTES", "leading_words", "split_statements", "split_windows", "terminated"]


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
    rules = rules_for(dialect)
    search = rules.tokens.search
    gate, make_body = rules.body_gate, rules.body
    copy, copy_first, copy_data = rules.copy, rules.copy_first, rules.copy_data
    count = script.count
    n = len(script)
    out: list[Statement] = []
    # A byte-order mark is an encoding artefact, not SQL (Flyway drops it too).
    pos = 1 if script.startswith("\ufeff") else 0
    start = -1  # first significant char of the statement being read; -1: none yet
    parens = 0
    body: Body | None = None
    # Line numbers are counted forward from the last statement start, never from 0.
    line, line_pos = 1, 0
    try:
        if rules.first_line is not None:
            command = rules.first_line.match(script, pos)
            if command is not None:
                # Nothing comes before it, so only the command itself has an effect.
                eol = script.find("\n", pos)
                eol = n if eol < 0 else eol
                assert rules.command is not None
                changed = rules.command(script, pos, eol)[0]
                if changed is not None:
                    rules = changed
                    search, gate, make_body = rules.tokens.search, rules.body_gate, rules.body
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
                        and script[start] in copy_first
                        and copy.match(script, start, stop)
                    ):
                        # Its data is neither split nor lexed: the search goes on after it.
                        assert copy_data is not None
                        data, data_end, pos = copy_data(script, start, at)
                        out.append(Statement.at(script, start, stop, line, 1, data, data_end))
                    else:
                        out.append(Statement.at(script, start, stop, line))
                    start, body = -1, None
            elif k == "x":
                if start < 0 and kind[1] == "q":
                    start = at
                pos = rules.closers[kind](script, at, pos)
            elif k == "b":
                raise Malformed(rules.unterminated[kind], at)
            elif k != "c":
                # A custom delimiter, or a DELIMITER / GO line: the statement (batch) so
                # far ends here whatever its parentheses and blocks, as in the clients.
                repeat = 1
                if k != "e":
                    pos = script.find("\n", end)
                    pos = n if pos < 0 else pos
                    assert rules.command is not None
                    changed, repeat = rules.command(script, end, pos)
                    if changed is not None:
                        rules = changed
                        search, gate = rules.tokens.search, rules.body_gate
                        make_body = rules.body
                if start >= 0:
                    line += count("\n", line_pos, start)
                    line_pos = start
                    end = _stripped(script, start, at)
                    out.append(Statement.at(script, start, end, line, repeat))
                start, body, parens = -1, None, 0
            # "c": a complete comment, nothing to do.
    except Malformed as exc:
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


# A large script is decoded and split this many bytes at a time (split_windows).
WINDOW_BYTES = 8 << 20


def split_windows(data: bytes, dialect: str, window: int = WINDOW_BYTES) -> list[Statement]:
    """`split_statements` of UTF-8 `data`, decoded a window at a time: the statements are
    places in `data` (byte offsets), and its text is never held whole.

    For a large script whose text Python would hold at four bytes a character (one
    character beyond the Basic Multilingual Plane, an emoji, anywhere in it makes the whole
    `str` so, and every statement's that holds one): the script is held once, as its bytes.
    Windows end at a line's end; each gives the statements that end in it, and the next
    starts where the last of them ended. A statement longer than a window widens it. Not
    for MySQL scripts with DELIMITER lines, whose terminator is state carried along."""
    rules = rules_for(dialect)
    if rules.stateful_line is not None and rules.stateful_line.search(data):
        raise ValueError(f"split_windows cannot carry {rules.stateful_what} from window to window")
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
    for m in COMMENT_EDGE.finditer(sql, end):
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
