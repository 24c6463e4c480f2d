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
    exclude_tables: Collection[tuple[str, str]] = (),
    parallel: bool = True,
) -> Snapshot:
    """The objects of `schemas`, leaving out `exclude_tables` (the history table).

    `parallel`: the engine may read with more than one connection at once.
    """
    engine = find(db.dialect)
    if engine is None:
        from dbci.schema.reflection import snapshot_reflected

        return snapshot_reflected(db, schemas, exclude_tables=exclude_tables)
    return engine.snapshot(
        db,
        schemas,
        include_grants=include_grants,
        exclude_tables=exclude_tables,
        parallel=parallel,
    )
