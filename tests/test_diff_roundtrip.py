"""The diff's round-trip property, on real databases (in the style of migra's test suite).

Each folder under `tests/schema_scenarios/<engine>/` is one scenario: `a.sql` and `b.sql`
build two databases, A and B. The test snapshots both, diffs A against B, runs the diff's
statements on A in one transaction and snapshots A again. A must now equal B object for
object, and a second diff from A to B must find nothing to change. The diff's script must
also split back into its statements, as a migration would be read.

A scenario may also hold:

* `expected_changes.txt`: the changes the diff must list, one a line, as
  `Change table public.t`, with ` (destructive)` after those that may lose data;
  every Drop must be marked so. Lines starting with `#` are comments.
* `expected_rows.txt`: `table: [rows]` lines, the rows (as Python writes the list, ordered
  by the first column) that a table of A must hold after the script: data kept.
* `scenario.toml` (PostgreSQL): `include_grants = true` to snapshot grants (and default
  privileges); `include_owners = true` to snapshot owners (then pg_dump's ALTER … OWNER TO
  statements are compared too); `roles = [...]`,
  role names the SQL uses, which the test creates under unique names (NOLOGIN) and drops
  after; `extensions = [...]`, extensions the scenario needs (skipped when the server
  does not have them); `separate_transactions = "why"` to run each statement in a
  transaction of its own, where PostgreSQL cannot run the diff in one (the reason says
  which server limitation); `column_order = true` to make the order of a table's
  columns count in the pg_dump comparison below (by default it is compared as a set),
  and to diff as `dbci diff --column-order` does. Without it, where the engine does not
  compare the order by default (PostgreSQL), A and B are compared with each table's
  columns in name order, as the order is then no difference.

After the round trip, PostgreSQL scenarios are also checked by an oracle independent of
dbci's snapshot (`support/pg_dump_oracle.py`): `pg_dump --schema-only` of A and of B,
normalised, must agree, so an object type dbci does not read cannot pass unseen.

Columns can only be added at the end of a PostgreSQL table, so scenarios that add or
re-add a column keep it last in B.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import sqlite3
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbci.engines import open_database
from dbci.engines.base import Database
from dbci.engines.postgresql import snapshot as postgresql
from dbci.engines.postgresql import snapshot_catalog as catalog
from dbci.engines.registry import find
from dbci.schema import introspect
from dbci.schema.diff import DROP, Diff, diff
from dbci.schema.model import DbObject, Snapshot, without_column_order
from dbci.settings.config import Overrides, load_settings
from dbci.sqlsplit import split_statements

try:  # tests/ is on sys.path (it has no __init__.py)
    from support import pg_dump_oracle, postgres
except ImportError:  # pragma: no cover - if tests/ ever becomes a package
    from tests.support import pg_dump_oracle, postgres

SCENARIOS = Path(__file__).parent / "schema_scenarios"


def scenario_dirs(engine: str) -> list[Path]:
    return sorted(p for p in (SCENARIOS / engine).iterdir() if p.is_dir())


@dataclass
class Scenario:
    """One scenario folder: the two schemas and what the test expects of their diff."""

    path: Path
    a_sql: str
    b_sql: str
    expected: list[str] | None
    include_grants: bool = False
    include_owners: bool = False
    roles: list[str] = field(default_factory=list)
    extensions: list[str] = field(default_factory=list)
    expected_rows: list[tuple[str, str]] = field(default_factory=list)
    separate_transactions: str | None = None  # why the diff cannot run in one
    column_order: bool = False  # whether the pg_dump oracle compares column order

    @classmethod
    def load(cls, path: Path) -> Scenario:
        expected_file = path / "expected_changes.txt"
        expected = None
        if expected_file.exists():
            lines = (line.strip() for line in expected_file.read_text().splitlines())
            expected = sorted(line for line in lines if line and not line.startswith("#"))
        options_file = path / "scenario.toml"
        options: dict[str, Any] = (
            tomllib.loads(options_file.read_text()) if options_file.exists() else {}
        )
        return cls(
            path=path,
            a_sql=(path / "a.sql").read_text(),
            b_sql=(path / "b.sql").read_text(),
            expected=expected,
            include_grants=bool(options.get("include_grants", False)),
            include_owners=bool(options.get("include_owners", False)),
            roles=list(options.get("roles", [])),
            extensions=list(options.get("extensions", [])),
            expected_rows=_expected_rows(path / "expected_rows.txt"),
            separate_transactions=options.get("separate_transactions"),
            column_order=bool(options.get("column_order", False)),
        )


def _expected_rows(path: Path) -> list[tuple[str, str]]:
    """`table: [rows as Python writes them]` lines: data a change must keep."""
    if not path.exists():
        return []
    pairs = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            table, _, rows = line.partition(":")
            pairs.append((table.strip(), rows.strip()))
    return pairs


@contextmanager
def connected(url: str, project: Path) -> Iterator[Database]:
    """A `Database` opened the way the commands open one."""
    db = open_database(load_settings(Overrides(url=url, project=project), environ={}))
    try:
        yield db
    finally:
        db.close()


# ---- what the test reports -------------------------------------------------------------


def change_lines(result: Diff) -> list[str]:
    """The diff's changes as `expected_changes.txt` writes them."""
    lines = []
    for change in result.changes:
        name = change.name if change.type == "schema" else f"{change.schema}.{change.name}"
        marker = " (destructive)" if change.destructive else ""
        lines.append(f"{change.change} {change.type} {name}{marker}")
    return sorted(lines)


def describe_difference(got: Snapshot, want: Snapshot) -> str:
    """What differs between two snapshots, object by object and field by field."""
    lines: list[str] = []
    for key in sorted(set(got.objects) | set(want.objects)):
        mine, theirs = got.objects.get(key), want.objects.get(key)
        if mine == theirs:
            continue
        if mine is None:
            lines.append(f"missing from A: {key}")
        elif theirs is None:
            lines.append(f"left over in A: {key}")
        else:
            lines.append(f"differs: {key}")
            lines += [f"    {line}" for line in _field_differences(mine, theirs)]
    return "\n".join(lines)


def _field_differences(mine: DbObject, theirs: DbObject) -> list[str]:
    if type(mine) is not type(theirs):
        return [f"type: A has {type(mine).__name__}, B has {type(theirs).__name__}"]
    out = []
    for item in dataclasses.fields(mine):
        ours, wanted = getattr(mine, item.name), getattr(theirs, item.name)
        if ours != wanted:
            out.append(f"{item.name}:\n        A: {ours!r}\n        B: {wanted!r}")
    return out


def check_round_trip(
    scenario: Scenario,
    first: Diff,
    snapshot_a: Snapshot,
    snapshot_after: Snapshot,
    snapshot_b: Snapshot,
) -> None:
    """The assertions both engines share, once A has run the diff's statements."""
    script = first.sql()
    engine = find(first.dialect)
    if not scenario.column_order and engine is not None and not engine.moves_columns:
        # The order is no difference to the diff, so it is not compared here.
        snapshot_after = without_column_order(snapshot_after)
        snapshot_b = without_column_order(snapshot_b)
    assert snapshot_after.objects == snapshot_b.objects, (
        "after the diff's script, A still differs from B:\n"
        + describe_difference(snapshot_after, snapshot_b)
        + f"\n\nthe script was:\n{script}"
    )
    second = diff(snapshot_after, snapshot_b, column_order=scenario.column_order or None)
    assert second.changes == [], (
        f"a second diff still finds changes: {change_lines(second)}\n{second.sql()}"
    )
    assert first.changes, "the scenario's two schemas do not differ"
    for change in first.changes:
        if change.change == DROP and change.type != "owner":  # an owner holds no data
            assert change.destructive, f"a drop not marked destructive: {change}"
    if scenario.expected is not None:
        assert change_lines(first) == scenario.expected, f"the script was:\n{script}"
    # The script, read back as `dbci migrate` reads a migration, gives the same statements.
    read_back = [s.sql for s in split_statements(script, first.dialect)]
    assert read_back == [s.rstrip() for s in first.statements], script


def check_rows(scenario: Scenario, rows: Callable[[str], list[tuple[Any, ...]]]) -> None:
    """A's data after the script, where the scenario says what it must be."""
    for table, expected in scenario.expected_rows:
        assert repr(rows(table)) == expected, f"the rows of {table} after the script"


# ---- PostgreSQL ------------------------------------------------------------------------------


@contextmanager
def scenario_roles(cluster: postgres.PgCluster, names: list[str]) -> Iterator[dict[str, str]]:
    """Each role name the scenario uses, mapped to a unique role created for this test.

    Roles are cluster-wide: unique names keep concurrent runs apart, and they are dropped
    afterwards (the databases that hold grants to them are gone by then).
    """
    suffix = secrets.token_hex(4)
    roles = {name: f"{name}_{suffix}" for name in names}
    conn = cluster.admin_connection()
    for role in roles.values():
        conn.execute(f'CREATE ROLE "{role}" NOLOGIN')
    try:
        yield roles
    finally:
        for role in roles.values():
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def with_roles(sql: str, roles: dict[str, str]) -> str:
    for name, role in roles.items():
        sql = re.sub(rf"\b{re.escape(name)}\b", role, sql)
    return sql


def user_schemas(url: str) -> set[str]:
    with postgres.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace "
            "WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'"
        ).fetchall()
    return {name for (name,) in rows}


def run_postgresql_script(url: str, script: str) -> None:
    with postgres.connect(url, autocommit=True) as conn:
        conn.execute(script)


def apply_postgresql(url: str, statements: list[str], *, one_transaction: bool = True) -> None:
    """Run the diff's statements in one transaction (or each in its own), naming the one
    that fails."""
    with postgres.connect(url, autocommit=not one_transaction) as conn:
        for number, statement in enumerate(statements, start=1):
            try:
                conn.execute(statement)
            except psycopg.Error as exc:
                script = "".join(f"{s};\n" for s in statements)
                raise AssertionError(
                    f"statement {number} of the diff failed: {exc}\n{statement}\n\n"
                    f"the script was:\n{script}"
                ) from None
        if one_transaction:
            conn.commit()


def missing_extensions(cluster: postgres.PgCluster, names: list[str]) -> list[str]:
    if not names:
        return []
    rows = cluster.admin_connection().execute(
        "SELECT name FROM pg_available_extensions WHERE name = ANY(%s)", [names]
    )
    available = {name for (name,) in rows.fetchall()}
    return [name for name in names if name not in available]


@pytest.mark.parametrize("path", scenario_dirs("postgresql"), ids=lambda p: p.name)
def test_postgresql_round_trip(path: Path, pg_cluster: postgres.PgCluster, tmp_path: Path) -> None:
    scenario = Scenario.load(path)
    missing = missing_extensions(pg_cluster, scenario.extensions)
    if missing:
        pytest.skip(f"the server does not offer the extension(s) {', '.join(missing)}")
    with (
        scenario_roles(pg_cluster, scenario.roles) as roles,
        pg_cluster.scratch_database() as url_a,
        pg_cluster.scratch_database() as url_b,
    ):
        if scenario.expected is not None:  # a change may name a role (a user mapping's)
            expected = sorted(with_roles(line, roles) for line in scenario.expected)
            scenario = dataclasses.replace(scenario, expected=expected)
        run_postgresql_script(url_a, with_roles(scenario.a_sql, roles))
        run_postgresql_script(url_b, with_roles(scenario.b_sql, roles))
        schemas = sorted(user_schemas(url_a) | user_schemas(url_b))

        def take(url: str) -> Snapshot:
            with connected(url, tmp_path) as db:
                return introspect.snapshot(
                    db,
                    schemas,
                    include_grants=scenario.include_grants,
                    include_owners=scenario.include_owners,
                )

        snapshot_a, snapshot_b = take(url_a), take(url_b)
        for url, shot in ((url_a, snapshot_a), (url_b, snapshot_b)):
            check_definitions_are_postgresqls(url, schemas, scenario, shot, tmp_path)
            check_probes_hold(url, schemas, tmp_path)
        first = diff(snapshot_a, snapshot_b, column_order=scenario.column_order or None)
        apply_postgresql(
            url_a, first.statements, one_transaction=scenario.separate_transactions is None
        )
        snapshot_after = take(url_a)
        check_round_trip(scenario, first, snapshot_a, snapshot_after, snapshot_b)
        check_rows(scenario, lambda table: postgresql_rows(url_a, table))
        check_dumps_agree(scenario, url_a, url_b, first)


def check_probes_hold(url: str, schemas: list[str], project: Path) -> None:
    """Each kind whose query finds something on this database has a probe that says so:
    a probe that said "none" would leave the kind out of the snapshot unseen."""
    params = {"schemas": schemas}
    with connected(url, project) as db:
        major = int(db.server_version().split(".")[0])
        for name, _ in catalog.QUERIES + catalog.GRANT_QUERIES + catalog.OWNER_QUERIES:
            probe = catalog.PROBES.get(name)
            if probe is None or not db.query(catalog.query(f"catalog_{name}", major), params):
                continue
            assert db.query(f"SELECT EXISTS ({probe})", {})[0][0], f"the probe of {name}"


def check_definitions_are_postgresqls(
    url: str, schemas: list[str], scenario: Scenario, shot: Snapshot, project: Path
) -> None:
    """dbci writes the common key and index definitions itself: on every scenario schema,
    they must be exactly what PostgreSQL's pg_get_constraintdef and pg_get_indexdef write."""
    with connected(url, project) as db:
        by_server = postgresql.snapshot_postgresql(
            db,
            schemas,
            include_grants=scenario.include_grants,
            include_owners=scenario.include_owners,
            server_definitions=True,
        )
    assert shot.objects == by_server.objects, describe_difference(shot, by_server)


def check_dumps_agree(scenario: Scenario, url_a: str, url_b: str, first: Diff) -> None:
    """The oracle independent of dbci: pg_dump of A (after the script) and of B agree."""
    difference = pg_dump_oracle.compare_databases(
        url_a,
        url_b,
        privileges=scenario.include_grants,
        column_order=scenario.column_order,
        owners=scenario.include_owners,
    )
    assert not difference, (
        f"dbci's round trip converged, but pg_dump of A and B differ in "
        f"{', '.join(difference.types())}:\n{difference.describe('A after the script', 'B')}"
        f"\n\nthe script was:\n{first.sql()}"
    )


def postgresql_rows(url: str, table: str) -> list[tuple[Any, ...]]:
    with postgres.connect(url, autocommit=True) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()


# ---- SQLite ------------------------------------------------------------------------------


def apply_sqlite(path: Path, statements: list[str]) -> None:
    """Run the diff's statements in one transaction, naming the one that fails."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        for number, statement in enumerate(statements, start=1):
            try:
                conn.execute(statement)
            except sqlite3.Error as exc:
                conn.execute("ROLLBACK")
                script = "".join(f"{s};\n" for s in statements)
                raise AssertionError(
                    f"statement {number} of the diff failed: {exc}\n{statement}\n\n"
                    f"the script was:\n{script}"
                ) from None
        conn.execute("COMMIT")
    finally:
        conn.close()


def sqlite_rows(path: Path, table: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("path", scenario_dirs("sqlite"), ids=lambda p: p.name)
def test_sqlite_round_trip(path: Path, sqlite_url: str, tmp_path: Path) -> None:
    scenario = Scenario.load(path)
    file_a = Path(sqlite_url.removeprefix("sqlite:///"))
    file_b = tmp_path / "b.db"
    for file, sql in ((file_a, scenario.a_sql), (file_b, scenario.b_sql)):
        conn = sqlite3.connect(file)
        conn.executescript(sql)
        conn.close()

    def take(file: Path) -> Snapshot:
        with connected(f"sqlite:///{file}", tmp_path) as db:
            return introspect.snapshot(db, ["main"])

    snapshot_a, snapshot_b = take(file_a), take(file_b)
    first = diff(snapshot_a, snapshot_b)
    apply_sqlite(file_a, first.statements)
    check_round_trip(scenario, first, snapshot_a, take(file_a), snapshot_b)
    check_rows(scenario, lambda table: sqlite_rows(file_a, table))
