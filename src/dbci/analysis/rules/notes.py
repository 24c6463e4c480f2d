"""Notes about the analysis itself rather than about the SQL.

DB001 not-analysed: a file larger than `[dbci.check.code] max_file_bytes` (default
1,000,000) is not linted; it is reported so that nothing is skipped silently. Raise the
limit to analyse it.

DB002 placeholder-without-value: a `${name}` with no value in the configuration was
linted with a stand-in identifier; deploy would refuse the script.
"""

from __future__ import annotations

from collections.abc import Iterator

from dbci.analysis.rules.base import Hit, Rule
from dbci.analysis.tree import FileFacts, Statement


class NotAnalysed(Rule):
    id = "DB001"
    name = "not-analysed"
    severity = "warning"

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        return iter(())  # reported by the analysis, not by a statement


class PlaceholderWithoutValue(Rule):
    id = "DB002"
    name = "placeholder-without-value"
    severity = "warning"

    def check(self, statement: Statement, facts: FileFacts) -> Iterator[Hit]:
        return iter(())
