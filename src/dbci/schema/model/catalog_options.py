"""Generic options (`OPTIONS (name 'value', …)`) of foreign data wrappers, servers, user
mappings and foreign tables, changed in place rather than by dropping the object.

Dropping a server drops its user mappings (and the passwords dbci never reads) and
foreign tables with it; `ALTER … OPTIONS (DROP a, SET b '…', ADD c '…')` keeps them. The
snapshot writes an object's create statement ending in its OPTIONS list, then, for the
options whose names look secret, a comment naming them (`/* secret options, not read:
password */`): their values are never read. `options_change` reads both back from the
statements the snapshot wrote and works out the ALTER.

PostgreSQL keeps options in the order they were given (ADD appends, SET keeps the place):
the ALTER drops and adds again those that must move, so that the object ends up as B's
(pg_dump writes them in that order). A secret option that B has and A lacks cannot be
added: its value was never read; the statement says so (where nothing else changes, a
`DO` block that raises a warning naming it) and a diff keeps finding it until it is set
by hand. A user mapping whose options the reading role may not see is written without
them, with a note (`/* options not read: … */`): it is compared by existence only
(`options_unknown`), never altered from what could not be read.

Besides its options, ALTER changes a server's VERSION and a wrapper's HANDLER and
VALIDATOR in place (`_header_change`); anything else (a server's TYPE or wrapper) makes
the object be created again, and with it what hangs on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dbci.schema.model.base import quote_literal

# The tokens of a statement the snapshot wrote: quoted names, string constants (with E''
# escapes), comments, parentheses and commas, and words.
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<quoted>"(?:[^"]|"")*")
    | (?P<string>[Ee]'(?:[^'\\]|''|\\.)*'|'(?:[^']|'')*')
    | (?P<comment>/\*.*?\*/)
    | (?P<punct>[(),])
    | (?P<word>[^\s(),'"]+)
    )""",
    re.VERBOSE | re.DOTALL,
)
_SECRET_NOTE = "/* secret options, not read: "
_UNREAD_NOTE = "/* options not read: "
_STRING = r"(?:[Ee]'(?:[^'\\]|''|\\.)*'|'(?:[^']|'')*')"
_IDENT = r'(?:"(?:[^"]|"")*"|[^\s."]+)'
# The create statements of a server and of a wrapper as their queries write them before
# the OPTIONS: what ALTER can change in place (VERSION, HANDLER, VALIDATOR) and what not.
_SERVER = re.compile(
    rf"CREATE SERVER (?P<name>{_IDENT})(?P<type> TYPE {_STRING})?"
    rf"(?: VERSION (?P<version>{_STRING}))?(?P<wrapper> FOREIGN DATA WRAPPER {_IDENT})",
    re.DOTALL,
)
_WRAPPER = re.compile(
    rf"CREATE FOREIGN DATA WRAPPER (?P<name>{_IDENT})"
    rf"(?: HANDLER (?P<handler>{_IDENT}\.{_IDENT}))?"
    rf"(?: VALIDATOR (?P<validator>{_IDENT}\.{_IDENT}))?",
    re.DOTALL,
)


@dataclass(frozen=True)
class _Parsed:
    """A create statement split into what is not options (`rest`), its options in order
    (name, value as written), the names of its secret options, and whether its options
    could not be read at all (`unknown`)."""

    rest: str
    options: tuple[tuple[str, str], ...]
    secrets: tuple[str, ...]
    unknown: bool = False


def _parse(statement: str) -> _Parsed | None:
    """The options clause at the statement's top level, last of all (before the secret
    note), or None when it cannot be read as one."""
    tokens: list[tuple[str, str, int, int]] = []  # (group, text, start, end)
    position = 0
    while position < len(statement):
        match = _TOKEN.match(statement, position)
        if match is None or match.end() == position:
            if statement[position:].strip():
                return None
            break
        group = match.lastgroup or ""
        tokens.append((group, match.group(group), match.start(group), match.end()))
        position = match.end()
    secrets: tuple[str, ...] = ()
    end = len(statement)
    if tokens and tokens[-1][0] == "comment" and tokens[-1][1].startswith(_UNREAD_NOTE):
        return _Parsed(statement[: tokens[-1][2]].rstrip(), (), (), unknown=True)
    if tokens and tokens[-1][0] == "comment" and tokens[-1][1].startswith(_SECRET_NOTE):
        names = tokens[-1][1][len(_SECRET_NOTE) : -2].strip()
        secrets = tuple(n.strip() for n in names.split(", ") if n.strip())
        end = tokens[-1][2]
        tokens.pop()
    # The last top-level OPTIONS followed by "(" and its list, ending the statement.
    depth, start = 0, None
    for index, (group, text, _, _) in enumerate(tokens):
        if group == "punct":
            depth += {"(": 1, ")": -1}.get(text, 0)
        elif depth == 0 and group == "word" and text == "OPTIONS":
            if index + 1 < len(tokens) and tokens[index + 1][1] == "(":
                start = index
    if start is None:
        return _Parsed(statement[:end].rstrip(), (), secrets)
    options: list[tuple[str, str]] = []
    items = tokens[start + 2 :]
    while items:
        if len(items) < 3 or items[0][0] not in ("quoted", "word") or items[1][0] != "string":
            return None
        options.append((items[0][1], items[1][1]))
        if items[2][1] == ")":
            if len(items) > 3:
                return None
            break
        if items[2][1] != ",":
            return None
        items = items[3:]
    rest = statement[: tokens[start][2]].rstrip()
    return _Parsed(rest, tuple(options), secrets)


def options_change(
    old_create: tuple[str, ...],
    new_create: tuple[str, ...],
    old_drop: tuple[str, ...],
    new_drop: tuple[str, ...],
) -> list[str] | None:
    """The ALTER that gives an object (created by `old_create`) the options of
    `new_create` (and a server's version, a wrapper's handler and validator), or None
    when more differs (it is created again). The object is named as its DROP statement
    names it. Options one side could not read are left as they are."""
    if not old_create or old_create[1:] != new_create[1:] or old_drop != new_drop:
        return None
    if not old_drop or not old_drop[0].startswith("DROP "):
        return None
    old, new = _parse(old_create[0]), _parse(new_create[0])
    if old is None or new is None:
        return None
    header = _header_change(old.rest, new.rest)
    if header is None:
        return None
    unknown = old.unknown or new.unknown
    ops = [] if unknown else _operations(old, new)
    added_secrets = [] if unknown else [n for n in new.secrets if n not in old.secrets]
    named = old_drop[0][len("DROP ") :]
    names = ", ".join(n.replace("*/", "* /") for n in added_secrets)
    if not ops and not header:
        if not added_secrets:
            return []
        # Nothing to alter, but a value to set by hand: a statement that says so where it
        # runs (a lone comment would not be kept as a statement of the script).
        message = f"{named}: set the secret options dbci does not read by hand: {names}"
        message = message.replace("$dbci$", "$ dbci $")  # not to end the DO block's body
        return [f"DO $dbci$BEGIN RAISE WARNING '%', {quote_literal(message)}; END$dbci$"]
    clauses = header + ([f"OPTIONS ({', '.join(ops)})"] if ops else [])
    statement = f"ALTER {named} {' '.join(clauses)}"
    if added_secrets:
        statement += f" /* secret options dbci does not read, to add by hand: {names} */"
    return [statement]


def _header_change(old: str, new: str) -> list[str] | None:
    """The clauses of ALTER that make a server's or wrapper's create statement (before
    its options) `old` into `new`: [] when they are the same, None when ALTER cannot (a
    server's TYPE or wrapper, another kind)."""
    if old == new:
        return []
    server_old, server_new = _SERVER.fullmatch(old), _SERVER.fullmatch(new)
    if server_old and server_new:
        if server_old.group("name", "type", "wrapper") != server_new.group(
            "name", "type", "wrapper"
        ):
            return None
        return [f"VERSION {server_new['version'] or 'NULL'}"]
    wrapper_old, wrapper_new = _WRAPPER.fullmatch(old), _WRAPPER.fullmatch(new)
    if wrapper_old and wrapper_new and wrapper_old["name"] == wrapper_new["name"]:
        clauses = []
        for part in ("handler", "validator"):
            if wrapper_old[part] != wrapper_new[part]:
                word = part.upper()
                clauses.append(f"{word} {wrapper_new[part]}" if wrapper_new[part] else f"NO {word}")
        return clauses
    return None


def options_unknown(create: tuple[str, ...]) -> bool:
    """Whether the options of the object `create` makes could not be read (a user mapping
    whose options the reading role may not see)."""
    return bool(create) and _UNREAD_NOTE in create[0]


def without_options(create: tuple[str, ...]) -> tuple[str, ...]:
    """`create` with its first statement's options left out, to compare by the rest."""
    parsed = _parse(create[0]) if create else None
    return create if parsed is None else (parsed.rest, *create[1:])


def holds_unread(create: tuple[str, ...]) -> bool:
    """Whether the object `create` makes holds options the snapshot did not read (secret
    ones, or all where they could not be read): dropping it loses them."""
    return any(_SECRET_NOTE in s or _UNREAD_NOTE in s for s in create)


def _operations(old: _Parsed, new: _Parsed) -> list[str]:
    """DROP, SET and ADD items that make `old`'s options `new`'s, in `new`'s order."""
    wanted = dict(new.options)
    ops = [f"DROP {name}" for name, _ in old.options if name not in wanted]
    ops += [f"DROP {name}" for name in old.secrets if name not in new.secrets]
    kept = [(name, value) for name, value in old.options if name in wanted]
    order = [name for name, _ in new.options]
    same = 0  # the options kept in place: the longest prefix in B's order
    while same < len(kept) and kept[same][0] == order[same]:
        same += 1
    ops += [f"DROP {name}" for name, _ in kept[same:]]
    ops += [f"SET {name} {wanted[name]}" for name, value in kept[:same] if value != wanted[name]]
    ops += [f"ADD {name} {wanted[name]}" for name in order[same:]]
    return ops
