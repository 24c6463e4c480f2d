"""`pg_dump --schema-only` as an oracle independent of dbci: do two databases hold one schema?

dbci's own round trip (snapshot, diff, apply, snapshot again) can only see what its snapshot
reads: an object type it does not read compares equal on both sides. pg_dump reads the whole
catalog, so comparing the dumps of two databases catches what dbci misses.

* `dump_schema(url)` runs pg_dump (on PATH) and returns its text.
* `parse_dump(text, ...)` turns the dump into `DumpEntry`s, one per pg_dump TOC entry (the
  statements under one `-- Name: ...; Type: ...; Schema: ...; Owner: ...` header), normalised:
  - dropped: pg_dump's own comments, blank lines, the session `SET`s and
    `SELECT pg_catalog.set_config(...)`, the random `\\restrict` key, the owner in the header,
    and the database's name (the two databases compared are named differently);
  - kept, folded into the entry they apply to: `SET default_tablespace` and
    `SET default_table_access_method`, which pg_dump writes between entries and which say
    where and how a table is stored;
  - the entries are sorted: pg_dump orders them by dependency and then by OID, so a database
    altered into shape and one built from scratch list the same objects in different orders;
  - the column list of `CREATE TABLE` / `CREATE FOREIGN TABLE` is sorted unless
    `column_order=True`: PostgreSQL can only add a column at the end of a table.
* `compare(a, b)` gives the entries only one side has; `DumpDifference.types()` names the
  pg_dump object types (`TABLE`, `POLICY`, `AGGREGATE`, ...) that differ.
"""

from __future__ import annotations

import difflib
import re
import subprocess
from collections import Counter
from dataclasses import dataclass

from .postgres import libpq_url

DUMP_TIMEOUT = 300  # seconds; pg_dump of a regression-suite database takes a few

_HEADER = re.compile(
    r"^-- (?:Data for )?Name: (?P<name>.*); Type: (?P<type>[A-Z][A-Z ]*); "
    r"Schema: (?P<schema>.*?); Owner: (?P<owner>.*?)(?:; Tablespace: (?P<tablespace>.*))?$"
)
# pg_dump's session settings, written before the first entry and again between entries.
_SET = re.compile(r"^SET [a-z_]+ = .*;$")
_SET_CONFIG = re.compile(r"^SELECT pg_catalog\.set_config\(.*\);$")
# Settings that say where or how the next entries' objects are stored: they carry meaning.
_STORAGE_SET = re.compile(r"^SET (default_tablespace|default_table_access_method) = (.*);$")
_STORAGE_DEFAULTS = {"default_tablespace": "''", "default_table_access_method": "heap"}
# The key pg_dump 15.14+ writes around the script (psql's \restrict), new on every run.
_RESTRICT = re.compile(r"^\\(un)?restrict \S+$")
_TABLE_TYPES = {"TABLE", "FOREIGN TABLE"}
# An ACL is a set: pg_dump writes its GRANTs in the order of the aclitem array, which is
# the order they were granted in.
_ACL_TYPES = {"ACL", "DEFAULT ACL"}


class DumpFailed(RuntimeError):
    """pg_dump exited with an error or ran past its time limit."""


@dataclass(frozen=True, order=True)
class DumpEntry:
    """One TOC entry of a dump: pg_dump's object type, schema and name, and its statements."""

    type: str
    schema: str
    name: str
    text: str  # the entry's statements, normalised
    tablespace: str = ""  # pg_dump's `; Tablespace:` in the header, if any

    def render(self) -> str:
        """The entry as a readable block: its header line, then its statements."""
        place = f" (tablespace {self.tablespace})" if self.tablespace else ""
        return f"-- {self.type} {self.schema}.{self.name}{place}\n{self.text}"


@dataclass(frozen=True)
class DumpDifference:
    """The entries one dump has and the other lacks (as multisets)."""

    only_a: tuple[DumpEntry, ...]
    only_b: tuple[DumpEntry, ...]

    def __bool__(self) -> bool:
        return bool(self.only_a or self.only_b)

    def types(self) -> list[str]:
        """The pg_dump object types with an entry on one side only, sorted."""
        return sorted({entry.type for entry in self.only_a + self.only_b})

    def describe(self, a: str = "A", b: str = "B", limit: int = 120) -> str:
        """Entry by entry (by type, schema and name), what differs: a unified diff of the
        two sides' statements, at most `limit` lines in all."""
        keys = sorted({_key(entry) for entry in self.only_a + self.only_b})
        lines: list[str] = []
        for key in keys:
            left = [e.render() for e in self.only_a if _key(e) == key]
            right = [e.render() for e in self.only_b if _key(e) == key]
            lines.append(f"{key[0]} {key[1]}.{key[2]}: " + _presence(left, right, a, b))
            lines += difflib.unified_diff(
                "\n".join(left).splitlines(), "\n".join(right).splitlines(), a, b, lineterm=""
            )
        if len(lines) > limit:
            lines = lines[:limit] + [f"... ({len(lines) - limit} more lines)"]
        return "\n".join(lines)


def _key(entry: DumpEntry) -> tuple[str, str, str]:
    return (entry.type, entry.schema, entry.name)


def _presence(left: list[str], right: list[str], a: str, b: str) -> str:
    if not left:
        return f"only in {b}"
    if not right:
        return f"only in {a}"
    return "differs"


def dump_schema(
    url: str, *, privileges: bool = False, owners: bool = False, timeout: float = DUMP_TIMEOUT
) -> str:
    """`pg_dump --schema-only` of the database at `url` (a SQLAlchemy or libpq URL), with
    `--no-privileges` unless `privileges` and `--no-owner` unless `owners`."""
    command = ["pg_dump", "--schema-only"] + ([] if owners else ["--no-owner"])
    if not privileges:
        command.append("--no-privileges")
    command.append(libpq_url(url))
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise DumpFailed(f"pg_dump ran past {timeout} s") from exc
    if done.returncode != 0:
        raise DumpFailed(f"pg_dump failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def parse_dump(text: str, *, database: str, column_order: bool = False) -> list[DumpEntry]:
    """The dump's entries, normalised (see the module docstring) and sorted."""
    entries: list[DumpEntry] = []
    storage = dict(_STORAGE_DEFAULTS)
    lines = text.splitlines()
    index = 0
    # Everything before the first header is the dump's preamble: settings and comments.
    while index < len(lines) and not _HEADER.match(lines[index]):
        index += 1
    while index < len(lines):
        header = _HEADER.match(lines[index])
        assert header is not None
        index += 1
        body: list[str] = []
        while index < len(lines) and not _HEADER.match(lines[index]):
            body.append(lines[index])
            index += 1
        # pg_dump writes "--" above and below each header line: the one above ends `body`.
        body, trailing_sets = _split_trailing_sets(_strip_trailing_comments(body))
        statements = _statements(body)
        if storage != _STORAGE_DEFAULTS:
            context = [
                f"SET {key} = {value};"
                for key, value in sorted(storage.items())
                if value != _STORAGE_DEFAULTS[key]
            ]
            statements = "\n".join(context + [statements])
        kind = header["type"]
        if kind in _TABLE_TYPES and not column_order:
            statements = _sort_columns(statements)
        elif kind in _ACL_TYPES:
            statements = _sort_grants(statements)
        entries.append(
            DumpEntry(
                type=kind,
                schema=_unname(header["schema"], database),
                name=_unname(header["name"], database),
                text=_unname(statements, database),
                tablespace=header["tablespace"] or "",
            )
        )
        for line in trailing_sets:
            setting = _STORAGE_SET.match(line)
            if setting:
                storage[setting[1]] = setting[2]
    return sorted(entries)


def compare(a: list[DumpEntry], b: list[DumpEntry]) -> DumpDifference:
    """The entries of `a` that `b` lacks and those of `b` that `a` lacks, counted as
    multisets (two identical entries are two)."""
    count_a, count_b = Counter(a), Counter(b)
    return DumpDifference(
        only_a=tuple(sorted((count_a - count_b).elements())),
        only_b=tuple(sorted((count_b - count_a).elements())),
    )


def compare_databases(
    url_a: str,
    url_b: str,
    *,
    privileges: bool = False,
    column_order: bool = False,
    owners: bool = False,
) -> DumpDifference:
    """Dump both databases and compare them (see `parse_dump`); `owners`: their ALTER …
    OWNER TO statements too."""
    return compare(
        parse_dump(
            dump_schema(url_a, privileges=privileges, owners=owners),
            database=database_name(url_a),
            column_order=column_order,
        ),
        parse_dump(
            dump_schema(url_b, privileges=privileges, owners=owners),
            database=database_name(url_b),
            column_order=column_order,
        ),
    )


def database_name(url: str) -> str:
    """The database a PostgreSQL URL names."""
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    if not name:
        raise ValueError("the URL names no database")
    return name


# ---- normalising ----------------------------------------------------------------------------


def _is_dump_comment(line: str) -> bool:
    return (
        line == "--"
        or line.startswith("-- PostgreSQL database dump")
        or bool(_RESTRICT.match(line))
    )


def _strip_trailing_comments(body: list[str]) -> list[str]:
    end = len(body)
    while end and (not body[end - 1].strip() or _is_dump_comment(body[end - 1])):
        end -= 1
    start = 0
    while start < end and (not body[start].strip() or body[start] == "--"):
        start += 1
    return body[start:end]


def _split_trailing_sets(body: list[str]) -> tuple[list[str], list[str]]:
    """The entry's own lines, and the `SET`s pg_dump wrote after it for the entries that
    follow (an entry's statements never end with a bare SET line)."""
    end = len(body)
    while end and (
        not body[end - 1].strip()
        or _SET.match(body[end - 1])
        or _SET_CONFIG.match(body[end - 1])
        or _is_dump_comment(body[end - 1])
    ):
        end -= 1
    sets = [line for line in body[end:] if _SET.match(line)]
    return body[:end], sets


def _statements(body: list[str]) -> str:
    return "\n".join(line.rstrip() for line in body if line.strip())


def _unname(text: str, database: str) -> str:
    """`text` with the database's name replaced, wherever it stands as a whole word."""
    return re.sub(rf"(?<![\w$]){re.escape(database)}(?![\w$])", "<database>", text)


def _sort_grants(statements: str) -> str:
    """An ACL entry's statements in sorted order; a GRANT made by another role than the
    owner stays inside its `SET SESSION AUTHORIZATION` ... `RESET SESSION AUTHORIZATION`."""
    blocks: list[list[str]] = []
    inside = False
    for line in statements.splitlines():
        if inside:
            blocks[-1].append(line)
            inside = line != "RESET SESSION AUTHORIZATION;"
            continue
        blocks.append([line])
        inside = line.startswith("SET SESSION AUTHORIZATION ")
    return "\n".join(sorted("\n".join(block) for block in blocks))


def _sort_columns(statements: str) -> str:
    """A `CREATE TABLE name (\\n ...)` statement with its column list in sorted order."""
    match = re.search(r"^CREATE (?:UNLOGGED |FOREIGN )?TABLE ", statements, re.MULTILINE)
    if match is None:
        return statements
    opening = _column_list_start(statements, match.end())
    if opening is None:
        return statements
    closing = _matching_paren(statements, opening)
    if closing is None:
        return statements
    items = sorted(item.strip() for item in _top_level_split(statements[opening + 1 : closing]))
    inner = ",\n".join(f"    {item}" for item in items if item)
    return f"{statements[: opening + 1]}\n{inner}\n{statements[closing:]}"


def _column_list_start(text: str, start: int) -> int | None:
    """Where pg_dump's column list opens: the first `(` outside quotes, at a line's end."""
    position = start
    while position < len(text):
        char = text[position]
        if char in "\"'":
            position = _skip_quoted(text, position)
            continue
        if char == "(":
            return position if text[position + 1 : position + 2] == "\n" else None
        if char in ";\n":
            return None
        position += 1
    return None


def _skip_quoted(text: str, position: int) -> int:
    """The index after the quoted string or identifier opening at `position`."""
    quote = text[position]
    position += 1
    while position < len(text):
        if text[position] == quote:
            if text[position + 1 : position + 2] == quote:  # a doubled quote
                position += 2
                continue
            return position + 1
        position += 1
    return position


def _matching_paren(text: str, opening: int) -> int | None:
    depth = 0
    position = opening
    while position < len(text):
        char = text[position]
        if char in "\"'":
            position = _skip_quoted(text, position)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return position
        position += 1
    return None


def _top_level_split(text: str) -> list[str]:
    """`text` split at the commas outside parentheses and quotes."""
    parts: list[str] = []
    depth = 0
    start = position = 0
    while position < len(text):
        char = text[position]
        if char in "\"'":
            position = _skip_quoted(text, position)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:position])
            start = position + 1
        position += 1
    parts.append(text[start:])
    return parts
