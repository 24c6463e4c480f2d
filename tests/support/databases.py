"""Opening a dbci `Database` in tests, the way the commands open one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dbci.engines import open_database
from dbci.engines.base import Database
from dbci.settings.config import Overrides, load_settings


@contextmanager
def connected(url: str, tmp_path: Path) -> Iterator[Database]:
    """A `Database` on `url`, closed afterwards."""
    db = open_database(load_settings(Overrides(url=url, project=tmp_path), environ={}))
    try:
        yield db
    finally:
        db.close()


def run_script(db: Database, script: str) -> None:
    """Run a script statement by statement with dbci's splitter."""
    for statement in db.split(script):
        db.execute(statement.sql)


def count_queries(db: Database) -> Callable[[], int]:
    """Count the calls to `db.query` from now on (the real method still runs)."""
    calls = [0]
    original = db.query

    def counting(sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        calls[0] += 1
        return original(sql, params)

    db.query = counting  # type: ignore[method-assign]
    return lambda: calls[0]
