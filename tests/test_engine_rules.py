"""dbci's MySQL/MariaDB (DB7xx) and SQL Server (DB8xx) rules beyond their cases: statements
SQLFluff cannot parse are still read (as words, `dbci.analysis.words`), and their
severities are tuned like any rule's."""

from __future__ import annotations

from pathlib import Path

from support.projects import write_project

from dbci.analysis.lint_file import FileToLint, lint_one
from dbci.analysis.run import analyze
from dbci.analysis.source_map import replace_placeholders
from dbci.analysis.sqlfluff_setup import make_linter, read_project_config
from dbci.settings.config import Overrides, load_settings
from dbci.settings.placeholders import Placeholders


def _lint(tmp_path: Path, dialect: str, sql: str) -> list[tuple[str, int]]:
    linter = make_linter(tmp_path, dialect, read_project_config(tmp_path))
    templated = replace_placeholders(sql, Placeholders(), "V1__x.sql")
    findings = lint_one(linter, FileToLint("V1__x.sql", templated), dialect)
    return [(f.rule, f.line) for f in findings if f.source == "dbci" or f.rule == "PRS"]


def test_unparsable_mysql_statements_are_still_read(tmp_path: Path) -> None:
    # SQLFluff stops at `FORCE` and leaves the rest of the file unparsable.
    sql = (
        "ALTER TABLE orders ADD COLUMN note text, ALGORITHM=INSTANT;\n"
        "ALTER TABLE orders FORCE;\n"
        "ALTER TABLE orders DEFAULT CHARSET utf8;\n"
        "CREATE TABLE fresh (id bigint PRIMARY KEY) ENGINE = MyISAM;\n"
        "ALTER TABLE fresh ADD INDEX fresh_idx (id);\n"
        "ALTER TABLE orders ADD INDEX orders_note_idx (note), ALGORITHM=INPLACE, LOCK=NONE;\n"
    )
    found = _lint(tmp_path, "mysql", sql)
    assert ("PRS", 2) in found
    assert ("DB701", 2) in found and ("DB701", 3) in found
    assert ("DB703", 3) in found and ("DB704", 4) in found
    assert not any(rule == "DB701" and line in (1, 5, 6) for rule, line in found), found


def test_unparsable_tsql_statements_are_still_read(tmp_path: Path) -> None:
    sql = (
        "CREATE INDEX ix_a ON dbo.orders (a) WITH (ONLINE = ON);\n"
        "ALTER TABLE dbo.orders REBUILD;\n"
        "ALTER TABLE dbo.orders REBUILD WITH (ONLINE = ON);\n"
        "GO\n"
        "ALTER INDEX ix_a ON dbo.orders REBUILD\n"
    )
    found = _lint(tmp_path, "tsql", sql)
    # SQLFluff 4's T-SQL grammar parses a plain REBUILD, not one WITH options.
    assert ("PRS", 3) in found
    assert [line for rule, line in found if rule == "DB801"] == [2, 5]


def test_severities_of_engine_rules_are_tuned_in_the_config(tmp_path: Path) -> None:
    toml = '[dbci.check.code.severity]\nDB701 = "error"\nDB704 = "off"\n'
    root = write_project(
        tmp_path / "proj",
        {
            "V1__x.sql": (
                "CREATE TABLE log (id bigint PRIMARY KEY) ENGINE = MyISAM;\n"
                "ALTER TABLE orders ADD INDEX orders_a_idx (a);\n"
            )
        },
        toml,
    )
    settings = load_settings(Overrides(project=root), environ={})
    result = analyze(settings, dialect="mysql")
    rules = {f.rule: f.severity for f in result.findings if f.source == "dbci"}
    assert rules.get("DB701") == "error" and "DB704" not in rules
    assert result.failed
