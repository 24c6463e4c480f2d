"""The objects of MySQL/MariaDB schemas (databases), and the statements that drop them.

Read from information_schema in one query per kind. Foreign keys between tables (in any
order, across schemas, in cycles) do not constrain the drops: clean turns the session's
`foreign_key_checks` off around them, as Flyway does.
"""

from __future__ import annotations

from collections.abc import Sequence

from dbci.engines.base import Database
from dbci.engines.spec import SchemaObject

# kind, the query listing (schema, name) pairs, and the DROP statement's keyword. The order
# is the drop order: events and triggers first, then views (which read tables and
# routines), routines, tables and, on MariaDB, sequences.
_KINDS: list[tuple[str, str, str]] = [
    (
        "event",
        "SELECT event_schema, event_name FROM information_schema.events "
        "WHERE event_schema IN ({schemas}) ORDER BY 1, 2",
        "EVENT",
    ),
    (
        "trigger",
        "SELECT trigger_schema, trigger_name FROM information_schema.triggers "
        "WHERE trigger_schema IN ({schemas}) ORDER BY 1, 2",
        "TRIGGER",
    ),
    (
        "view",
        "SELECT table_schema, table_name FROM information_schema.views "
        "WHERE table_schema IN ({schemas}) ORDER BY 1, 2",
        "VIEW",
    ),
    (
        "procedure",
        "SELECT routine_schema, routine_name FROM information_schema.routines "
        "WHERE routine_schema IN ({schemas}) AND routine_type = 'PROCEDURE' ORDER BY 1, 2",
        "PROCEDURE",
    ),
    (
        "function",
        "SELECT routine_schema, routine_name FROM information_schema.routines "
        "WHERE routine_schema IN ({schemas}) AND routine_type = 'FUNCTION' ORDER BY 1, 2",
        "FUNCTION",
    ),
    (
        "table",
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema IN ({schemas}) AND table_type IN ('BASE TABLE', 'SYSTEM VERSIONED') "
        "ORDER BY 1, 2",
        "TABLE",
    ),
    (
        "sequence",
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema IN ({schemas}) AND table_type = 'SEQUENCE' ORDER BY 1, 2",
        "SEQUENCE",
    ),
]

FOREIGN_KEY_CHECKS_OFF = "SET foreign_key_checks = 0"
FOREIGN_KEY_CHECKS_ON = "SET foreign_key_checks = 1"


def mysql_objects(db: Database, schemas: Sequence[str]) -> list[SchemaObject]:
    """Every object in the schemas, in an order that drops cleanly (foreign key checks off)."""
    if not schemas:
        return []
    listed = ", ".join(db.literal(s) for s in schemas)
    objects: list[SchemaObject] = []
    for kind, query, keyword in _KINDS:
        for schema, name in db.query(query.format(schemas=listed)):
            schema, name = str(schema), str(name)
            drop = f"DROP {keyword} IF EXISTS {db.qualified(schema, name)}"
            objects.append(SchemaObject(kind, schema, name, drop))
    return objects


def mysql_clean_statements(
    db: Database, schemas: Sequence[str], drop_schemas: Sequence[str]
) -> list[str]:
    """Empty `schemas`, dropping those in `drop_schemas` whole (`DROP DATABASE`)."""
    emptied = [s for s in schemas if s not in drop_schemas]
    drops = [o.drop_sql for o in mysql_objects(db, emptied)]
    drops += [f"DROP DATABASE IF EXISTS {db.quote(s)}" for s in schemas if s in drop_schemas]
    if not drops:
        return []
    return [FOREIGN_KEY_CHECKS_OFF, *drops, FOREIGN_KEY_CHECKS_ON]
