"""Opening a dbci `Database` in tests, the way the commands open one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dbci.config import Overrides, load_settings
from dbci.engines import open_database
from dbci.engines.base import Database


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
