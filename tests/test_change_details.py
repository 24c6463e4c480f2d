"""What changes inside each object (`dbci.schema.change_details`), in every place a person
reviews it: report.json's `changes.objects[].details` and `drift.items[].details`, the
nested lists of comment.md and summary.md, the list under each object of report.html.

The scenarios are real: migrations run on real PostgreSQL and SQLite databases, drift made
by hand on the target. Every expected name, type and value below is one the test's own SQL
wrote (a column it dropped, the type it gave a column, the enum value it added and where),
never one read back from dbci's output.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import psycopg
from support.cli import run_dbci
from support.postgres import libpq_url
from support.projects import write_project

from dbci.report.json_schema import report_problem
from dbci.report.markdown import COMMENT_LIMIT, render_comment
from dbci.schema.change_details import MAX_DIFF_LINES, details, drift_details
from dbci.schema.model import Column, Constraint, Enum, Table, View

SHOP = {
    "V1__shop.sql": (
        "CREATE TABLE shop.customers (id int PRIMARY KEY, legacy_code text, name text);\n"
        "CREATE TYPE shop.level AS ENUM ('bronze', 'gold');\n"
        "CREATE VIEW shop.names AS SELECT id, name FROM shop.customers;\n"
        "CREATE TABLE shop.orders (id int PRIMARY KEY, amount integer NOT NULL, note text);\n"
    ),
    "V2__tier.sql": (
        "ALTER TABLE shop.customers DROP COLUMN legacy_code;\n"
        "ALTER TABLE shop.customers ADD COLUMN tier text NOT NULL DEFAULT 'basic';\n"
        "ALTER TYPE shop.level ADD VALUE 'silver' AFTER 'bronze';\n"
        "CREATE OR REPLACE VIEW shop.names AS SELECT id, upper(name) AS name FROM shop.customers;\n"
    ),
}


def _sql(url: str, statements: str) -> None:
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(statements)


def _object(objects: list[dict[str, Any]], type_: str, name: str) -> dict[str, Any]:
    return next(o for o in objects if (o["type"], o["name"]) == (type_, name))


def _under(markdown: str, heading: str) -> list[str]:
    """The nested bullet lines (and their fenced blocks) right under the bullet `heading`."""
    lines = markdown.splitlines()
    start = lines.index(heading) + 1
    out: list[str] = []
    for line in lines[start:]:
        if line and not line.startswith(" "):
            break
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return out


def _at_version_1(tmp_path: Path, url: str) -> tuple[Path, tuple[Any, ...]]:
    """The SHOP project with V1 applied to `url`, and the options that point dbci at it."""
    root = write_project(tmp_path / "p", SHOP)
    common = ("--project", root, "--url", url, "--schemas", "shop")
    done = run_dbci(*common, "migrate", "--target", "1")
    assert done.returncode == 0, done.stderr
    return root, common


def test_changes_list_the_columns_values_and_lines_inside_each_object(
    tmp_path: Path, pg_url: str
) -> None:
    root, common = _at_version_1(tmp_path, pg_url)
    done = run_dbci(*common, "check", "--changes")
    assert done.returncode == 0, done.stderr
    folder = root / "dbci-report"
    report = json.loads((folder / "report.json").read_text())
    assert report_problem(report) is None
    objects = report["changes"]["objects"]

    customers = _object(objects, "table", "customers")
    assert customers["destructive"] is True
    columns = {(d["what"], d["name"], d["change"]): d for d in customers["details"]}
    assert set(columns) == {("column", "legacy_code", "dropped"), ("column", "tier", "added")}
    dropped = columns["column", "legacy_code", "dropped"]
    assert dropped["destructive"] is True and dropped["detail"] == "text"
    added = columns["column", "tier", "added"]
    assert not added.get("destructive")
    assert added["detail"].startswith("text ") and added["detail"].endswith(" NOT NULL")
    assert "'basic'" in added["detail"]

    level = _object(objects, "enum", "level")
    assert level["destructive"] is False
    assert level["details"] == [
        {"what": "value", "name": "silver", "change": "added", "detail": "after 'bronze'"}
    ]

    view = _object(objects, "view", "names")
    (query,) = view["details"]
    assert (query["what"], query["change"]) == ("query", "changed")
    added_lines = [line for line in query["lines"] if line.startswith("+ ")]
    removed_lines = [line for line in query["lines"] if line.startswith("- ")]
    assert len(added_lines) == 1 and "upper(name) AS name" in added_lines[0]
    assert len(removed_lines) == 1 and "name" in removed_lines[0]
    assert "upper" not in removed_lines[0]
    assert len(query["lines"]) <= 5  # the changed line and one line of context around it

    rendered = run_dbci(*common, "report")
    assert rendered.returncode == 0, rendered.stderr
    for name in ("comment.md", "summary.md"):
        text = (folder / name).read_text()
        under = _under(text, "- table shop.customers **(destructive: can lose data)**")
        assert under[0] == "  - column legacy\\_code dropped: text **(can lose data)**", name
        assert under[1].startswith("  - column tier added: text "), name
        assert under[1].endswith(" NOT NULL"), name  # adding it loses nothing: no mark
        assert _under(text, "- enum shop.level") == ["  - value silver added: after 'bronze'"]
        shown = _under(text, "- view shop.names")
        assert shown[0] == "  - query changed"
        fence = shown[shown.index("    ```diff") + 1 :]
        fence = fence[: fence.index("    ```")]
        assert [line for line in fence if line.startswith("    + ")] == ["    " + added_lines[0]]

    html = (folder / "report.html").read_text()
    assert "<li>column <code>legacy_code</code> dropped: <code>text</code> " in html
    assert html.count('<span class="b bad">can lose data</span>') == 1  # on the dropped column
    assert "<li>value <code>silver</code> added: <code>after &#39;bronze&#39;</code></li>" in html
    assert '<span class="add">+' in html and "upper(name) AS name</span>" in html


def test_drift_names_the_column_with_expected_and_actual_types(tmp_path: Path, pg_url: str) -> None:
    root, common = _at_version_1(tmp_path, pg_url)
    _sql(pg_url, "ALTER TABLE shop.orders ALTER COLUMN amount TYPE bigint")
    done = run_dbci(*common, "check", "--drift")
    assert done.returncode == 0, done.stderr
    folder = root / "dbci-report"
    report = json.loads((folder / "report.json").read_text())
    assert report_problem(report) is None
    orders = _object(report["drift"]["items"], "table", "orders")
    assert orders["revert_destructive"] is True  # bigint values may not fit integer again
    assert orders["details"] == [
        {
            "what": "column",
            "name": "amount",
            "change": "retyped",
            "expected": "integer",
            "actual": "bigint",
            "revert_destructive": True,
        }
    ]

    rendered = run_dbci(*common, "report")
    assert rendered.returncode == 0, rendered.stderr
    comment = (folder / "comment.md").read_text()
    assert _under(comment, "- Change table shop.orders **(reverting it can lose data)**") == [
        "  - column amount retyped: expected integer, actual bigint "
        "**(reverting it can lose data)**"
    ]
    html = (folder / "report.html").read_text()
    assert (
        "<li>column <code>amount</code> retyped: expected <code>integer</code>, actual "
        '<code>bigint</code> <span class="b bad">reverting it can lose data</span></li>'
    ) in html


def test_sqlite_changes_list_the_dropped_and_added_columns(tmp_path: Path, sqlite_url: str) -> None:
    files = {
        "V1__t.sql": "CREATE TABLE customers (id integer PRIMARY KEY, legacy_code text);\n",
        "V2__tier.sql": (
            "ALTER TABLE customers DROP COLUMN legacy_code;\n"
            "ALTER TABLE customers ADD COLUMN tier text NOT NULL DEFAULT 'basic';\n"
        ),
    }
    root = write_project(tmp_path / "p", files)
    common = ("--project", root, "--url", sqlite_url)
    assert run_dbci(*common, "migrate", "--target", "1").returncode == 0
    done = run_dbci(*common, "check", "--changes")
    assert done.returncode == 0, done.stderr
    report = json.loads((root / "dbci-report" / "report.json").read_text())
    (customers,) = report["changes"]["objects"]
    assert customers["destructive"] is True
    parts = [(d["name"], d["change"], bool(d.get("destructive"))) for d in customers["details"]]
    assert parts == [("legacy_code", "dropped", True), ("tier", "added", False)]
    tier = customers["details"][1]["detail"]
    assert tier.lower().startswith("text ") and tier.endswith("NOT NULL") and "'basic'" in tier
    assert run_dbci(*common, "report").returncode == 0
    comment = (root / "dbci-report" / "comment.md").read_text()
    under = _under(comment, "- table main.customers **(destructive: can lose data)**")
    assert re.fullmatch(
        r"  - column legacy\\_code dropped: text \*\*\(can lose data\)\*\*", under[0], re.I
    )


# ---- the model alone: what each kind of change says ------------------------------------------


def _table(*columns: Column, constraints: tuple[Constraint, ...] = ()) -> Table:
    return Table(schema="s", name="t", columns=columns, constraints=constraints)


def test_column_parts_constraints_and_their_marks() -> None:
    before = _table(
        Column(name="price", data_type="integer", default="0"),
        Column(name="code", data_type="text", nullable=False),
        constraints=(
            Constraint(name="c", constraint_type="check", definition="CHECK (price > 0)"),
        ),
    )
    after = _table(
        Column(name="price", data_type="numeric(10,2)"),
        Column(name="code", data_type="text"),
        constraints=(
            Constraint(name="c", constraint_type="check", definition="CHECK (price >= 0)"),
        ),
    )
    assert details(before, after) == [
        {"what": "column", "name": "price", "change": "retyped", "before": "integer",
         "after": "numeric(10,2)", "destructive": True},
        {"what": "column", "name": "price", "change": "default changed", "before": "0",
         "after": None},
        {"what": "column", "name": "code", "change": "nullability changed",
         "before": "NOT NULL", "after": "NULL"},
        {"what": "constraint", "name": "c", "change": "changed", "before": "CHECK (price > 0)",
         "after": "CHECK (price >= 0)"},
    ]  # fmt: skip
    # Drift words the same parts as expected and actual; only the retype is lossy to revert.
    worded = drift_details(before, after, revert_destructive=True)
    assert [(d["change"], d.get("expected"), d.get("actual")) for d in worded] == [
        ("retyped", "integer", "numeric(10,2)"),
        ("default changed", "0", None),
        ("nullability changed", "NOT NULL", "NULL"),
        ("changed", "CHECK (price > 0)", "CHECK (price >= 0)"),
    ]
    assert [bool(d.get("revert_destructive")) for d in worded] == [True, False, False, False]
    # A column only the target has: reverting the drift drops it, and its values.
    extra = dataclasses.replace(
        before, columns=(*before.columns, Column(name="x", data_type="int"))
    )
    assert drift_details(before, extra, revert_destructive=True)[-1] == {
        "what": "column", "name": "x", "change": "added", "detail": "int",
        "revert_destructive": True,
    }  # fmt: skip


def test_enum_values_added_where_and_a_lost_value_marked() -> None:
    before = Enum(schema="s", name="e", labels=("bronze", "gold"))
    grown = Enum(schema="s", name="e", labels=("tin", "bronze", "silver", "gold"))
    assert details(before, grown) == [
        {"what": "value", "name": "tin", "change": "added", "detail": "first"},
        {"what": "value", "name": "silver", "change": "added", "detail": "after 'bronze'"},
    ]
    shrunk = Enum(schema="s", name="e", labels=("gold",))
    assert details(before, shrunk) == [
        {"what": "value", "name": "bronze", "change": "dropped", "destructive": True}
    ]


def test_a_long_text_diff_is_capped_and_keeps_one_line_of_context() -> None:
    old = "\n".join(f"line {i}" for i in range(200))
    new = "\n".join(f"line {i}" if i % 3 else f"LINE {i}" for i in range(200))
    (query,) = details(
        View(schema="s", name="v", definition=old), View(schema="s", name="v", definition=new)
    )
    assert len(query["lines"]) == MAX_DIFF_LINES + 1
    assert query["lines"][-1].startswith("… ") and query["lines"][-1].endswith(" more lines")
    assert query["lines"][:4] == ["- line 0", "+ LINE 0", "  line 1", "  line 2"]
    one = details(
        View(schema="s", name="v", definition="a\nb\nc\nd\ne"),
        View(schema="s", name="v", definition="a\nb\nX\nd\ne"),
    )
    assert one[0]["lines"] == ["  b", "- c", "+ X", "  d"]


def test_the_comment_drops_the_details_before_the_object_names() -> None:
    """A comment over GitHub's limit with the details is rendered without them first (every
    object still named, its data-loss mark kept); only past that, the counts alone."""
    before = View(schema="s", name="v", definition="\n".join(f"a{i}" for i in range(40)))
    after = View(schema="s", name="v", definition="\n".join(f"b{i}" for i in range(40)))
    objects = [
        {
            "change": "Change", "type": "view", "schema": "s", "name": f"v{n}",
            "before_sql": None, "after_sql": None, "destructive": n == 0,
            "details": details(before, after),
        }
        for n in range(300)
    ]  # fmt: skip
    report = {
        "schema": "dbci-report/1", "status": "passed", "project": "p", "environment": None,
        "started_at": None, "finished_at": None, "build": None, "code": None, "dryrun": None,
        "deploy": None, "drift": None,
        "changes": {"from_version": "1", "to_version": "2", "pending": [], "objects": objects},
    }  # fmt: skip
    assert report_problem(report) is None
    text = render_comment(report)
    assert len(text) <= COMMENT_LIMIT
    assert "- view s.v0 **(destructive: can lose data)**\n- view s.v1\n" in text
    assert "```diff" not in text and "query changed" not in text
    # Reports of an older dbci have no details: still valid, still rendered.
    for o in objects:
        del o["details"]
    assert report_problem(report) is None
    assert "- view s.v299\n" in render_comment(report)


def test_table_options_entry_by_entry_and_the_diffs_verdict_stands() -> None:
    """MySQL's table options are listed entry by entry; the mark follows the diff's verdict:
    an engine rule (MariaDB drops the history with SYSTEM VERSIONING, MEMORY keeps no rows
    across a restart) marks the options that went or changed, and a change the diff does
    not mark has no marked part."""
    versioned = Table(schema="", name="w", options=("ENGINE=InnoDB", "WITH SYSTEM VERSIONING"))
    plain = Table(schema="", name="w", options=("ENGINE=MEMORY",))
    assert details(versioned, plain, destructive=True) == [
        {"what": "option", "name": "ENGINE", "change": "changed", "before": "InnoDB",
         "after": "MEMORY", "destructive": True},
        {"what": "option", "name": "WITH SYSTEM VERSIONING", "change": "dropped",
         "destructive": True},
    ]  # fmt: skip
    before = _table(Column(name="Name", data_type="int"))
    after = _table(Column(name="name", data_type="int"))  # MySQL: CHANGE COLUMN keeps it
    assert [d.get("destructive") for d in details(before, after)] == [True, None]
    assert [d.get("destructive") for d in details(before, after, destructive=False)] == [None, None]


def test_an_added_columns_detail_leaves_out_its_whole_name() -> None:
    name = '::error::x https://evil.example "q"'
    after = _table(Column(name="id", data_type="int"), Column(name=name, data_type="int"))
    (added,) = details(_table(Column(name="id", data_type="int")), after)
    assert added == {"what": "column", "name": name, "change": "added", "detail": "int"}
