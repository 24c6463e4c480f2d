"""`dbci snapshot` and `dbci diff`: a database's schema as JSON, and two schemas compared.

A diff compares two sources, each one of `schema/sources.py`'s: `env:NAME` (an environment
of the config file), `url:URL` (any database URL), `snapshot:FILE` (a file written by `dbci
snapshot`), `migrations` (the migrations built on a build database, which comes with `dbci
build`) or `schemaModel`. Live databases are read with the history table left out.
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dbci.engines import open_database
from dbci.errors import InputError
from dbci.log import Log, quiet
from dbci.schema.diff import Diff, diff
from dbci.schema.introspect import schemas_to_read
from dbci.schema.introspect import snapshot as read_snapshot
from dbci.schema.model import Snapshot
from dbci.schema.sources import BuildOptions, Context, diff_source
from dbci.settings.config import Overrides, Settings


@dataclass
class SnapshotResult:
    """A snapshot taken, and where it went."""

    database: str
    snapshot: Snapshot
    path: Path | None


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while schemas are read and compared.

    A schema of thousands of tables makes tens of thousands of small objects that all live
    until the command ends, and every burst of allocations sets off a collection that
    walks them again: about a tenth of a second of a 2,000-table diff. They hold no
    reference cycles, so collecting once afterwards loses nothing.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def take_snapshot(
    settings: Settings,
    *,
    include_grants: bool = False,
    include_owners: bool = False,
    parallel: bool = True,
) -> tuple[str, Snapshot]:
    """Read the settings' database: (its description, its snapshot); privileges and
    owners when asked."""
    db = open_database(settings)
    try:
        with db.losing_connection():
            # The configured schemas, else every schema but the system's (`schemas_to_read`).
            schemas = schemas_to_read(db, settings.default_schema, settings.schemas)
            default = settings.default_schema or (settings.schemas[0] if settings.schemas else None)
            default = default or db.current_schema()  # where the history table is
            shot = read_snapshot(
                db,
                schemas,
                include_grants=include_grants,
                include_owners=include_owners,
                # dbci's own tables: the history, and the snapshots deploy keeps for drift
                exclude_tables=[(default, settings.table), (default, "dbci_snapshot_history")],
                parallel=parallel,
            )
            return f"{db.url_text} ({db.display_name} {db.server_version()})", shot
    finally:
        db.close()


def snapshot(
    settings: Settings,
    *,
    to: Path | None,
    include_grants: bool = False,
    include_owners: bool = False,
    log: Log = quiet,
) -> SnapshotResult:
    """Snapshot the settings' database; write it to `to` when given."""
    with gc_paused():
        database, shot = take_snapshot(
            settings, include_grants=include_grants, include_owners=include_owners
        )
        log(f"Database: {database}; schemas read: {', '.join(shot.schemas) or '(none)'}")
        if to is not None:
            from dbci.schema.snapshot_file import save

            save(shot, to)
            log(f"Wrote the snapshot of {len(shot.objects)} objects to {to}")
    return SnapshotResult(database, shot, to)


@dataclass(frozen=True)
class Comparison:
    """What `compare` read and found: the two snapshots and the diff from one to the other."""

    source: Snapshot
    target: Snapshot
    diff: Diff


def compare(
    overrides: Overrides,
    source: str,
    target: str,
    *,
    include_grants: bool = False,
    include_owners: bool = False,
    environ: dict[str, str] | None = None,
    build: BuildOptions | None = None,
    log: Log = quiet,
    column_order: bool | None = None,
) -> Comparison:
    """The diff from `source` to `target` (each a source spec of `schema/sources.py`: env:,
    url:, snapshot:, migrations, schemaModel; the last two on the build database that
    `build` says). `column_order`: whether columns in another order differ (`diff`)."""
    sides = {
        "--source": diff_source(source, "--source"),
        "--target": diff_source(target, "--target"),
    }
    context = Context(
        overrides,
        include_grants=include_grants,
        include_owners=include_owners,
        environ=environ,
        build=build or BuildOptions(),
        log=log,
    )
    # Sources of their own are read at once: each is mostly the database's work, and the
    # two databases (or two connections to one server) work in parallel.
    own = [option for option, side in sides.items() if not side.built]
    with gc_paused(), ThreadPoolExecutor(max_workers=2) as pool:
        reading = {option: pool.submit(sides[option].read, context) for option in own}
        read = {option: future.result() for option, future in reading.items()}
        # The built ones one after the other: they may share one build database.
        dialect = next((s.dialect for s in read.values()), None)
        for option, side in sides.items():
            if option not in read:
                read[option] = side.read(dataclasses.replace(context, dialect=dialect))
        a, b = read["--source"], read["--target"]
        if a.dialect != b.dialect:
            raise InputError(
                f"--source is a {a.dialect} schema and --target a {b.dialect} schema: "
                "a diff compares two databases of the same engine"
            )
        return Comparison(a, b, diff(a, b, column_order=column_order))


