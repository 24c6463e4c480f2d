"""Reading a database's schema into a `Snapshot`: PostgreSQL through bulk catalog queries,
other engines through SQLAlchemy's reflection."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from dbci.engines.base import Database
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
    if db.dialect == "postgresql":
        from dbci.engines.postgresql.snapshot import snapshot_postgresql

        return snapshot_postgresql(
            db,
            schemas,
            include_grants=include_grants,
            exclude_tables=exclude_tables,
            parallel=parallel,
        )
    if db.dialect == "mysql":
        from dbci.engines.mysql.snapshot import snapshot_mysql

        return snapshot_mysql(db, schemas, exclude_tables=exclude_tables)
    if db.dialect == "mssql":
        from dbci.engines.sqlserver.snapshot import snapshot_mssql

        return snapshot_mssql(db, schemas, exclude_tables=exclude_tables)
    from dbci.schema.reflection import snapshot_reflected

    return snapshot_reflected(db, schemas, exclude_tables=exclude_tables)
