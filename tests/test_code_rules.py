"""dbci's rules against their cases (`tests/rule_cases/DB###.toml`), parsed by SQLFluff.

Each case file holds `[[fail]]` cases, which must give the rule's finding (on `lines`
when given), and `[[pass]]` cases, which must not. The dialect is PostgreSQL unless the
case names another.
"""

from __future__ import annotations

import ast
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from dbci.analysis import rules as rules_package
from dbci.analysis.lint_file import FileToLint, lint_one
from dbci.analysis.rules import RULES, RULES_BY_ID
from dbci.analysis.source_map import replace_placeholders
from dbci.analysis.sqlfluff_setup import PreparedLinter, make_linter, read_project_config
from dbci.settings.placeholders import Placeholders

CASES_DIR = Path(__file__).parent / "rule_cases"
NOTE_RULES = {"DB001", "DB002"}  # about the analysis, reported by it: no SQL cases
# Reported by the check from its builds, not by one file (tests/test_column_in_use.py).
BUILD_RULES = {"DB303"}


def _cases() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("DB*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for expect in ("fail", "pass"):
            for case in data.get(expect, []):
                params.append(
                    pytest.param(path.stem, expect, case, id=f"{path.stem}-{expect}-{case['name']}")
                )
    return params


@cache
def _linter(dialect: str, tmp: str) -> PreparedLinter:
    project = Path(tmp)
    return make_linter(project, dialect, read_project_config(project))


@pytest.mark.parametrize(("rule", "expect", "case"), _cases())
def test_rule_case(rule: str, expect: str, case: dict[str, Any], tmp_path_factory: Any) -> None:
    dialect = case.get("dialect", "postgres")
    linter = _linter(dialect, str(tmp_path_factory.getbasetemp()))
    templated = replace_placeholders(case["sql"], Placeholders(), "V1__case.sql")
    findings = lint_one(linter, FileToLint("V1__case.sql", templated), dialect)
    found = [f for f in findings if f.rule == rule and not f.suppression]
    parse_errors = [f for f in findings if f.rule == "PRS"]
    assert not parse_errors, f"the case does not parse: {parse_errors}"
    if expect == "pass":
        assert found == [], f"{rule} reported on a passing case: {found}"
    else:
        assert found, f"{rule} not reported on: {case['sql']}"
        assert all(f.severity == RULES_BY_ID[rule].severity for f in found)
        if "lines" in case:
            assert [f.line for f in found] == case["lines"]


def test_every_rule_has_cases_and_a_docstring_with_bad_and_good_sql() -> None:
    with_cases = {p.stem for p in CASES_DIR.glob("DB*.toml")}
    assert with_cases == set(RULES_BY_ID) - NOTE_RULES - BUILD_RULES
    for path in Path(rules_package.__file__).parent.glob("*.py"):
        if path.name in ("__init__.py", "base.py", "notes.py"):
            continue
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        assert doc.startswith("DB"), path.name
        assert "Bad" in doc and "Good" in doc, f"{path.name}: show the bad and the good SQL"
    data = [tomllib.loads(p.read_text())[k] for p in CASES_DIR.glob("*.toml") for k in ("fail",)]
    assert all(data)


def test_rule_ids_are_unique_and_stable() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    assert all(rule.severity in ("error", "warning", "info") for rule in RULES)
    assert {rule.name for rule in RULES} >= {"drop-table", "unbounded-dml", "lock-timeout"}
