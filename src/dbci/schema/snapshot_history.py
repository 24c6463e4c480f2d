"""`dbci_snapshot_history`: the schema as each deploy left it, beside the history table,
so that the next drift check compares the live schema with it. The newest five are kept.

Each snapshot records the history table it belongs to (`history`, a digest of its rows).
A snapshot whose history has changed since is stale: a deploy killed after applying a
migration and before saving its snapshot, or rows removed by hand, leave the schema and
the newest snapshot disagreeing for reasons that are not drift. The drift gate then
rebuilds what the history says instead of trusting the stale snapshot.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dbci.migrate.history import AppliedMigration
from dbci.schema.model import Snapshot

TABLE = "dbci_snapshot_history"
KEEP = 5
_DIGEST_COLUMN = "history"


@dataclass(frozen=True)
class SavedSnapshot:
    """The newest saved snapshot, with the version and history it was saved at."""

    snapshot: Snapshot
    version: str | None
    history: str | None  # None: saved by a dbci that did not record it

    def matches(self, rows: Sequence[AppliedMigration], version: str | None) -> bool:
        """True when the history table is still what it was when this was saved (for a
        snapshot saved without its history's digest: when the version is the same)."""
        if self.history is None:
            return self.version == version
        return self.history == history_digest(rows)


def history_digest(rows: Sequence[AppliedMigration]) -> str:
    """A digest of the history rows that decide the schema (rank, version, type, script,
    checksum, success): equal digests, the same migrations applied in the same order."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(
            f"{row.installed_rank}\t{row.version_text}\t{row.type}\t{row.script}\t"
            f"{row.checksum}\t{int(bool(row.success))}\n".encode()
        )
    return digest.hexdigest()


def save_snapshot(
    db: Any,
    schema: str,
    snapshot: Snapshot,
    version: str | None,
    rows: Sequence[AppliedMigration] = (),
) -> None:
    """Store `snapshot` (taken after a deploy to `version`, the history being `rows`) and
    drop all but the newest. The caller holds the deploy lock, so numbering the rows here
    is safe."""
    from dbci.schema.snapshot_file import dumps

    table = db.qualified(schema, TABLE)
    if db.table_exists(schema, TABLE) and not _has_digest(db, table):
        # A table from a dbci that did not record the history: add the column (its old
        # rows stay without one, so they are never taken as up to date).
        db.execute(f"ALTER TABLE {table} ADD {_DIGEST_COLUMN} VARCHAR(64)")
    db.begin()
    try:
        if not db.table_exists(schema, TABLE):
            db.execute(
                f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, "
                "saved_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, version VARCHAR(50), "
                f"snapshot TEXT NOT NULL, {_DIGEST_COLUMN} VARCHAR(64))"
            )
        newest = db.query(f"SELECT max(id) FROM {table}")[0][0] or 0
        db.query(
            f"INSERT INTO {table} (id, version, snapshot, {_DIGEST_COLUMN}) "
            "VALUES (:id, :version, :snapshot, :history)",
            {
                "id": newest + 1,
                "version": version,
                "snapshot": dumps(snapshot),
                "history": history_digest(rows),
            },
        )
        db.query(f"DELETE FROM {table} WHERE id <= :oldest", {"oldest": newest + 1 - KEEP})
        db.commit()
    except BaseException:
        db.rollback()
        raise


def latest_saved(db: Any, schema: str) -> SavedSnapshot | None:
    """The newest saved snapshot with what it was saved at, or None when there is none."""
    from dbci.schema.snapshot_file import loads

    if not db.table_exists(schema, TABLE):
        return None
    table = db.qualified(schema, TABLE)
    digest = _DIGEST_COLUMN if _has_digest(db, table) else "NULL"
    rows = db.query(f"SELECT snapshot, version, {digest} FROM {table} ORDER BY id DESC LIMIT 1")
    if not rows:
        return None
    text, version, history = rows[0]
    return SavedSnapshot(loads(str(text), TABLE), version, history)


def latest_snapshot(db: Any, schema: str) -> Snapshot | None:
    """The newest saved snapshot, or None when there is none."""
    saved = latest_saved(db, schema)
    return saved.snapshot if saved else None


def _has_digest(db: Any, table: str) -> bool:
    """Whether the table has the history column (asked in autocommit: a failure is harmless)."""
    try:
        db.query(f"SELECT {_DIGEST_COLUMN} FROM {table} WHERE 1 = 0")
    except Exception:  # the engine's "no such column", whatever its type
        return False
    return True
