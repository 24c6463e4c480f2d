"""`style = false` on PostgreSQL leaves the statements no dbci rule reads out of SQLFluff's
parse (`dbci.analysis.unread_statements`): every finding of dbci's rules must be the one
the full parse gives, on every rule's cases and on files built to catch what blanking
could break (suppressions before a left-out statement, statements sharing a line,
DB502's need for DDL, text libpg_query cannot parse, non-ASCII text)."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pgparse
import pytest

from dbci.analysis.findings import Finding
from dbci.analysis.lint_file import FileToLint, lint_one
from dbci.analysis.source_map import replace_placeholders
from dbci.analysis.sqlfluff_setup import PreparedLinter, make_linter, read_project_config
from dbci.analysis.unread_statements import blank_unread
from dbci.settings.placeholders import Placeholders

CASES_DIR = Path(__file__).parent / "rule_cases"


@cache
def _linter(style: bool) -> PreparedLinter:
    project = Path(__file__).parent  # no SQLFluff config of its own here: `core` rules
    return make_linter(project, "postgres", read_project_config(Path("/nonexistent")), style=style)


def _dbci_findings(sql: str, *, style: bool) -> list[tuple[Any, ...]]:
    templated = replace_placeholders(sql, Placeholders(), "V1__case.sql")
    found = lint_one(_linter(style), FileToLint("V1__case.sql", templated), "postgres")
    return [_key(f) for f in found if f.source == "dbci" or f.rule == "PRS"]


def _key(finding: Finding) -> tuple[Any, ...]:
    return (finding.rule, finding.severity, finding.line, finding.column, finding.message)


def _postgres_cases() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("DB*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for expect in ("fail", "pass"):
            for case in data.get(expect, []):
                if case.get("dialect", "postgres") == "postgres":
                    params.append(
                        pytest.param(case["sql"], id=f"{path.stem}-{expect}-{case['name']}")
                    )
    return params


@pytest.mark.parametrize("sql", _postgres_cases())
def test_every_rule_case_finds_the_same_without_the_unread_statements(sql: str) -> None:
    assert _dbci_findings(sql, style=False) == _dbci_findings(sql, style=True)


FILES = {
    "suppression before a left-out insert": (
        "-- dbci:ignore DB205\n"
        "INSERT INTO audit VALUES (1, 'x');\n"
        "CREATE INDEX orders_a ON orders (a);\n"
    ),
    "suppression after the statement before": (
        "CREATE INDEX orders_a ON orders (a); -- dbci:ignore DB205\n"
        "COMMENT ON INDEX orders_a IS 'why';\n"
        "CREATE INDEX orders_b ON orders (b);\n"
    ),
    "statements sharing a line": (
        "INSERT INTO audit VALUES (1); CREATE INDEX orders_a ON orders (a); "
        "COMMENT ON TABLE orders IS 'x'; DROP TABLE legacy;\n"
    ),
    "a view and large DML (DB502 needs the DDL)": (
        "CREATE VIEW recent AS SELECT * FROM orders WHERE placed > now() - interval '1 day';\n"
        "INSERT INTO audit VALUES (1);\n"
        "UPDATE orders SET note = 'n' WHERE id < 10;\n"
    ),
    "an insert of a query is large DML": (
        "CREATE VIEW v AS SELECT 1 AS one;\n"
        "INSERT INTO archive SELECT * FROM orders WHERE placed < '2020-01-01';\n"
    ),
    "non-ASCII text": (
        "COMMENT ON TABLE orders IS 'Bestellungen für Kunden – ünïcödé';\n"
        "INSERT INTO names VALUES ('Zoë'), ('Åsa');\n"
        "ALTER TABLE orders ADD COLUMN tier text NOT NULL;\n"
    ),
    "libpg_query cannot parse it": (
        "INSERT INTO audit VALUES (1);\nSELEC oops FROM;\nCREATE INDEX orders_a ON orders (a);\n"
    ),
}


@pytest.mark.parametrize("sql", FILES.values(), ids=FILES.keys())
def test_files_built_to_catch_blanking_find_the_same(sql: str) -> None:
    full = _dbci_findings(sql, style=True)
    assert full, "each file holds something dbci reports"
    assert _dbci_findings(sql, style=False) == full


def test_left_out_statements_keep_every_other_one_in_its_place() -> None:
    source = "\n".join(v for k, v in FILES.items() if "cannot parse" not in k)
    blanked = blank_unread(source)
    assert "INSERT INTO audit VALUES" not in blanked and "COMMENT ON" not in blanked
    assert "INSERT INTO archive SELECT" in blanked  # large DML is read
    assert "CREATE VIEW recent" in blanked  # the file has large DML: DB502 reads DDL
    # Every line stays; on it, every character kept stands where it stood.
    pairs = list(zip(source.split("\n"), blanked.split("\n"), strict=True))
    for number, (before, after) in enumerate(pairs, 1):
        for column, char in enumerate(after):
            assert char == " " or before[column] == char, (number, column)


def test_text_libpg_query_refuses_is_parsed_whole() -> None:
    sql = FILES["libpg_query cannot parse it"]
    with pytest.raises(pgparse.PGQueryError):
        pgparse.parse(sql)
    assert blank_unread(sql) == sql
