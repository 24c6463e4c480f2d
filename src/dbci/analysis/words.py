"""A statement as a flat list of words, for rules on syntax SQLFluff parses loosely or not
at all.

MySQL's `ALGORITHM=INPLACE`, `ENGINE=MyISAM` and `CHARACTER SET utf8` come out of SQLFluff
as bare identifiers or not at all (`ALTER TABLE t FORCE`, `ALTER TABLE t DEFAULT CHARSET
utf8` and `ALTER TABLE t REBUILD` in T-SQL are unparsable), and T-SQL's `(NOLOCK)` after an
alias is an identifier list. The rules for those read the statement's words, with their
bracket depth, and the words of an unparsable section that follows it: SQLFluff ends the
statement where its grammar stops and leaves the rest of the file as one unparsable
segment, which this module splits back into statements at `;` (and T-SQL's `GO`).

A file whose first statement is already unparsable has no statement for rules to run on;
SQLFluff's parse error (PRS) reports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dbci.analysis.tree import FileFacts, Statement

_QUOTES = ('"', "`", "'")


@dataclass(frozen=True)
class Word:
    """One code token: its upper-cased text (quotes kept), where it is, how deep in brackets."""

    text: str
    segment: Any
    depth: int

    @property
    def name(self) -> str:
        """The token as a name: unquoted and lower-cased (`` `Orders` `` → `orders`)."""
        return unquote(self.segment.raw).lower()


def unquote(raw: str) -> str:
    raw = raw.strip()
    if len(raw) >= 2 and (raw[0] in _QUOTES and raw[-1] == raw[0] or raw[0] + raw[-1] == "[]"):
        return raw[1:-1]
    return raw


@dataclass
class Chunk:
    """One statement's words; `new_tables` are the tables the file created before it."""

    words: list[Word]
    parsed: bool  # False: read from an unparsable section
    new_tables: frozenset[str] = field(default_factory=frozenset)

    @property
    def segment(self) -> Any:
        return self.words[0].segment

    @property
    def texts(self) -> list[str]:
        return [w.text for w in self.words]

    def top(self) -> list[Word]:
        """The words outside brackets."""
        return [w for w in self.words if w.depth == 0]

    def starts(self, *prefix: str) -> bool:
        return self.texts[: len(prefix)] == list(prefix)

    def kind(self) -> str:
        """What the statement is, from its first words: `ALTER TABLE`, `CREATE TABLE`,
        `CREATE INDEX`, `ALTER INDEX`, `DROP INDEX`, `CREATE DATABASE`, `ALTER DATABASE`,
        `SET`, or its first word."""
        texts = self.texts
        if not texts:
            return ""
        verb = texts[0]
        for word in texts[1:8]:
            if word in ("TABLE", "INDEX"):
                return f"{verb} {word}"
            if word in ("DATABASE", "SCHEMA"):
                return f"{verb} DATABASE"
            if word in ("(", "=", "AS", "SELECT", "FROM", "WHERE"):
                break
        return verb

    def table(self) -> str:
        """The table the statement acts on (lower-cased, unquoted; `ON t` for an index)."""
        texts = self.texts
        kind = self.kind()
        if kind.endswith(" INDEX"):
            at = _index_of(texts, "ON")
        elif kind.endswith(" TABLE"):
            at = _index_of(texts, "TABLE")
            while at + 1 < len(texts) and texts[at + 1] in ("IF", "NOT", "EXISTS"):
                at += 1
        else:
            return ""
        return self.name_after(at)

    def name_after(self, at: int) -> str:
        """The (possibly qualified) name that starts after word `at`: its last part."""
        words = self.words
        if at < 0 or at + 1 >= len(words):
            return ""
        i = at + 1
        name = words[i].name
        while i + 2 < len(words) and words[i + 1].text == ".":
            i += 2
            name = words[i].name
        return name

    def is_new(self, table: str) -> bool:
        return bool(table) and table in self.new_tables

    def value_after(self, at: int) -> Word | None:
        """The value of an option whose name is word `at` (`NAME [=] value`)."""
        i = at + 1
        if i < len(self.words) and self.words[i].text == "=":
            i += 1
        return self.words[i] if i < len(self.words) else None

    def actions(self) -> list[list[Word]]:
        """An ALTER TABLE's actions: its words after the table name, split at top-level
        commas."""
        at = _index_of(self.texts, "TABLE")
        while at + 1 < len(self.words) and self.texts[at + 1] in ("IF", "EXISTS"):
            at += 1
        at += 1
        while at + 2 < len(self.words) and self.words[at + 1].text == ".":
            at += 2
        groups: list[list[Word]] = [[]]
        for word in self.words[at + 1 :]:
            if word.depth == 0 and word.text == ",":
                groups.append([])
            else:
                groups[-1].append(word)
        return [g for g in groups if g]


def _index_of(texts: list[str], word: str) -> int:
    try:
        return texts.index(word)
    except ValueError:
        return -1


# The last statement's chunks: every rule of a dialect asks for the same statement's in turn.
_last: tuple[Any, FileFacts, list[Chunk]] | None = None


def chunks(statement: Statement, facts: FileFacts) -> list[Chunk]:
    """The statement's words (with an unparsable rest of it), then the statements of an
    unparsable section that follows it (for the first statement, also one before it)."""
    global _last
    if _last is not None and _last[0] is statement.body and _last[1] is facts:
        return _last[2]
    found = _chunks(statement, facts)
    _last = (statement.body, facts, found)
    return found


def _chunks(statement: Statement, facts: FileFacts) -> list[Chunk]:
    created = set(facts.created_before.get(statement.index, frozenset()))
    body = _code(statement.body)
    own = [s for s in body if s.raw != ";"]
    joined = not body or body[-1].raw != ";"  # whether unparsable words continue it
    before: list[Any] = []
    after: list[Any] = []
    node = _parent(statement.body)  # the `statement` segment
    stopped = False
    while node is not None and not stopped:
        parent = _parent(node)
        if parent is None:
            break
        segments = list(parent.segments)
        at = next((i for i, s in enumerate(segments) if s is node), len(segments))
        if statement.index == 0:
            before[:0] = [w for s in segments[:at] if s.type == "unparsable" for w in _code(s)]
        for seg in segments[at + 1 :]:
            if seg.raw == ";" or seg.is_type("statement_terminator"):
                joined = False
            elif seg.type == "unparsable":
                after.extend(_code(seg))
            elif seg.is_code:
                stopped = True
                break
        node = parent
    out = [_chunk(piece, False, created) for piece in _split(before)]
    pieces = _split(after)
    if joined and after:
        own = own + pieces.pop(0)
    out.append(_chunk(own, True, created))
    out.extend(_chunk(piece, False, created) for piece in pieces)
    return [c for c in out if c.words]


def _chunk(segments: list[Any], parsed: bool, created: set[str]) -> Chunk:
    words: list[Word] = []
    depth = 0
    for seg in segments:
        if seg.raw == ")":
            depth = max(depth - 1, 0)
        words.append(Word(seg.raw.upper(), seg, depth))  # a bracket is outside itself
        if seg.raw == "(":
            depth += 1
    chunk = Chunk(words, parsed, frozenset(created))
    if chunk.kind() == "CREATE TABLE":
        created.add(chunk.table())
    return chunk


def _split(segments: list[Any]) -> list[list[Any]]:
    """Words split at `;` and `GO` (an empty piece where the words start with one)."""
    pieces: list[list[Any]] = [[]]
    for seg in segments:
        if seg.raw == ";" or seg.raw.upper() == "GO":
            pieces.append([])
        else:
            pieces[-1].append(seg)
    return pieces if segments else []


def _code(segment: Any) -> list[Any]:
    return [s for s in segment.raw_segments if s.is_code and not s.is_meta]


def _parent(segment: Any) -> Any | None:
    found = segment.get_parent()
    return found[0] if found else None


# ---- what SQLFluff could not parse after a statement, and names among words -------------


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
    if not terminated:  # cut short: chunks joins the statement and its rest
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
