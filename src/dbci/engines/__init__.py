"""Opening a database: the URL's dialect picks the engine module."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from dbci.config import Settings
from dbci.engines.base import Database
from dbci.errors import DatabaseUnavailable, InputError


def open_database(settings: Settings) -> Database:
    """Connect to the settings' database, or raise a one-line error (exit 3)."""
    target = settings.require_database()
    where = settings.where()
    if settings.environment:
        where = f"{where} ({target.masked()})"
    connect_args: dict[str, object] = {}
    if target.dialect == "postgresql":
        from dbci.engines.postgresql import PostgreSQLDatabase as engine_class

        connect_args["connect_timeout"] = settings.connect_timeout
        # Migration statements are each run once: psycopg's automatic server-side
        # preparation of repeated queries only adds bookkeeping here.
        connect_args["prepare_threshold"] = None
    elif target.dialect == "sqlite":
        from dbci.engines.sqlite import SQLiteDatabase as engine_class

        connect_args["timeout"] = 30  # wait for another writer's transaction to end
        database = target.url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            # The embedded default should just work: make the file's folder.
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    else:
        raise InputError(f"{where}: dbci does not drive {target.dialect} databases yet")
    engine = create_engine(target.url, poolclass=NullPool, connect_args=connect_args)
    try:
        connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    except DBAPIError as exc:
        raise DatabaseUnavailable(f"cannot connect to {where}: {_reason(exc)}") from None
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"cannot connect to {where}: {exc}") from None
    return engine_class(connection, where=where, url_text=target.masked())


def _reason(exc: DBAPIError) -> str:
    text = str(exc.orig).strip() if exc.orig is not None else str(exc)
    # libpq repeats its complaint for each address a host name resolves to: keep each once.
    lines = list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))
    return " ".join(lines) if lines else type(exc.orig).__name__
