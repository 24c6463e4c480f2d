"""DB211 reindex-not-concurrent: `REINDEX` without `CONCURRENTLY` rebuilds the indexes
under locks that block writes to the table and the queries that use the indexes, for as
long as the rebuild takes. PostgreSQL 12+ rebuilds them `CONCURRENTLY` without blocking.
`REINDEX SYSTEM` (which cannot run concurrently) and an index or table the file creates
are not flagged.

Bad:

    REINDEX TABLE orders;
    REINDEX INDEX orders_customer_idx;

Good (dbci runs a script holding it outside a transaction, as CONCURRENTLY requires):

    REINDEX TABLE CONCURRENTLY orders;
    REINDEX INDEX CONCURRENTLY orders_customer_idx;
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dbci.analysis.rules.base import POSTGRES, Hit, Rule
from dbci.analysis.tree import FileFacts, Statement, code_children, object_name
from dbci.analysis.words import Chunk, Word, chunks

_OFF = frozenset({"false", "off", "0"})
_TARGETS = ("INDEX", "TABLE", "SCHEMA", "DATABASE", "SYSTEM")


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


def unparsed(statement: Statement, facts: FileFacts) -> list[Chunk]:
    """What SQLFluff could not parse after `statement`, as words, one chunk a statement:
    `statement` itself with the rest of its words when its parse stopped short (`CLUSTER
    (VERBOSE) t`), and the statements of the unparsable section that follows. SQLFluff
    leaves everything after its first failure as one unparsable section, so only the
    file's last parsed statement can have one."""
    if statement.index != len(facts.statements) - 1:
        return []
    section, terminated = _section_after(statement)
    if section is None:
        return []
    if not terminated:  # cut short: words.chunks joins the statement and its rest
        own = sum(1 for s in statement.body.raw_segments if s.is_code and s.raw != ";")
        return [c for c in chunks(statement, facts) if not c.parsed or len(c.words) > own]
    created = set(facts.created_before.get(statement.index, frozenset()))
    if statement.kind == "create_table_statement":
        created.add(statement.table())
    return _pieces(section, created)


def _section_after(statement: Statement) -> tuple[Any | None, bool]:
    """The unparsable section right after `statement` (at the file's level), if any, and
    whether a `;` ends the statement before it."""
    node = statement.body
    while True:
        above = node.get_parent()
        if not above:
            return None, False
        if above[0].type == "file":
            break
        node = above[0]
    segments = list(above[0].segments)
    at = next((i for i, s in enumerate(segments) if s is node), len(segments))
    terminated = False
    for seg in segments[at + 1 :]:
        if seg.type == "unparsable":
            return seg, terminated
        if seg.raw == ";":
            terminated = True
        elif seg.is_code:
            return None, False
    return None, False


def _pieces(section: Any, created: set[str]) -> list[Chunk]:
    """An unparsable section's statements (split at `;`), as chunks of words."""
    out: list[Chunk] = []
    words: list[Word] = []
    depth = 0
    for seg in [*section.raw_segments, None]:
        if seg is None or seg.raw == ";":
            if words:
                chunk = Chunk(words, False, frozenset(created))
                if chunk.kind() == "CREATE TABLE":
                    created.add(chunk.table())
                out.append(chunk)
            words, depth = [], 0
            continue
        if not seg.is_code or seg.is_meta:
            continue
        if seg.raw == ")":
            depth = max(depth - 1, 0)
        words.append(Word(seg.raw.upper(), seg, depth))
        if seg.raw == "(":
            depth += 1
    return out


def names_in(words: list[Word]) -> list[tuple[str, Word]]:
    """The names in a run of words, split at commas (`s.a, b *` gives a and b), each with
    its word."""
    found: list[tuple[str, Word]] = []
    group: list[Word] = []
    for word in [*words, None]:
        if word is None or word.text == ",":
            named = [w for w in group if w.text not in ("*", ".", "(", ")")]
            if named:
                found.append((named[-1].name, named[0]))
            group = []
        else:
            group.append(word)
    return found


def first_name(words: list[Word]) -> str:
    """The (possibly qualified) name the words start with: its last part (`s.mv` → mv)."""
    if not words:
        return ""
    at = 0
    while at + 2 < len(words) and words[at + 1].text == ".":
        at += 2
    return words[at].name


def words_after(chunk: Chunk, *skipped: str) -> list[Word]:
    """The top-level words after the statement's leading words `skipped` (those present)."""
    top = chunk.top()
    at = 0
    while at < len(top) and top[at].text in skipped:
        at += 1
    return top[at:]


def is_concurrent(statement: Statement) -> bool:
    """Whether a CREATE/DROP INDEX or REINDEX says CONCURRENTLY (a REINDEX may say it
    among its parenthesised options)."""
    return "CONCURRENTLY" in statement.keywords() or options(statement.body).get(
        "CONCURRENTLY", False
    )


class ReindexNotConcurrent(Rule):
    id = "DB211"
    name = "reindex-not-concurrent"
    severity = "warning"
    dialects = POSTGRES

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        extra = unparsed(statement, facts)
        if not any(c.parsed for c in extra):
            yield from self._parsed(statement, facts)
        for chunk in extra:
            if not chunk.starts("REINDEX") or "CONCURRENTLY" in chunk.texts:
                continue
            rest = words_after(chunk, "REINDEX", "(", ")", "VERBOSE")
            target = rest[0].text if rest and rest[0].text in _TARGETS else ""
            if target in ("", "SYSTEM"):
                continue
            name = first_name(rest[1:])
            table = name if target == "TABLE" else None
            if not (table and chunk.is_new(table)):
                yield self._hit(chunk.segment, f"{target} {name}", table)

    def _parsed(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        if statement.kind != "reindex_statement_segment" or is_concurrent(statement):
            return
        target = next((w for w in statement.keywords() if w in _TARGETS), "")
        if target in ("", "SYSTEM"):
            return
        reference = next(
            (s for s in code_children(statement.body) if s.type.endswith("_reference")), None
        )
        name = object_name(reference)
        table: str | None = None
        if target == "TABLE":
            table = name
        elif target == "INDEX":
            table = indexes_created_before(statement, facts).get(name)
        if table and facts.is_new_table(statement, table):
            return
        yield self._hit(statement.body, f"{target} {name}", table)

    def _hit(self, segment: Any, what: str, table: str | None) -> Hit:
        return Hit(
            segment,
            f"REINDEX {what.strip()} without CONCURRENTLY blocks writes, and the reads that use "
            "the indexes, until the rebuild ends; use REINDEX … CONCURRENTLY (PostgreSQL 12+)",
            table,
        )
