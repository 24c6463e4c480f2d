"""`dbci snapshot` and `dbci diff`: a database's schema as JSON, and two schemas compared.

A diff compares two sources, each one of `env:NAME` (an environment of the config file),
`url:URL` (any database URL), `snapshot:FILE` (a file written by `dbci snapshot`) or
`migrations` (the migrations built on a build database, which comes with `dbci build`).
Live databases are read with the history table left out.
"""

from __future__ import annotations

import dataclasses
import gc
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dbci.engines import open_database
from dbci.errors import InputError
from dbci.log import Log, quiet
from dbci.schema.diff import Diff, diff
from dbci.schema.introspect import snapshot as read_snapshot
from dbci.schema.model import Snapshot
from dbci.schema.sources import BuildOptions, read_built
from dbci.settings.config import Overrides, Settings, load_settings

SOURCE_KINDS = ("env:NAME", "url:URL", "snapshot:FILE", "migrations", "schemaModel")
BUILT_SOURCES = ("migrations", "schemaModel")  # read on the build database


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
    settings: Settings, *, include_grants: bool = False, parallel: bool = True
) -> tuple[str, Snapshot]:
    """Read the settings' database: (its description, its snapshot)."""
    db = open_database(settings)
    try:
        with db.losing_connection():
            default = settings.default_schema or (settings.schemas[0] if settings.schemas else None)
            default = default or db.current_schema()
            schemas = [default] + [s for s in settings.schemas if s != default]
            shot = read_snapshot(
                db,
                [s for s in schemas if db.schema_exists(s)],
                include_grants=include_grants,
                # dbci's own tables: the history, and the snapshots deploy keeps for drift
                exclude_tables=[(default, settings.table), (default, "dbci_snapshot_history")],
                parallel=parallel,
            )
            return f"{db.url_text} ({db.display_name} {db.server_version()})", shot
    finally:
        db.close()


def snapshot(
    settings: Settings, *, to: Path | None, include_grants: bool = False, log: Log = quiet
) -> SnapshotResult:
    """Snapshot the settings' database; write it to `to` when given."""
    with gc_paused():
        database, shot = take_snapshot(settings, include_grants=include_grants)
        log(f"Database: {database}")
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
    environ: dict[str, str] | None = None,
    build: BuildOptions | None = None,
    log: Log = quiet,
) -> Comparison:
    """The diff from `source` to `target` (each a source spec: env:, url:, snapshot:,
    migrations, schemaModel; the last two on the build database that `build` says)."""
    specs = {"--source": source, "--target": target}
    read: dict[str, Snapshot] = {}
    # Sources of their own are read at once: each is mostly the database's work, and the
    # two databases (or two connections to one server) work in parallel.
    own = [option for option, spec in specs.items() if spec not in BUILT_SOURCES]
    with gc_paused(), ThreadPoolExecutor(max_workers=2) as pool:
        reading = {
            option: pool.submit(
                read_source, specs[option], overrides, option, include_grants, environ
            )
            for option in own
        }
        read = {option: future.result() for option, future in reading.items()}
        # The built ones one after the other: they may share one build database.
        dialect = next((s.dialect for s in read.values()), None)
        for option, spec in specs.items():
            if option not in read:
                read[option] = read_built(
                    spec,
                    overrides,
                    build or BuildOptions(),
                    dialect,
                    include_grants=include_grants,
                    log=log,
                )
        a, b = read["--source"], read["--target"]
        if a.dialect != b.dialect:
            raise InputError(
                f"--source is a {a.dialect} schema and --target a {b.dialect} schema: "
                "a diff compares two databases of the same engine"
            )
        return Comparison(a, b, diff(a, b))


def read_source(
    spec: str,
    overrides: Overrides,
    option: str,
    include_grants: bool = False,
    environ: dict[str, str] | None = None,
) -> Snapshot:
    """Read one source of a diff."""
    kind, sep, value = spec.partition(":")
    if spec in BUILT_SOURCES:
        return read_built(spec, overrides, BuildOptions(), None, include_grants=include_grants)
    if not sep or not value or kind not in ("env", "url", "snapshot"):
        raise InputError(
            f"{option}: {spec!r} is not a source; use one of {', '.join(SOURCE_KINDS)}"
        )
    if kind == "snapshot":
        path = Path(value)
        if not path.is_absolute() and overrides.project is not None:
            path = (Path.cwd() / path) if path.exists() else overrides.project / path
        from dbci.schema.snapshot_file import load  # orjson: only for snapshot files

        return load(path)
    environ = dict(os.environ if environ is None else environ)
    if kind == "env":
        chosen = dataclasses.replace(overrides, environment=value, url=None)
        environ.pop("DBCI_URL", None)  # the environment's own URL, not a run-wide one
    else:
        chosen = dataclasses.replace(overrides, url=value, environment=None)
        environ.pop("DBCI_ENVIRONMENT", None)
    settings = load_settings(chosen, environ)
    # Both sources are read at once already: one connection each is enough.
    return take_snapshot(settings, include_grants=include_grants, parallel=False)[1]
