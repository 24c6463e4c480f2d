"""A cheap test of whether a transaction left the schema definitions as it found them,
for undo verification.

Verifying an undo script compares the schema before a version with the schema after the
version and its undo. A snapshot on each side costs a dozen catalog queries over every
object; for a project where every migration has an undo script that would be most of the
build. So the version and its undo first run together in one transaction, rolled back
afterwards, and the catalogs are asked one cheap question before and after: how many
rows each holds, and how many were written by this transaction (PostgreSQL stamps every
row version with the transaction that wrote it: a new, changed or re-created object
leaves rows stamped with ours). The same counts and no row of ours mean the definitions
are untouched. Anything else may still be the same schema (an object dropped and created
again exactly as it was), so then the snapshots decide.

SQLite keeps every definition as text in `sqlite_master`, which is compared whole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dbci.engines.registry import find


def catalog_state(db: Any) -> Callable[[], Any] | None:
    """A function that describes the catalogs on `db`'s connection, inside its current
    transaction, such that two equal descriptions mean unchanged definitions; None
    where dbci has none for the engine (then snapshots decide)."""
    engine = find(db.dialect)
    return engine.catalog_state(db) if engine is not None else None
