"""`style = false` on PostgreSQL leaves the statements no dbci rule reads out of SQLFluff's
parse (`dbci.analysis.unread_statements`): every finding of dbci's rules must be the one
the full parse gives, on every rule's cases and on files built to catch what blanking
could break (suppressions before a left-out statement, statements sharing a line,
DB502's need for DDL, text libpg_query cannot parse, non-ASCII text)."""

from __future__ import annotations

import dataclasses
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pgparse
import pytest

from dbci.analysis.columns import typed_columns
from dbci.analysis.findings import Finding
from dbci.analysis.lint_file import FileToLint, lint_one
from dbci.analysis.source_map import replace_placeholders
from dbci.analysis.sqlfluff_setup import PreparedLinter, make_linter, read_project_config
from dbci.analysis.tree import file_facts, statements_of
from dbci.analysis.unread_statements import blank_unread, text_for_rules
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


# Type spellings, as SQLFluff's PostgreSQL dialect reads them, for the CREATE TABLE
# stand-ins: the type rules (DB601-DB605) must read the same from libpg_query's tree.
TYPES = [
    "int", "integer", "INT4", "int2", "smallint", "bigint", "serial", "serial4",
    "bigserial", "smallserial", "varchar(20)", "varchar", "character varying(20)",
    "character varying", "char(2)", "char", "character(3)", "bpchar(4)", "nchar(3)",
    "national character varying(10)", "timestamp", "timestamp(3)",
    "timestamp without time zone", "timestamp(3) with time zone", "timestamptz", "time",
    "double precision", "numeric(12, 2)", "int[]", "int4[3]", "integer ARRAY",
    "varchar(20)[]", "public.mytype", "pg_catalog.varchar(20)", "pg_catalog.int4",
    '"varchar"(20)', '"int4"', "citext", "text", "bit varying(5)", "varchar (20)",
    'varchar(20) COLLATE "C"', "uuid",
]  # fmt: skip


def _types_table(name: str, constraint: str) -> str:
    columns = ",\n".join(f"    c{i} {t}{constraint}" for i, t in enumerate(TYPES))
    return f"CREATE TABLE {name} (\n{columns}\n);\n"


CREATED = {
    "every type spelling": _types_table("plain", " NOT NULL DEFAULT NULL"),
    "every type spelling as a key": _types_table("keyed", " PRIMARY KEY"),
    "every type spelling as an identity": _types_table(
        "counted", " GENERATED BY DEFAULT AS IDENTITY"
    ),
    "table-level keys, quoted names, constraints between": (
        'CREATE TABLE "Orders" (\n  "Id" int, b int CONSTRAINT pos CHECK (b > 0) DEFAULT 1,\n'
        "  c int REFERENCES customers (id) DEFERRABLE, d serial UNIQUE,\n"
        '  e timestamp, PRIMARY KEY ("Id", b)\n) PARTITION BY RANGE ("Id");\n'
        "ALTER TABLE orders ADD COLUMN f int;\nCREATE INDEX orders_e ON orders (e);\n"
    ),
    "brackets, quotes and comments inside the list": (
        "CREATE TABLE notes (\n  a varchar(20) DEFAULT ')(,' CHECK (a <> E'\\')'),\n"
        "  b int DEFAULT $$),($$::int, -- a ) comment\n"
        "  /* (nested /* ) */ comment */ c char(2),\n"
        "  d timestamp /* inside the type */ with time zone NOT NULL, f timestamp /* after */,\n"
        "  e int -- last\n);\n"
    ),
    "suppression inside the list": (
        "CREATE TABLE events (\n  id serial PRIMARY KEY, -- dbci:ignore DB602\n  at timestamp\n);\n"
    ),
    "suppression before the statement": (
        "-- dbci:ignore DB603\nCREATE TABLE events (id bigint, at timestamp);\n"
        "CREATE TABLE later (at timestamp);\n"
    ),
    "tables sharing a line, non-ASCII names": (
        "CREATE TABLE a (x int); CREATE TABLE "
        '"Bücher" (tïtel varchar(9), id serial); ALTER TABLE a ADD y int;\n'
    ),
    "other forms of CREATE TABLE": (
        "CREATE TABLE copy (LIKE orders INCLUDING ALL, extra int);\n"
        "CREATE TABLE part PARTITION OF orders FOR VALUES FROM (1) TO (9);\n"
        "CREATE TEMP TABLE IF NOT EXISTS scratch (v varchar(3)) ON COMMIT DROP;\n"
        "CREATE TABLE snap AS SELECT 1::int AS one;\nCREATE TABLE empty ();\n"
    ),
    "a statement SQLFluff cannot parse after it": (
        "CREATE TABLE events (id serial, at timestamp);\n"
        "CREATE TABLE t (c int) WITH (fillfactor = 70) USING heap;\n"
        "ALTER TABLE orders ADD COLUMN z varchar(5);\n"
    ),
}


@pytest.mark.parametrize("sql", CREATED.values(), ids=CREATED.keys())
def test_create_table_stand_ins_find_the_same(sql: str) -> None:
    full = _dbci_findings(sql, style=True)
    assert full, "each file holds something dbci reports"
    assert _dbci_findings(sql, style=False) == full


def test_libpg_query_reads_the_columns_sqlfluff_reads() -> None:
    """Column by column, what the type rules read is the same from either parser."""
    for name, sql in CREATED.items():
        if name.startswith("every type"):
            read = text_for_rules(sql).columns
            assert len(read) == 1, name
            (from_pg,) = read.values()
            linted = _linter(True).lint(sql, "V1__case.sql")
            statements = statements_of(linted.tree)
            from_sqlfluff = typed_columns(statements[0], file_facts("postgres", statements))
            # The one documented difference: a user type's plain name is a word to the
            # stand-in and none to SQLFluff, and no rule reads it.
            user_type = [c for c in from_sqlfluff if c.type_text == "citext"]
            assert [c.type_words for c in user_type] == [[]]
            from_pg = [
                dataclasses.replace(c, type_words=[]) if c.type_text == "citext" else c
                for c in from_pg
            ]
            assert from_pg == from_sqlfluff, name


def test_which_create_tables_get_a_stand_in() -> None:
    """A stand-in only where nothing about the statement is in doubt."""

    def read(sql: str) -> list[tuple[int, int]]:
        return sorted(text_for_rules(sql).columns)

    assert read(CREATED["table-level keys, quoted names, constraints between"]) == [(1, 1)]
    assert read(CREATED["suppression inside the list"]) == []
    assert read(CREATED["suppression before the statement"]) == [(2, 1), (3, 1)]
    assert read(CREATED["tables sharing a line, non-ASCII names"]) == [(1, 1), (1, 25)]
    # LIKE, PARTITION OF, AS SELECT and an empty list are SQLFluff's; TEMP … ON COMMIT is not.
    assert read(CREATED["other forms of CREATE TABLE"]) == [(3, 1)]
    # A comment inside a type: SQLFluff reads that statement whole.
    assert read(CREATED["brackets, quotes and comments inside the list"]) == []
    sql = CREATED["brackets, quotes and comments inside the list"].replace(
        "/* inside the type */ ", ""
    )
    assert read(sql) == [(1, 1)]
    assert _dbci_findings(sql, style=False) == _dbci_findings(sql, style=True)
    # Blanked, the list keeps its brackets, lines and the columns after it.
    reduced = text_for_rules(CREATED["tables sharing a line, non-ASCII names"]).text
    assert reduced == (
        "CREATE TABLE a (     ); CREATE TABLE "
        '"Bücher" (                           ); ALTER TABLE a ADD y int;\n'
    )


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
