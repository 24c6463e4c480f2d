"""Opening a database: the URL's dialect picks the engine module and its driver."""

from __future__ import annotations

from dbci.engines.base import Database
from dbci.errors import InputError
from dbci.settings.config import Settings


def open_database(settings: Settings) -> Database:
    """Connect to the settings' database, or raise a one-line error (exit 3)."""
    target = settings.require_database()
    where = settings.where()
    if settings.environment:
        where = f"{where} ({target.masked()})"
    if target.dialect == "postgresql":
        from dbci.engines.postgresql.engine import PostgreSQLDatabase as engine_class
    elif target.dialect == "sqlite":
        from dbci.engines.sqlite.engine import SQLiteDatabase as engine_class
    elif target.dialect == "mysql":
        from dbci.engines.mysql.engine import MySQLDatabase as engine_class
    elif target.dialect == "mssql":
        from dbci.engines.sqlserver.engine import SQLServerDatabase as engine_class
    else:
        raise InputError(f"{where}: dbci does not drive {target.dialect} databases yet")
    return engine_class.connect(target, where=where, connect_timeout=settings.connect_timeout)
