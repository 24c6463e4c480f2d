"""What a dbci rule is: an id, a default severity, the dialects it applies to, a check."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from dbci.analysis.tree import FileFacts, Statement, keywords, position
from dbci.analysis.words import Chunk, unparsed

POSTGRES = frozenset({"postgres"})


@dataclass(frozen=True)
class Hit:
    """A rule's finding before it becomes a `Finding`: where, and what to say."""

    segment: Any  # the SQLFluff segment it is about, or its (line, column) in the text
    message: str
    # The existing table the statement acts on, as the migration names it, where the risk
    # grows with its rows: the check weighs it with the target's statistics (data_risk).
    table: str | None = None

    def where(self) -> tuple[int, int]:
        """(line, column) in the linted text."""
        if isinstance(self.segment, tuple):
            return self.segment
        return position(self.segment)


class Rule:
    """A dbci rule. Subclasses set the class attributes and implement `check`; the
    docstring shows the bad SQL and the good SQL."""

    id: ClassVar[str]
    name: ClassVar[str]  # a short slug: drop-table
    severity: ClassVar[str]  # error | warning | info
    dialects: ClassVar[frozenset[str] | None] = None  # SQLFluff dialects; None: every one

    def applies_to(self, dialect: str) -> bool:
        return self.dialects is None or dialect in self.dialects

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        """The problems of one statement (`facts` tells what else the file holds)."""
        raise NotImplementedError


class WordRule(Rule):
    """A rule that reads a statement as SQLFluff parsed it (`check_parsed`) and, by words,
    what SQLFluff could not parse (`check_words`, given `words.unparsed`'s chunks): the
    statement itself when its parse stopped short (then read by its words alone), and the
    statements of an unparsable section after it. Subclasses implement `check_parsed` and
    `check_chunk` (or `check_words`, when one chunk's reading depends on another's)."""

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        extra = unparsed(statement, facts)
        if not any(c.parsed for c in extra):
            yield from self.check_parsed(statement, facts)
        if extra:
            yield from self.check_words(extra, statement, facts)

    def check_parsed(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        """The problems of the statement as SQLFluff parsed it."""
        raise NotImplementedError

    def check_words(
        self, chunks: list[Chunk], statement: Statement, facts: FileFacts
    ) -> Iterator[Hit]:
        """The problems of the statements read by words (`chunks`, never empty), in order:
        each chunk's own (`check_chunk`)."""
        for chunk in chunks:
            yield from self.check_chunk(chunk)

    def check_chunk(self, chunk: Chunk) -> Iterator[Hit]:
        """The problems of one statement read by words."""
        raise NotImplementedError


def altered_actions(
    statement: Statement, facts: FileFacts
) -> Iterator[tuple[str, list[Any], list[str]]]:
    """(table, action, the action's keywords) for each action of an ALTER TABLE on a table
    the file did not create (a new table is empty and unused: nothing to fear)."""
    if statement.kind != "alter_table_statement":
        return
    table = statement.table()
    if facts.is_new_table(statement, table):
        return
    for action in statement.actions():
        yield table, action, keywords(action)
