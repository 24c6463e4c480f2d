"""Descriptions longer than the history table's VARCHAR(200), as Flyway handles them.

Flyway abbreviates a description on write and compares the abbreviation:
org.flywaydb.core.internal.util.AbbreviationUtils.abbreviateDescription keeps up to 200
characters whole, else the first 197 and "..."; `AppliedMigration`'s constructor stores
that, and `MigrationInfoImpl.descriptionMismatch` compares
`abbreviateDescription(resolved.getDescription())` with the applied row's description.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import run_dbci
from support.projects import write_project
from test_flyway_naming import INSERT, Target, crc_by_lines, make_target

# A file name holds at most 255 bytes: "V1__" + 245 + ".sql" is 253.
WORDS = "add_the_customer_loyalty_tier_columns_and_backfill_them_from_orders"
LONG = (WORDS + "_") * 4
LONG = LONG[:245]
DESCRIPTION = LONG.replace("_", " ")
# AbbreviationUtils.abbreviateDescription, written out by hand: 197 characters and "...".
ABBREVIATED = DESCRIPTION[:197] + "..."
REPEATABLE = "refresh_" + LONG[: 245 - len("refresh_")]

V1 = f"V1__{LONG}.sql"
V1_SQL = "CREATE TABLE loyalty (id INT);\n"
R_SQL = "CREATE OR REPLACE VIEW loyalty_view AS SELECT * FROM loyalty;\n"


@pytest.fixture(params=["postgresql", "mariadb"])
def db(request: pytest.FixtureRequest) -> Target:
    return make_target(request)


def _dbci(root: Path, target: Target, *args: str):
    return run_dbci("--project", root, "--url", target.url, *args)


def test_abbreviation_by_hand() -> None:
    assert len(DESCRIPTION) == 245 and len(V1.encode()) <= 255
    assert len(ABBREVIATED) == 200 and ABBREVIATED.endswith("...")
    assert ABBREVIATED[:197] == DESCRIPTION[:197]


def test_long_description_migrated_then_validate_migrate_repair_pass(
    tmp_path: Path, db: Target
) -> None:
    target = db
    root = write_project(tmp_path, {V1: V1_SQL, f"R__{REPEATABLE}.sql": R_SQL})
    done = _dbci(root, target, "migrate")
    assert done.returncode == 0, done.stdout + done.stderr
    first = target.history()
    repeatable = REPEATABLE.replace("_", " ")[:197] + "..."
    assert [(r[1], r[2], r[4]) for r in first] == [
        ("1", ABBREVIATED, V1),
        (None, repeatable, f"R__{REPEATABLE}.sql"),
    ]
    for command in ("validate", "migrate", "repair", "validate", "migrate"):
        done = _dbci(root, target, command)
        assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    # Nothing re-run (the repeatable is found by its abbreviated description), nothing
    # rewritten by repair.
    assert target.history() == first
    info = json.loads(_dbci(root, target, "--output", "json", "info").stdout)
    assert [m["state"] for m in info["migrations"]] == ["Success", "Success"]


def test_history_row_written_by_flyway_validates_and_repair_realigns(
    tmp_path: Path, db: Target
) -> None:
    target = db
    root = write_project(tmp_path, {V1: V1_SQL})
    target.execute(V1_SQL.rstrip().rstrip(";"))
    target.create_flyway_history()
    # The row as Flyway writes it: the abbreviated description.
    target.execute(INSERT, [(1, "1", ABBREVIATED, "SQL", V1, crc_by_lines(V1_SQL), "fw", 4, True)])
    for command in ("validate", "migrate", "repair"):
        done = _dbci(root, target, command)
        assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    assert target.history() == [(1, "1", ABBREVIATED, "SQL", V1, crc_by_lines(V1_SQL), True)]

    # A row with another description: validate names the mismatch; repair writes Flyway's
    # abbreviation (it fits the column), and validate passes again.
    target.execute("UPDATE flyway_schema_history SET description = 'old name'")
    done = _dbci(root, target, "validate")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "description mismatch for migration version 1" in done.stdout + done.stderr
    done = _dbci(root, target, "repair")
    assert done.returncode == 0, done.stdout + done.stderr
    assert target.history() == [(1, "1", ABBREVIATED, "SQL", V1, crc_by_lines(V1_SQL), True)]
    done = _dbci(root, target, "validate")
    assert done.returncode == 0, done.stdout + done.stderr
