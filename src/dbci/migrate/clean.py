"""The objects that live in schemas, and the statements that drop them all.

`dbci clean` (Flyway's clean) empties the configured schemas, and `migrate` asks whether a
schema is empty before it creates the history table there. Both read the catalog through
the engine (`Engine.clean_objects`, `Engine.clean_statements`: each engine package's
`objects.py`).

Every drop uses `IF EXISTS` and, where the engine allows, `CASCADE`: an object may already
be gone with something dropped before it (a view with its table, an operator with its
function), and the list is read once, before anything is dropped.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from dbci.engines.base import Database
from dbci.engines.registry import find
from dbci.engines.spec import SchemaObject as SchemaObject  # re-exported: what clean lists
from dbci.errors import InputError


def list_objects(
    db: Database,
    schemas: Sequence[str],
    *,
    exclude_tables: Collection[tuple[str, str]] = (),
) -> list[SchemaObject]:
    """Every object in the schemas, in an order in which dropping them one after another works.

    `exclude_tables` holds `(schema, table)` pairs left out of the answer, with what belongs
    to them (their indexes and triggers on SQLite), so that `migrate` can ask whether
    anything besides its history table is there. Schemas that do not exist hold nothing.
    """
    engine = find(db.dialect)
    objects = engine.clean_objects(db, schemas, set(exclude_tables)) if engine else None
    if objects is None:
        raise InputError(f"clean is not supported on {db.display_name} yet")
    return objects


def clean_statements(
    db: Database, schemas: Sequence[str], *, drop_schemas: Collection[str] = ()
) -> list[str]:
    """The statements that empty the schemas; a schema in drop_schemas is dropped whole.

    A schema of `schemas` that is also in `drop_schemas` gets `DROP SCHEMA IF EXISTS … CASCADE`
    (after the other schemas are emptied) instead of a drop per object; names in
    `drop_schemas` that are not in `schemas` are ignored. SQLite cannot drop an attached
    database from SQL, so there every schema is emptied.
    """
    engine = find(db.dialect)
    dropped = [s for s in schemas if s in drop_schemas]
    statements = engine.clean_statements(db, schemas, dropped) if engine else None
    if statements is None:
        raise InputError(f"clean is not supported on {db.display_name} yet")
    return statements
