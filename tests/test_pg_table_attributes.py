"""PostgreSQL table and column attributes against PostgreSQL's own account of a schema.

For each `attr_*` scenario under `tests/schema_scenarios/postgresql/` (storage parameters,
row level security, replica identity, CLUSTER ON, column storage, compression and
statistics, identity sequence options, inheritance), A is built, dbci's diff from A to B
is run on it, and `pg_dump --schema-only` of A must then be B's, line for line (but for
comments, SET lines and blank lines). A's dump before the diff must differ from B's, so a
scenario whose attributes dbci does not read or write cannot pass.

The round trip through dbci's own snapshot is `test_diff_roundtrip`'s; this one does not
trust the snapshot. The snapshots of B must also come back from their JSON unchanged.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from test_diff_roundtrip import (
    Scenario,
    apply_postgresql,
    connected,
    run_postgresql_script,
    scenario_dirs,
    user_schemas,
)

from dbci.schema import introspect
from dbci.schema.diff import diff
from dbci.schema.model import Column, Snapshot, Table
from dbci.schema.snapshot_file import dumps, loads

try:  # tests/ is on sys.path (it has no __init__.py)
    from support import postgres
except ImportError:  # pragma: no cover - if tests/ ever becomes a package
    from tests.support import postgres

SCENARIOS = [p for p in scenario_dirs("postgresql") if p.name.startswith("attr_")]


def schema_dump(url: str) -> list[str]:
    """`pg_dump --schema-only` of the database, without comments, SET lines, blank lines
    and the random `\\restrict` key of newer pg_dump releases."""
    result = subprocess.run(
        ["pg_dump", "--schema-only", "--no-owner", "--dbname", postgres.libpq_url(url)],
        capture_output=True,
        text=True,
        check=True,
    )
    skipped = ("--", "SET ", "SELECT pg_catalog.set_config(", "\\restrict", "\\unrestrict")
    return [line for line in result.stdout.splitlines() if line and not line.startswith(skipped)]


def test_the_scenarios_exist() -> None:
    names = {p.name for p in SCENARIOS}
    assert {
        "attr_storage_parameters",
        "attr_row_security",
        "attr_replica_identity",
        "attr_cluster_on",
        "attr_column_storage",
        "attr_identity_options",
        "attr_inheritance",
    } <= names


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not on PATH")
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_pg_dump_agrees_after_the_diff(
    path: Path, pg_cluster: postgres.PgCluster, tmp_path: Path
) -> None:
    scenario = Scenario.load(path)
    with pg_cluster.scratch_database() as url_a, pg_cluster.scratch_database() as url_b:
        run_postgresql_script(url_a, scenario.a_sql)
        run_postgresql_script(url_b, scenario.b_sql)
        schemas = sorted(user_schemas(url_a) | user_schemas(url_b))

        def take(url: str) -> Snapshot:
            with connected(url, tmp_path) as db:
                return introspect.snapshot(db, schemas)

        want = schema_dump(url_b)
        assert schema_dump(url_a) != want, "the scenario's two schemas dump the same"
        snapshot_b = take(url_b)
        apply_postgresql(url_a, diff(take(url_a), snapshot_b).statements)
        assert schema_dump(url_a) == want
        assert loads(dumps(snapshot_b), "b.json").objects == snapshot_b.objects


def test_the_attributes_come_back_from_json() -> None:
    """Every new field, away from its default, survives the snapshot file."""
    column = Column(
        name="id",
        data_type="integer",
        identity="ALWAYS",
        identity_options=("START WITH 10", "INCREMENT BY 5", "CYCLE"),
        storage="MAIN",
        compression="lz4",
        statistics=250,
        inherited=True,
    )
    table = Table(
        schema="s",
        name="t",
        columns=(column,),
        storage_parameters=("fillfactor=70", "toast.autovacuum_enabled=false"),
        row_security=True,
        force_row_security=True,
        replica_identity="INDEX",
        replica_index="t_id",
        clustered_on="t_id",
        inherits=('"s"."p"', '"s"."q"'),
    )
    snapshot = Snapshot("postgresql")
    snapshot.add(table)
    assert loads(dumps(snapshot), "t.json").objects == snapshot.objects
