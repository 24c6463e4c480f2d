"""The objects of SQL Server schemas, and the statements that drop them (`dbci clean`).

One catalog query lists them. Foreign keys go first (each `ALTER TABLE … DROP CONSTRAINT`),
so that tables then drop in any order; views, routines and synonyms before the tables,
newest first, so that a view over a view (with SCHEMABINDING) goes before what it reads;
DML triggers go with their tables; sequences and user-defined types last.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dbci.engines.base import Database
from dbci.engines.spec import SchemaObject

# sys.objects type -> (kind, DROP keyword), in drop order.
_TYPES: dict[str, tuple[str, str]] = {
    "F": ("foreign key", ""),
    "V": ("view", "VIEW"),
    "P": ("procedure", "PROCEDURE"),
    "FN": ("function", "FUNCTION"),
    "IF": ("function", "FUNCTION"),
    "TF": ("function", "FUNCTION"),
    "SN": ("synonym", "SYNONYM"),
    "U": ("table", "TABLE"),
    "SO": ("sequence", "SEQUENCE"),
}
_ORDER = {code: rank for rank, code in enumerate(_TYPES)}

OBJECTS_SQL = """
SELECT s.name AS schema_name, o.name AS object_name, RTRIM(o.type) AS object_type,
       p.name AS parent_name
FROM sys.objects AS o
JOIN sys.schemas AS s ON s.schema_id = o.schema_id
LEFT JOIN sys.objects AS p ON p.object_id = o.parent_object_id
WHERE s.name IN ({schemas}) AND o.is_ms_shipped = 0
  AND o.type IN ('F', 'V', 'P', 'FN', 'IF', 'TF', 'SN', 'U', 'SO')
ORDER BY o.create_date DESC, o.object_id DESC
"""

TYPES_SQL = """
SELECT s.name AS schema_name, t.name AS type_name
FROM sys.types AS t
JOIN sys.schemas AS s ON s.schema_id = t.schema_id
WHERE s.name IN ({schemas}) AND t.is_user_defined = 1
ORDER BY t.user_type_id DESC
"""


def mssql_objects(db: Database, schemas: Sequence[str]) -> list[SchemaObject]:
    """Every object in the schemas, in an order in which dropping them one by one works."""
    if not schemas:
        return []
    listed = ", ".join(db.literal(s) for s in schemas)
    rows = [tuple(r) for r in db.query(OBJECTS_SQL.format(schemas=listed))]
    objects = objects_from_rows(db, rows)
    for schema, name in db.query(TYPES_SQL.format(schemas=listed)):
        objects.append(
            SchemaObject("type", str(schema), str(name), f"DROP TYPE {db.qualified(schema, name)}")
        )
    return objects


def objects_from_rows(db: Database, rows: Sequence[tuple[Any, ...]]) -> list[SchemaObject]:
    """`OBJECTS_SQL`'s rows (schema, name, type, parent) as objects, in drop order."""
    objects = []
    for schema, name, code, parent in sorted(rows, key=lambda r: _ORDER[str(r[2])]):
        kind, keyword = _TYPES[str(code)]
        if kind == "foreign key":
            drop = f"ALTER TABLE {db.qualified(schema, parent)} DROP CONSTRAINT {db.quote(name)}"
        else:
            drop = f"DROP {keyword} {db.qualified(schema, name)}"
        objects.append(SchemaObject(kind, str(schema), str(name), drop))
    return objects


def mssql_clean_statements(
    db: Database, schemas: Sequence[str], drop_schemas: Sequence[str]
) -> list[str]:
    """Empty `schemas`; those in `drop_schemas` are then dropped too (`DROP SCHEMA`)."""
    statements = [o.drop_sql for o in mssql_objects(db, schemas)]
    statements += [f"DROP SCHEMA {db.quote(s)}" for s in schemas if s in drop_schemas]
    return statements
