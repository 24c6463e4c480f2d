"""dbci's PostgreSQL lock rules (DB207–DB215) beyond their cases: statements SQLFluff
cannot parse (transaction control such as `SAVEPOINT` or `BEGIN ISOLATION LEVEL …` leaves
the rest of the file unparsable) are still read as words, and their severities are tuned
like any rule's."""

from __future__ import annotations

from pathlib import Path

from support.projects import write_project

from dbci.analysis.lint_file import FileToLint, lint_one
from dbci.analysis.run import analyze
from dbci.analysis.source_map import replace_placeholders
from dbci.analysis.sqlfluff_setup import make_linter, read_project_config
from dbci.settings.config import Overrides, load_settings
from dbci.settings.placeholders import Placeholders


def _lint(tmp_path: Path, sql: str) -> list[tuple[str, int]]:
    linter = make_linter(tmp_path, "postgres", read_project_config(tmp_path))
    templated = replace_placeholders(sql, Placeholders(), "V1__x.sql")
    findings = lint_one(linter, FileToLint("V1__x.sql", templated), "postgres")
    return [(f.rule, f.line) for f in findings if f.source == "dbci" or f.rule == "PRS"]


def test_statements_after_an_unparsable_one_are_still_read(tmp_path: Path) -> None:
    sql = (
        "CREATE TABLE fresh (id bigint);\n"
        "SAVEPOINT before_changes;\n"  # SQLFluff stops here: the rest is unparsable
        "ALTER TABLE orders ADD CONSTRAINT orders_ref_key UNIQUE (ref),"
        " ADD COLUMN customer_id bigint REFERENCES customers (id);\n"
        "ALTER TABLE fresh ADD PRIMARY KEY (id);\n"
        "DROP INDEX orders_old_idx;\n"
        "REINDEX TABLE orders;\n"
        "CREATE MATERIALIZED VIEW totals AS SELECT 1 AS one;\n"
        "REFRESH MATERIALIZED VIEW totals;\n"
        "REFRESH MATERIALIZED VIEW order_totals;\n"
        "VACUUM (FULL) orders;\n"
        "LOCK TABLE orders IN SHARE MODE;\n"
        "LOCK TABLE orders IN ROW EXCLUSIVE MODE;\n"
    )
    found = _lint(tmp_path, sql)
    assert ("PRS", 2) in found
    mine = sorted((rule, line) for rule, line in found if "DB207" <= rule <= "DB215")
    assert mine == [
        ("DB207", 3),
        ("DB208", 3),
        ("DB210", 5),
        ("DB211", 6),
        ("DB212", 9),
        ("DB213", 10),
        ("DB214", 11),
    ]


def test_a_statement_cut_short_is_read_whole(tmp_path: Path) -> None:
    # SQLFluff parses `CLUSTER` and `LOCK TABLE orders` and stops before the rest.
    found = _lint(tmp_path, "CLUSTER (VERBOSE) orders;\n")
    assert ("DB213", 1) in found
    assert ("DB214", 1) in _lint(tmp_path, "LOCK TABLE orders * IN EXCLUSIVE MODE;\n")
    assert ("DB214", 1) not in _lint(tmp_path, "LOCK TABLE orders * IN ROW SHARE MODE;\n")


def test_concurrently_inside_an_unparsable_transaction_block(tmp_path: Path) -> None:
    sql = (
        "BEGIN ISOLATION LEVEL SERIALIZABLE;\n"
        "CREATE INDEX CONCURRENTLY orders_a_idx ON orders (a);\n"
        "COMMIT;\n"
        "DROP INDEX CONCURRENTLY orders_b_idx;\n"
    )
    assert [line for rule, line in _lint(tmp_path, sql) if rule == "DB215"] == [2]


def test_severities_of_lock_rules_are_tuned_in_the_config(tmp_path: Path) -> None:
    toml = '[dbci.check.code.severity]\nDB215 = "warning"\nDB214 = "off"\nDB213 = "error"\n'
    root = write_project(
        tmp_path / "proj",
        {
            "V1__x.sql": (
                "BEGIN;\nCREATE INDEX CONCURRENTLY orders_a_idx ON orders (a);\nCOMMIT;\n"
            ),
            "V2__y.sql": "LOCK TABLE orders;\n",
            "V3__z.sql": "VACUUM FULL orders;\n",
        },
        toml,
    )
    settings = load_settings(Overrides(project=root), environ={})
    result = analyze(settings, dialect="postgres")
    rules = {f.rule: f.severity for f in result.findings if f.source == "dbci"}
    assert rules.get("DB215") == "warning" and "DB214" not in rules
    assert rules.get("DB213") == "error"
