"""One file's analysis: SQLFluff's findings and dbci's rules over the same parse tree,
with suppressions applied and positions in the file's own lines and columns."""

from __future__ import annotations

from dataclasses import dataclass

from dbci.analysis.findings import Finding
from dbci.analysis.rules import RULES, RULES_BY_ID
from dbci.analysis.source_map import Templated
from dbci.analysis.sqlfluff_setup import ParsedOnly, PreparedLinter
from dbci.analysis.suppression import find_suppressions
from dbci.analysis.tree import file_facts, statements_of

# SQLFluff's codes for a file it could not template, lex or parse: errors, not style.
_SQLFLUFF_ERRORS = {"PRS", "TMP", "LXR"}


@dataclass(frozen=True)
class FileToLint:
    """A script as it is linted: its path for messages and its templated text."""

    display: str
    templated: Templated
    secrets: tuple[tuple[str, str], ...] = ()  # (placeholder value, how to show it)


def lint_one(linter: PreparedLinter, item: FileToLint, dialect: str) -> list[Finding]:
    """Every finding of one file, sorted, before severity overrides."""
    templated = item.templated
    to_file = templated.source_map.to_file
    findings: list[Finding] = []
    try:
        linted = linter.lint(templated.text, item.display)
    except Exception as exc:  # an SQLFluff bug must not lose the file: it is a finding
        return [Finding("PRS", "error", item.display, 1, 1, f"SQLFluff failed: {exc}", "sqlfluff")]
    for violation in linted.get_violations():
        code = violation.rule_code()
        line, column = to_file(violation.line_no or 1, violation.line_pos or 1)
        findings.append(
            Finding(
                code,
                "error" if code in _SQLFLUFF_ERRORS else "warning",
                item.display,
                line,
                column,
                _hide(violation.desc(), item.secrets),
                "sqlfluff",
            )
        )
    statements = statements_of(linted.tree)
    columns_read = linted.columns_read if isinstance(linted, ParsedOnly) else None
    facts = file_facts(dialect, statements, columns_read)
    suppressions = find_suppressions(linted.tree, statements)
    rules = [rule for rule in RULES if rule.applies_to(dialect)]
    for statement in statements:
        for rule in rules:
            for hit in rule.check(statement, facts):
                line, column = to_file(*hit.where())
                if suppressions.suppresses(statement.index, rule.id):
                    comment_line = to_file(suppressions.lines[statement.index], 1)[0]
                    findings.append(
                        Finding(
                            rule.id,
                            "info",
                            item.display,
                            line,
                            column,
                            f"({rule.name}) suppressed by dbci:ignore on line "
                            f"{comment_line}: {_hide(hit.message, item.secrets)}",
                            "dbci",
                            suppression=True,
                        )
                    )
                    continue
                findings.append(
                    Finding(
                        rule.id,
                        rule.severity,
                        item.display,
                        line,
                        column,
                        _hide(hit.message, item.secrets),
                        "dbci",
                        table=hit.table,
                    )
                )
    # SQLFluff's `-- noqa` suppresses its own findings: none without its style rules.
    for line, column, text in suppressions.noqa if linter.style else ():
        line, column = to_file(line, column)
        findings.append(
            Finding(
                "noqa",
                "info",
                item.display,
                line,
                column,
                f"SQLFluff findings suppressed here ({_hide(text, item.secrets)})",
                "sqlfluff",
                suppression=True,
            )
        )
    note = RULES_BY_ID["DB002"]
    for text, line, column in templated.missing:
        findings.append(
            Finding(
                note.id,
                note.severity,
                item.display,
                line,
                column,
                f"placeholder {text} has no value: linted with a stand-in",
                "dbci",
            )
        )
    return sorted(findings, key=Finding.sort_key)


def _hide(message: str, secrets: tuple[tuple[str, str], ...]) -> str:
    """A message with placeholder values (which may be secrets) shown as placeholders."""
    for value, shown in secrets:
        if value in message:
            message = message.replace(value, shown)
    return message
