"""`dbci_snapshot_history`: the schema as each deploy left it, beside the history table,
so that the next drift check compares the live schema with it. The newest five are kept."""

from __future__ import annotations

from typing import Any

from dbci.schema.model import Snapshot

TABLE = "dbci_snapshot_history"
KEEP = 5


def save_snapshot(db: Any, schema: str, snapshot: Snapshot, version: str | None) -> None:
    """Store `snapshot` (taken after a deploy to `version`) and drop all but the newest.
    The caller holds the deploy lock, so numbering the rows here is safe."""
    from dbci.schema.snapshot_file import dumps

    table = db.qualified(schema, TABLE)
    db.begin()
    try:
        if not db.table_exists(schema, TABLE):
            db.execute(
                f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, "
                "saved_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, version VARCHAR(50), "
                "snapshot TEXT NOT NULL)"
            )
        newest = db.query(f"SELECT max(id) FROM {table}")[0][0] or 0
        db.query(
            f"INSERT INTO {table} (id, version, snapshot) VALUES (:id, :version, :snapshot)",
            {"id": newest + 1, "version": version, "snapshot": dumps(snapshot)},
        )
        db.query(f"DELETE FROM {table} WHERE id <= :oldest", {"oldest": newest + 1 - KEEP})
        db.commit()
    except BaseException:
        db.rollback()
        raise


def latest_snapshot(db: Any, schema: str) -> Snapshot | None:
    """The newest saved snapshot, or None when there is none."""
    from dbci.schema.snapshot_file import loads

    if not db.table_exists(schema, TABLE):
        return None
    rows = db.query(f"SELECT snapshot FROM {db.qualified(schema, TABLE)} ORDER BY id DESC LIMIT 1")
    return loads(str(rows[0][0]), TABLE) if rows else None
