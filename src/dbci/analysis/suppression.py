"""Inline suppression: `-- dbci:ignore DB101` (or `-- dbci:ignore DB101, DB302`, or
`-- dbci:ignore` for every dbci rule).

A comment inside a statement, or after it on its last line, applies to that statement; a
comment on a line of its own applies to the next statement. Every finding it suppresses
is still reported, as info, so that a review sees what was waved through. SQLFluff's own
`-- noqa` works as in SQLFluff; each one is reported as info too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from dbci.analysis.tree import Statement, position

_IGNORE = re.compile(r"dbci:ignore\b([^\n]*)", re.IGNORECASE)
_NOQA = re.compile(r"--\s*noqa\b(.*)", re.IGNORECASE)
_RULE_ID = re.compile(r"DB\d{3}", re.IGNORECASE)


@dataclass
class Suppressions:
    """What the comments of one file suppress: by statement index, the rule ids (an empty
    set: every dbci rule); and the noqa comments, as (line, column, text)."""

    by_statement: dict[int, set[str]] = field(default_factory=dict)
    lines: dict[int, int] = field(default_factory=dict)  # statement index -> comment line
    noqa: list[tuple[int, int, str]] = field(default_factory=list)

    def suppresses(self, statement: int, rule: str) -> bool:
        rules = self.by_statement.get(statement)
        return rules is not None and (not rules or rule in rules)


def find_suppressions(tree: Any, statements: list[Statement]) -> Suppressions:
    """Read the file's comments."""
    found = Suppressions()
    if tree is None:
        return found
    spans = [(s.line, s.body.get_end_loc()[0], s.index) for s in statements]
    for comment in tree.recursive_crawl("comment"):
        text = comment.raw
        line, column = position(comment)
        noqa = _NOQA.search(text)
        if noqa:
            found.noqa.append((line, column, text.strip()))
        match = _IGNORE.search(text)
        if not match:
            continue
        target = next((i for start, end, i in spans if start <= line <= end), None)
        if target is None:
            target = next((i for start, _, i in spans if start > line), None)
        if target is None:
            continue
        rules = _named(match)
        existing = found.by_statement.get(target)
        if existing is None:
            found.by_statement[target] = rules
        elif existing and rules:
            existing |= rules
        else:
            found.by_statement[target] = set()  # one of them names no rule: every rule
        found.lines[target] = line
    return found


def ignored_rules(text: str) -> set[str] | None:
    """The rules the `dbci:ignore` comments in SQL `text` name (an empty set: one of them
    names none, so every rule); None when it has none. For findings made outside a
    file's parse (the check's DB303), read from the statement's own text."""
    found: set[str] | None = None
    for match in _IGNORE.finditer(text):
        rules = _named(match)
        if not rules:
            return set()
        found = (found or set()) | rules
    return found


def _named(ignore: re.Match[str]) -> set[str]:
    """The rule ids a `dbci:ignore` comment names (none: every rule)."""
    return {r.upper() for r in _RULE_ID.findall(ignore.group(1))}
