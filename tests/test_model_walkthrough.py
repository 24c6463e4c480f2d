"""The README's schema-model walk-through ("Schema model, diff and generate"), run as a new
user runs it: its commands are read from README.md itself, so that the test breaks when the
README's commands stop working, on a new Flyway Desktop-style project (a `dev` database
changed by hand, a `shadow` build database with the `clean` provisioner, which diff and
build reuse) on the real PostgreSQL server.

The end state is checked in the catalogs and the history tables: dev keeps its hand-made
objects and records the generated migration as applied without running it (the rows of
Flyway's `DbMigrate` for a skipped migration: type SQL, the file's checksum, execution_time
0, success true), and a database migrated from scratch with the migrations has the same
tables and columns as dev.
"""

from __future__ import annotations

import re
import shlex
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.postgres import PgCluster, connect
from support.projects import write_project

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "### Schema model, diff and generate"
HAND_MARKER = "change dev by hand"

V1 = "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);\n"
# Two rounds of changes a developer makes to dev in an IDE.
BY_HAND = [
    [
        "CREATE TABLE invoices (id int PRIMARY KEY, customer_id int REFERENCES customers,"
        " total numeric(10, 2))",
        "ALTER TABLE customers ADD COLUMN email text",
        "INSERT INTO customers VALUES (1, 'Ada', 'ada@example.org')",
        "INSERT INTO invoices VALUES (10, 1, 99.50)",
    ],
    [
        "ALTER TABLE invoices ADD COLUMN paid boolean NOT NULL DEFAULT false",
        "CREATE INDEX invoices_customer ON invoices (customer_id)",
    ],
]


def readme_commands() -> tuple[list[str], list[str]]:
    """The walk-through's commands from README.md: those before the "change dev by hand"
    comment and those after it, each as one line (continuations joined, comments cut)."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(SECTION) :]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None, "the walk-through's ```sh block is gone from README.md"
    joined = block.group(1).replace("\\\n", " ")
    before: list[str] = []
    after: list[str] = []
    current = before
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            if HAND_MARKER in stripped:
                current = after
            continue
        command = shlex.split(stripped, comments=True)
        if command:
            assert command[0] == "dbci", stripped
            current.append(stripped)
    assert before and after, "the walk-through lost its hand-change step"
    return before, after


def flyway_checksum(text: str) -> int:
    """Flyway's ChecksumCalculator: CRC32 of the lines without line breaks, signed."""
    crc = 0
    for line in text.splitlines():
        crc = zlib.crc32(line.encode("utf-8"), crc)
    return crc - (1 << 32) if crc >= 1 << 31 else crc


def _query(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with connect(url) as conn:
        cursor = conn.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []


def _columns(url: str) -> set[tuple[Any, ...]]:
    """Every column of the public schema's tables, from the catalog."""
    return set(
        _query(
            url,
            "SELECT c.table_name, c.column_name, c.data_type, c.is_nullable, c.column_default"
            " FROM information_schema.columns c JOIN information_schema.tables t"
            " USING (table_schema, table_name)"
            " WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
            " AND c.table_name <> 'flyway_schema_history'",
        )
    )


def _indexes(url: str) -> set[tuple[Any, ...]]:
    return set(
        _query(
            url,
            "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'public'"
            " AND tablename <> 'flyway_schema_history'",
        )
    )


@pytest.fixture
def project(pg_cluster: PgCluster, tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """A new project as Flyway Desktop lays it out: `dev`, and `shadow` (provisioner
    clean) named as the shadow environment; plus a spare database."""
    names = {role: pg_cluster.create_database() for role in ("dev", "shadow", "fresh")}
    urls = {role: pg_cluster.database_url(name) for role, name in names.items()}
    toml = (
        f'[environments.dev]\nurl = "{urls["dev"]}"\n'
        f'[environments.shadow]\nurl = "{urls["shadow"]}"\nprovisioner = "clean"\n'
        '[flywayDesktop]\nshadowEnvironment = "shadow"\n'
    )
    root = write_project(tmp_path / "project", {"V1__customers.sql": V1})
    (root / "flyway.toml").write_text(toml)
    yield root, urls
    for name in names.values():
        pg_cluster.drop_database(name)


def _run(dbci, root: Path, line: str) -> str:
    """One README command line, run in the project (`dbci` is the program)."""
    args = shlex.split(line, comments=True)[1:]
    done = dbci(*args, cwd=root)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{line}\n{output}"
    assert "Traceback" not in output
    assert "baseline" not in output.lower(), f"{line}\n{output}"
    return output


def _by_hand(url: str, statements: list[str]) -> None:
    with connect(url) as conn:
        for sql in statements:
            conn.execute(sql)


def test_readme_walkthrough_on_a_new_project_then_on_dev(project, dbci) -> None:
    root, urls = project
    dev = urls["dev"]
    first, then = readme_commands()
    assert not any("--rebuild" in line for line in first + then)
    _run(dbci, root, "dbci -e dev migrate")  # dev at V1, as a project starts
    for line in first:
        _run(dbci, root, line)
    assert (root / "schema-model" / "public" / "Tables" / "customers.sql").is_file()

    for round_number, changes in enumerate(BY_HAND, start=2):
        _by_hand(dev, changes)
        before = (_columns(dev), _indexes(dev))
        for line in then:
            _run(dbci, root, line)
        # generate wrote V<n> and U<n> from the diff of the migrations with the model.
        generated = sorted((root / "migrations").glob(f"V{round_number}__*.sql"))
        assert len(generated) == 1, sorted(p.name for p in (root / "migrations").iterdir())
        assert sorted((root / "migrations").glob(f"U{round_number}__*.sql"))
        # dev: untouched by the last command, which only recorded the migration.
        assert (_columns(dev), _indexes(dev)) == before
        row = _query(
            dev,
            "SELECT version, type, script, checksum, execution_time, success"
            " FROM flyway_schema_history ORDER BY installed_rank DESC LIMIT 1",
        )[0]
        script = generated[0]
        assert row == (
            str(round_number),
            "SQL",
            script.name,
            flyway_checksum(script.read_text(encoding="utf-8")),
            0,
            True,
        )
        validate = dbci("-e", "dev", "validate", "--fail-on-pending", cwd=root)
        assert validate.returncode == 0, validate.stdout + validate.stderr
        info = dbci("-e", "dev", "info", cwd=root)
        assert info.returncode == 0 and "Pending" not in info.stdout, info.stdout
        assert f"Schema version: {round_number}" in info.stdout

    # The data made by hand is still there, and the hand-made schema is what the
    # migrations build on a database that never saw the hand changes.
    assert _query(dev, "SELECT id, customer_id, total, paid FROM invoices") == [
        (10, 1, pytest.approx(99.50), False)
    ]
    fresh = dbci("--url", urls["fresh"], "migrate", cwd=root)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert _columns(urls["fresh"]) == _columns(dev)
    assert _indexes(urls["fresh"]) == _indexes(dev)
    assert {r[0] for r in _columns(dev)} == {"customers", "invoices"}


def test_an_error_on_a_build_database_never_advises_baseline(project, dbci) -> None:
    """A build database that holds objects but no history: the error says to rebuild it,
    never to baseline it (a baseline would keep whatever it held as "version 1"); the
    same state on dev (no provisioner) still advises baseline, as Flyway does."""
    root, urls = project
    for role in ("shadow", "dev"):
        _by_hand(urls[role], ["CREATE TABLE stray (id int)"])
    built = dbci("-e", "shadow", "migrate", cwd=root)
    assert built.returncode == 1, built.stdout + built.stderr
    assert "baseline" not in (built.stdout + built.stderr).lower()
    assert "build database" in built.stderr and "--rebuild" in built.stderr
    assert built.stderr.count("\n") == 1
    assert _query(urls["shadow"], "SELECT to_regclass('flyway_schema_history')") == [(None,)]
    other = dbci("-e", "dev", "migrate", cwd=root)
    assert other.returncode == 1 and "dbci baseline" in other.stderr, other.stderr


def test_diff_from_migrations_rebuilds_a_build_database_it_cannot_reuse(project, dbci) -> None:
    """The schema model applied to the shadow database (by `diff --source schemaModel`)
    leaves it without history: `diff --source migrations` builds it afresh, no --rebuild."""
    root, urls = project
    _by_hand(urls["shadow"], ["CREATE TABLE leftover (id int)"])
    done = dbci("diff", "--source", "migrations", "--target", "env:dev", cwd=root)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "baseline" not in output.lower()
    listed = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    tables = {r[0] for r in _query(urls["shadow"], listed)}
    assert tables == {"customers", "flyway_schema_history"}
