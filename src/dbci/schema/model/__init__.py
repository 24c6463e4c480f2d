"""The schema model: every database object as a typed value that knows its own DDL.

A snapshot is a set of these objects, keyed by identity (`kind`, schema, name). Each
object compares by value, serialises to plain JSON (`to_dict` / `object_from_dict`),
and writes its own create and drop statements. The model is dialect-neutral in shape;
definitions the database itself renders (a view's query, a function's full definition,
a constraint's or an index's definition) are kept as the database writes them, so that
two snapshots of the same schema compare equal and the DDL runs as written.

Statements are returned without a trailing `;`. Identifiers are always double-quoted.

The package's modules, by what they hold: `keys` (an object's key and the keys it refers
to), `base` (quoting, grants, `DbObject`), `types` (schemas, extensions, user types,
sequences), `tables` (tables, columns, constraints, indexes), `views`, `routines`
(functions, procedures, triggers) and `snapshot` (the kinds in order, `Snapshot`,
`object_from_dict`). Everything is imported from here: `from dbci.schema.model import Table`.
"""

from __future__ import annotations

from dbci.schema.model.base import (
    DbObject,
    Grant,
    assemble,
    qualify,
    quote_ident,
    quote_literal,
)
from dbci.schema.model.keys import RELATION_KINDS, Key, relation_keys, type_dependencies
from dbci.schema.model.routines import Function, Procedure, Trigger
from dbci.schema.model.snapshot import (
    FORMAT,
    KIND_BY_NAME,
    KIND_ORDER,
    KINDS,
    MODEL_CLASSES,
    Snapshot,
    dependency_order,
    object_from_dict,
    without_column_order,
)
from dbci.schema.model.tables import (
    CONSTRAINT_KINDS,
    Column,
    Constraint,
    Index,
    Table,
    column_comment_sql,
    column_grant_sql,
    column_revoke_sql,
    constraint_adds,
    constraint_comment_sql,
    constraint_differs,
    constraint_drops,
    is_foreign_key,
)
from dbci.schema.model.types import (
    SEQUENCE_TYPE_RANGE,
    Attribute,
    CompositeType,
    Domain,
    DomainConstraint,
    Enum,
    Extension,
    Schema,
    Sequence,
)
from dbci.schema.model.views import MaterializedView, View

__all__ = [
    "CONSTRAINT_KINDS",
    "FORMAT",
    "KINDS",
    "KIND_BY_NAME",
    "KIND_ORDER",
    "MODEL_CLASSES",
    "RELATION_KINDS",
    "SEQUENCE_TYPE_RANGE",
    "Attribute",
    "Column",
    "CompositeType",
    "Constraint",
    "DbObject",
    "Domain",
    "DomainConstraint",
    "Enum",
    "Extension",
    "Function",
    "Grant",
    "Index",
    "Key",
    "MaterializedView",
    "Procedure",
    "Schema",
    "Sequence",
    "Snapshot",
    "Table",
    "Trigger",
    "View",
    "assemble",
    "column_comment_sql",
    "column_grant_sql",
    "column_revoke_sql",
    "constraint_adds",
    "constraint_comment_sql",
    "constraint_differs",
    "constraint_drops",
    "dependency_order",
    "is_foreign_key",
    "object_from_dict",
    "qualify",
    "quote_ident",
    "quote_literal",
    "relation_keys",
    "type_dependencies",
    "without_column_order",
]
