"""T-SQL's rules (SQL Server): a script is split into batches at `GO [count]` lines, as
sqlcmd does, never at `;`; [bracketed] identifiers take ]] for a ], and block comments nest."""

from __future__ import annotations

import re

from dbci.sqlsplit.lexer import (
    IDENT,
    LINE_COMMENT,
    NESTED_COMMENT,
    STRING,
    Dialect,
    Malformed,
    close_nested_comment,
    lexer,
)

# T-SQL: [bracketed] identifiers with ]] for a ], block comments nest, and `GO [count]`
# on a line of its own ends a batch (GOTO, GO. or GO( are no separator). Possessive, so
# that [a]] cannot backtrack into the identifier [a] and a stray ].
_TSQL_BRACKET = r"\[(?P<q_tbr>[^\]]*+(?:\]\][^\]]*+)*+\])|\[(?P<b_br>)"
_GO_AHEAD = r"[ \t]*[Gg][Oo](?![^\s-])"
_GO_LINE = rf"\n(?={_GO_AHEAD})(?P<g_go>)"
_GO_COMMAND = re.compile(r"[ \t]*go[ \t]*([^-]*?)[ \t\r]*(?:--.*)?", re.I)


def _go_count(script: str, begin: int, eol: int) -> int:
    """How many times to run the batch a `GO [count]` line (from `begin` to `eol`) ends."""
    m = _GO_COMMAND.fullmatch(script, begin, eol)
    count = m.group(1) if m is not None else script[begin:eol].strip()[2:].strip()
    if not count:
        return 1
    if count.isascii() and count.isdigit() and int(count) > 0:
        return int(count)
    raise Malformed(f"GO must be followed by a count of at least 1, not {count}", begin)


def _go_line(script: str, begin: int, eol: int) -> tuple[None, int]:
    """A `GO [count]` line: the same rules, and the batch it ends runs `count` times."""
    return None, _go_count(script, begin, eol)


TSQL = Dialect(
    # No `;` alternative: T-SQL sends a whole batch, `;`s and all, to the server.
    lexer(STRING, IDENT, _TSQL_BRACKET, LINE_COMMENT, NESTED_COMMENT, _GO_LINE),
    {"xc_nest": close_nested_comment},
    first_line=re.compile(rf"(?={_GO_AHEAD})(?P<g_go>)"),
    command=_go_line,
)
