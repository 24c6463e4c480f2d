"""Opening a database: the URL's dialect picks the engine (`dbci.engines.registry`) and
its driver.

This package's modules stay light to import: `dbci.engines.registry` is read when URLs
are parsed, at startup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dbci.engines.base import Database
    from dbci.settings.config import Settings


def open_database(settings: Settings) -> Database:
    """Connect to the settings' database, or raise a one-line error (exit 3)."""
    from dbci.engines.registry import find
    from dbci.errors import InputError

    target = settings.require_database()
    where = settings.where()
    if settings.environment:
        where = f"{where} ({target.masked()})"
    engine = find(target.dialect)
    if engine is None:
        raise InputError(f"{where}: dbci does not drive {target.dialect} databases yet")
    engine_class = engine.database_class()
    return engine_class.connect(target, where=where, connect_timeout=settings.connect_timeout)
