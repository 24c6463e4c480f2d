"""Reading a database's schema into a `Snapshot`: each engine's own reader (PostgreSQL's
bulk catalog queries, …), else SQLAlchemy's reflection."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from dbci.engines.base import Database
from dbci.engines.registry import find
from dbci.schema.model import Snapshot


def snapshot(
    db: Database,
    schemas: Sequence[str],
    *,
    include_grants: bool = False,
    include_owners: bool = False,
    exclude_tables: Collection[tuple[str, str]] = (),
    parallel: bool = True,
) -> Snapshot:
    """The objects of `schemas`, leaving out `exclude_tables` (the history table); the
    snapshot names `schemas` as those it read.

    `parallel`: the engine may read with more than one connection at once.
    """
    engine = find(db.dialect)
    if engine is None:
        from dbci.schema.reflection import snapshot_reflected

        shot = snapshot_reflected(db, schemas, exclude_tables=exclude_tables)
    else:
        shot = engine.snapshot(
            db,
            schemas,
            include_grants=include_grants,
            include_owners=include_owners,
            exclude_tables=exclude_tables,
            parallel=parallel,
        )
    shot.schemas = tuple(schemas)
    return shot


def schemas_to_read(db: Database, default: str | None, configured: Sequence[str]) -> list[str]:
    """The schemas a snapshot of `db` reads: the configured ones (`default`, the
    `defaultSchema` setting, first, then `schemas`) that exist; with none configured,
    every schema that is not the system's or an extension's (`Database.user_schemas`), the
    current one first, as Flyway's default schema."""
    if default is None and not configured:
        current = db.current_schema()
        return [current] + [s for s in db.user_schemas() if s != current]
    first = default or configured[0]
    ordered = [first] + [s for s in configured if s != first]
    return [s for s in ordered if db.schema_exists(s)]
