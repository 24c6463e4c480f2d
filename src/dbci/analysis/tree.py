"""dbci's view of SQLFluff's parse tree: statements, their keywords and ALTER TABLE actions.

Rules read the tree SQLFluff already built for its own rules, so a file is parsed once.
Dialects shape the same statement differently (PostgreSQL wraps each ALTER TABLE action
in an `alter_table_action_segment`, MySQL and T-SQL list its parts flat), so rules ask
these helpers for keywords and actions rather than walking segments themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# Segment types whose insides are not the statement's own keywords: `ADD CHECK (a IS NOT
# NULL)` is not a NOT NULL column, and a subquery's WHERE is not the statement's.
_OPAQUE = frozenset(
    {
        "bracketed",
        "expression",
        "function",
        "select_statement",
        "set_expression",
        "with_compound_statement",
        "literal",
        "quoted_literal",
    }
)
_SKIP = frozenset({"whitespace", "newline", "comment", "indent", "dedent", "inline_comment"})

DDL_KINDS = frozenset(
    {
        "alter_table_statement",
        "create_table_statement",
        "create_index_statement",
        "drop_table_statement",
        "drop_index_statement",
        "drop_schema_statement",
        "drop_database_statement",
        "create_view_statement",
        "drop_view_statement",
        "rename_table_statement",
        "truncate_table",
        "truncate_statement",
        "create_schema_statement",
        "alter_index_statement",
        "alter_view_statement",
    }
)


def code_children(segment: Any) -> list[Any]:
    """The children that are code (no whitespace, newlines, comments or layout markers)."""
    return [s for s in segment.segments if s.type not in _SKIP and not s.is_meta]


def keywords(segments: Any) -> list[str]:
    """The upper-cased keywords of a segment (or a list of them), in order, not looking
    inside brackets, expressions, functions, literals or subqueries."""
    found: list[str] = []
    stack = list(reversed(segments if isinstance(segments, list) else [segments]))
    while stack:
        seg = stack.pop()
        if seg.type == "keyword":
            found.append(seg.raw.upper())
        elif seg.segments and seg.type not in _OPAQUE:
            stack.extend(reversed(seg.segments))
    return found


def first_of(segments: Any, *types: str) -> Any | None:
    """The first segment of one of `types` at or under `segments`, outside subqueries."""
    for seg in segments if isinstance(segments, list) else [segments]:
        if seg.type in types:
            return seg
        for found in seg.recursive_crawl(*types, no_recursive_seg_type="select_statement"):
            return found
    return None


def object_name(segment: Any | None) -> str:
    """The unquoted, lower-cased last part of a reference (`s."Orders"` → `orders`)."""
    if segment is None:
        return ""
    parts: list[str] = [s.raw for s in segment.recursive_crawl("identifier", "naked_identifier")]
    if not parts:
        parts = [segment.raw]
    name = parts[-1].strip()
    if len(name) >= 2 and name[0] in '"`[' and name[-1] in '"`]':
        name = name[1:-1]
    return name.lower()


@dataclass
class Statement:
    """One top-level statement of a file."""

    index: int
    body: Any  # the typed segment: alter_table_statement, delete_statement, …
    line: int  # where it starts, in the linted text
    column: int

    @property
    def kind(self) -> str:
        return str(self.body.type)

    def keywords(self) -> list[str]:
        return keywords(self.body)

    def table(self) -> str:
        """The first table the statement names (lower-cased, unquoted), or ""."""
        return object_name(first_of(code_children(self.body), "table_reference"))

    def actions(self) -> list[list[Any]]:
        """An ALTER TABLE's actions, each as its list of segments (split at top-level commas)."""
        children = code_children(self.body)
        start = next(
            (i + 1 for i, s in enumerate(children) if s.type == "table_reference"), len(children)
        )
        groups: list[list[Any]] = [[]]
        for seg in children[start:]:
            if seg.type == "symbol" and seg.raw == ",":
                groups.append([])
            elif seg.type == "symbol" and seg.raw == ";":
                continue
            elif seg.type == "alter_table_action_segment":
                groups[-1].extend(code_children(seg))
            else:
                groups[-1].append(seg)
        return [g for g in groups if g]


def position(segment: Any) -> tuple[int, int]:
    """A segment's (line, column) in the linted text."""
    marker = segment.pos_marker
    if marker is None:
        return 1, 1
    line, column = marker.source_position()
    return int(line), int(column)


@dataclass
class FileFacts:
    """What the rules may know about the whole file beside the statement in hand."""

    dialect: str
    statements: list[Statement] = field(default_factory=list)
    # tables created by an earlier statement of the file, by statement index
    created_before: dict[int, frozenset[str]] = field(default_factory=dict)
    # What a helper read of a statement for one rule, kept for the next rule that asks:
    # (helper, statement index) -> its result.
    memo: dict[tuple[str, int], Any] = field(default_factory=dict)
    # The columns of each CREATE TABLE that SQLFluff saw only a stand-in of, as libpg_query
    # read them (`created_tables`), by where the statement starts: (line, column) ->
    # its `TypedColumn`s.
    columns_read: dict[tuple[int, int], list[Any]] = field(default_factory=dict)

    def is_new_table(self, statement: Statement, table: str) -> bool:
        """Whether `table` was created earlier in this file (so it is empty and unused)."""
        return table in self.created_before.get(statement.index, frozenset())


def statements_of(tree: Any) -> list[Statement]:
    """The file's statements in order (not those inside another, like a procedure body)."""
    found: list[Statement] = []
    if tree is None:
        return found
    for seg in tree.recursive_crawl("statement", recurse_into=False):
        body = next(iter(code_children(seg)), None)
        if body is None:
            continue
        line, column = position(body)
        found.append(Statement(len(found), body, line, column))
    return found


def file_facts(
    dialect: str,
    statements: list[Statement],
    columns_read: dict[tuple[int, int], list[Any]] | None = None,
) -> FileFacts:
    """The facts about a file's statements that rules share (`columns_read`: see
    `FileFacts`)."""
    facts = FileFacts(dialect, statements, columns_read=columns_read or {})
    created: set[str] = set()
    for statement in statements:
        facts.created_before[statement.index] = frozenset(created)
        if statement.kind == "create_table_statement":
            created.add(statement.table())
    return facts


def iter_segments(segment: Any, *types: str) -> Iterator[Any]:
    """Every segment of `types` under `segment`, outside subqueries."""
    yield from segment.recursive_crawl(*types, no_recursive_seg_type="select_statement")


# ---- index statements and maintenance commands (PostgreSQL) ----------------------------

_OFF = frozenset({"false", "off", "0"})


def options(body: Any) -> dict[str, bool]:
    """A VACUUM's or REINDEX's parenthesised options: `(FULL, VERBOSE false)` gives
    {"FULL": True, "VERBOSE": False}."""
    found: dict[str, bool] = {}
    for seg in code_children(body):
        if seg.type != "bracketed":
            continue
        name: str | None = None
        for part in code_children(seg):
            if part.type in ("comma", "start_bracket", "end_bracket") or part.raw == ",":
                name = None
            elif name is None and part.type == "keyword":
                name = part.raw.upper()
                found[name] = True
            elif name is not None and part.raw.lower() in _OFF:
                found[name] = False
    return found


def is_concurrent(statement: Statement) -> bool:
    """Whether a CREATE/DROP INDEX or REINDEX says CONCURRENTLY (a REINDEX may say it
    among its parenthesised options)."""
    return "CONCURRENTLY" in statement.keywords() or options(statement.body).get(
        "CONCURRENTLY", False
    )


def indexes_created_before(statement: Statement, facts: FileFacts) -> dict[str, str]:
    """index -> its table, for the indexes the file creates before `statement`."""
    found: dict[str, str] = {}
    for earlier in facts.statements[: statement.index]:
        if earlier.kind == "create_index_statement":
            name = next(
                (s for s in code_children(earlier.body) if s.type == "index_reference"), None
            )
            if name is not None:
                found[object_name(name)] = earlier.table()
    return found
