"""SQL Server snapshots: SQLAlchemy's reflection where it reads SQL Server fully, the
`sys.*` catalog views where it does not.

SQLAlchemy's mssql reflection (`Inspector.get_multi_*`) reads the table names, the foreign
keys and the tables' comments. The rest comes from `sys.*` queries, one per kind of detail
and schema, kept in constants (mssql_catalog.py, imported here):

* columns (`COLUMNS_SQL`): SQLAlchemy's column types drop the precision of `datetime2`,
  `time` and `datetimeoffset`, turn alias types into their base type and cannot render
  CLR types (`geography`, `hierarchyid`); the query gives the type as SQL Server names
  it, with the column's collation, default (its definition, not its name, which SQL
  Server makes up when a script does not give one), identity (`IDENTITY(seed,increment)`
  in `Column.identity`), computed expression (`Column.generated`, ` PERSISTED` appended
  when it is) and comment (the `MS_Description` extended property);
* primary keys and unique constraints (`KEYS_SQL`), with clustering and descending
  columns, and check constraints (`CHECKS_SQL`): SQLAlchemy does not reflect SQL Server's
  unique and check constraints at all;
* indexes (`INDEXES_SQL`), with descending columns, INCLUDE columns, filters and
  columnstore, leaving out those that back a key constraint;
* views, procedures, scalar and table-valued functions and DML triggers (`MODULES_SQL`),
  each with its module text as written (`sys.sql_modules.definition`), the routines'
  parameters (`PARAMETERS_SQL`: `Function.arguments` and a scalar function's `result`),
  and what each reads (`DEPENDENCIES_SQL`, from `sys.sql_expression_dependencies`).

Not captured: sequences, synonyms, user-defined types (a column of an alias type keeps
the type's name), XML, spatial and memory-optimized (hash) indexes, CLR and encrypted
modules, DDL triggers, permissions, partitioning, compression and filegroups, disabled or
untrusted state of constraints, and comments on anything but tables and columns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from dbci.engines.base import Database
from dbci.engines.sqlserver.catalog import (
    CHECKS_SQL,
    COLUMNS_SQL,
    DEPENDENCIES_SQL,
    INDEXES_SQL,
    KEYS_SQL,
    MODULES_SQL,
    PARAMETERS_SQL,
)
from dbci.engines.sqlserver.ddl import qualify_mssql, quote_mssql
from dbci.schema.model import (
    Column,
    Constraint,
    DbObject,
    Function,
    Index,
    Key,
    Procedure,
    Snapshot,
    Table,
    Trigger,
    View,
)

_LENGTH_TYPES = {"char", "varchar", "binary", "varbinary"}
_UNICODE_TYPES = {"nchar", "nvarchar"}  # max_length counts bytes, two a character
_SCALE_TYPES = {"datetime2", "time", "datetimeoffset"}
_DECIMAL_TYPES = {"decimal", "numeric"}
_ROUTINE_RESULTS = {"FN": "scalar", "IF": "inline table", "TF": "table"}


@dataclass
class SchemaRows:
    """What the catalog says about one schema: SQLAlchemy's reflection (table names,
    `get_multi_foreign_keys`, `get_multi_table_comment`, keyed by (schema, table)) and
    the rows of the `*_SQL` queries (mssql_catalog.py)."""

    schema: str
    tables: Sequence[str]
    foreign_keys: dict[tuple[Any, str], list[dict[str, Any]]] = field(default_factory=dict)
    table_comments: dict[tuple[Any, str], dict[str, Any]] = field(default_factory=dict)
    columns: Sequence[Sequence[Any]] = ()
    keys: Sequence[Sequence[Any]] = ()
    checks: Sequence[Sequence[Any]] = ()
    indexes: Sequence[Sequence[Any]] = ()
    modules: Sequence[Sequence[Any]] = ()
    parameters: Sequence[Sequence[Any]] = ()
    dependencies: Sequence[Sequence[Any]] = ()


def snapshot_mssql(
    db: Database, schemas: Sequence[str], *, exclude_tables: Collection[tuple[str, str]] = ()
) -> Snapshot:
    """The tables, indexes, views, routines and triggers of `schemas` (see the module's
    docstring for what is read where, and what is not captured)."""
    import sqlalchemy as sa

    # The engine borrows dbci's connection: it must not roll back (or otherwise reset)
    # whatever dbci has under way on it when it gives it back.
    engine = sa.create_engine(
        db.url.to_sqlalchemy(),
        creator=lambda: db.dbapi,
        poolclass=sa.pool.StaticPool,
        pool_reset_on_return=None,
    )
    excluded = set(exclude_tables)
    read: list[SchemaRows] = []
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        for schema in schemas:
            tables = [
                n for n in inspector.get_table_names(schema=schema) if (schema, n) not in excluded
            ]
            rows = SchemaRows(schema=schema, tables=tables)
            if tables:
                # SQLAlchemy types the rows as TypedDicts; they are read as plain dicts.
                rows.foreign_keys = dict(
                    cast(Any, inspector.get_multi_foreign_keys(schema=schema, filter_names=tables))
                )
                rows.table_comments = _table_comments(inspector, schema, tables)
            params = {"schema": schema}
            rows.columns = db.query(COLUMNS_SQL, params)
            rows.keys = db.query(KEYS_SQL, params)
            rows.checks = db.query(CHECKS_SQL, params)
            rows.indexes = db.query(INDEXES_SQL, params)
            rows.modules = db.query(MODULES_SQL, params)
            rows.parameters = db.query(PARAMETERS_SQL, params)
            rows.dependencies = db.query(DEPENDENCIES_SQL, params)
            read.append(rows)
    return snapshot_from_rows(db.dialect, read)


def _table_comments(inspector: Any, schema: str, tables: list[str]) -> dict[Any, Any]:
    """The tables' comments, or none where SQLAlchemy cannot read them (it finds out on
    connecting whether the server has extended properties: Azure Synapse has not)."""
    try:
        return dict(inspector.get_multi_table_comment(schema=schema, filter_names=tables))
    except NotImplementedError:
        return {}


def snapshot_from_rows(dialect: str, schemas: Iterable[SchemaRows]) -> Snapshot:
    """The snapshot the catalog rows of `schemas` describe (what `snapshot_mssql` builds
    once it has read them); dependencies resolve across all of them."""
    objects: list[DbObject] = []
    uses: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for rows in schemas:
        objects += _tables(rows) + _indexes(rows) + _modules(rows)
        for name, _kind, ref_schema, ref_name in rows.dependencies:
            if (ref_schema, ref_name) != (rows.schema, name):
                uses.setdefault((rows.schema, name), set()).add((ref_schema, ref_name))
    snapshot = Snapshot(dialect)
    by_name = {(o.schema, o.name): o.key for o in objects if not isinstance(o, Index | Trigger)}
    for obj in objects:
        snapshot.add(_with_dependencies(obj, uses.get((obj.schema, obj.name), set()), by_name))
    return snapshot


def render_type(
    name: str,
    user_defined: bool,
    type_schema: str | None,
    max_length: int | None,
    precision: int | None,
    scale: int | None,
) -> str:
    """A column's or parameter's type as T-SQL writes it, from `sys.types` and the
    `max_length`/`precision`/`scale` of `sys.columns` or `sys.parameters`."""
    if user_defined:
        return qualify_mssql(type_schema or "dbo", name)
    if name in _LENGTH_TYPES or name in _UNICODE_TYPES:
        if max_length == -1:
            return f"{name}(max)"
        length = (max_length or 0) // (2 if name in _UNICODE_TYPES else 1)
        return f"{name}({length})"
    if name in _DECIMAL_TYPES:
        return f"{name}({precision},{scale})"
    if name in _SCALE_TYPES:
        return f"{name}({scale})"
    if name == "float" and precision not in (None, 53):
        return f"float({precision})"
    return name


def column_from_row(row: Sequence[Any]) -> tuple[str, Column]:
    """(table, column) from a `COLUMNS_SQL` row."""
    (table, name, type_name, user_defined, type_schema, max_length, precision, scale) = row[:8]
    (nullable, collation, default, seed, increment, computed, persisted, comment) = row[8:]
    generated = None
    if computed is not None:
        generated = f"{computed} PERSISTED" if persisted else computed
    column = Column(
        name=name,
        data_type=render_type(
            type_name, bool(user_defined), type_schema, max_length, precision, scale
        ),
        nullable=bool(nullable),
        default=default,
        identity=f"IDENTITY({seed},{increment})" if seed is not None else None,
        generated=generated,
        collation=collation,
        comment=comment,
    )
    return table, column


def _tables(rows: SchemaRows) -> list[DbObject]:
    columns: dict[str, list[Column]] = {}
    for row in rows.columns:
        table, column = column_from_row(row)
        columns.setdefault(table, []).append(column)
    constraints: dict[str, list[Constraint]] = {}
    for table, constraint in _key_constraints(rows.keys):
        constraints.setdefault(table, []).append(constraint)
    for table, name, definition in rows.checks:
        constraints.setdefault(table, []).append(
            Constraint(name=name, constraint_type="check", definition=f"CHECK {definition}")
        )
    out: list[DbObject] = []
    for table in sorted(rows.tables):
        fks = rows.foreign_keys.get((rows.schema, table)) or []
        own = constraints.get(table, []) + [foreign_key(rows.schema, table, fk) for fk in fks]
        comment = (rows.table_comments.get((rows.schema, table)) or {}).get("text")
        out.append(
            Table(
                schema=rows.schema,
                name=table,
                comment=comment,
                columns=tuple(columns.get(table, [])),
                constraints=tuple(sorted(own, key=lambda c: c.name)),
            )
        )
    return out


def _key_constraints(rows: Iterable[Sequence[Any]]) -> list[tuple[str, Constraint]]:
    """Primary keys and unique constraints from `KEYS_SQL` rows (one row per column)."""
    grouped: dict[tuple[str, str], tuple[str, str, list[str]]] = {}
    for table, name, kind, index_type, column, descending in rows:
        entry = grouped.setdefault((table, name), (kind.strip(), index_type, []))
        entry[2].append(quote_mssql(column) + (" DESC" if descending else ""))
    out = []
    for (table, name), (kind, index_type, columns) in grouped.items():
        words = "PRIMARY KEY" if kind == "PK" else "UNIQUE"
        constraint_type = "primary key" if kind == "PK" else "unique"
        definition = f"{words} {index_type} ({', '.join(columns)})"
        out.append(
            (table, Constraint(name=name, constraint_type=constraint_type, definition=definition))
        )
    return out


def foreign_key(schema: str, table: str, fk: dict[str, Any]) -> Constraint:
    """A foreign key from SQLAlchemy's reflection (`get_multi_foreign_keys`)."""
    referred_schema = fk.get("referred_schema") or schema
    target = qualify_mssql(referred_schema, fk["referred_table"])
    mine = ", ".join(quote_mssql(c) for c in fk["constrained_columns"])
    theirs = ", ".join(quote_mssql(c) for c in fk["referred_columns"])
    definition = f"FOREIGN KEY ({mine}) REFERENCES {target} ({theirs})"
    options = fk.get("options") or {}
    for option, words in (("ondelete", "ON DELETE"), ("onupdate", "ON UPDATE")):
        if options.get(option):
            definition += f" {words} {options[option]}"
    return Constraint(
        name=fk.get("name") or f"FK_{table}_{fk['referred_table']}",
        constraint_type="foreign key",
        definition=definition,
        references=(referred_schema, fk["referred_table"]),
    )


def _indexes(rows: SchemaRows) -> list[DbObject]:
    tables = set(rows.tables)
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for table, name, type_desc, unique, predicate, column, descending, included in rows.indexes:
        if table not in tables:
            continue
        entry = grouped.setdefault(
            (table, name),
            {
                "method": type_desc,
                "unique": bool(unique),
                "predicate": predicate,
                "keys": [],
                "include": [],
            },
        )
        if column is None:  # a clustered columnstore index: every column, none named
            continue
        # A nonclustered columnstore index reports its columns as included ones, but its
        # CREATE names them as key columns.
        if included and "COLUMNSTORE" not in type_desc:
            entry["include"].append(column)
        else:
            entry["keys"].append((column, bool(descending)))
    return [
        index_from_parts(rows.schema, table, name, **parts)
        for (table, name), parts in sorted(grouped.items())
    ]


def index_from_parts(
    schema: str,
    table: str,
    name: str,
    *,
    method: str,
    unique: bool,
    predicate: str | None,
    keys: Sequence[tuple[str, bool]],
    include: Sequence[str] = (),
) -> Index:
    """An index and its CREATE INDEX statement; `method` is `sys.indexes.type_desc`
    (CLUSTERED, NONCLUSTERED, CLUSTERED COLUMNSTORE, NONCLUSTERED COLUMNSTORE)."""
    sql = f"CREATE {'UNIQUE ' if unique else ''}{method} INDEX {quote_mssql(name)} "
    sql += f"ON {qualify_mssql(schema, table)}"
    if keys:
        sql += " (" + ", ".join(quote_mssql(c) + (" DESC" if d else "") for c, d in keys) + ")"
    if include:
        sql += " INCLUDE (" + ", ".join(quote_mssql(c) for c in include) + ")"
    if predicate:
        sql += f" WHERE {predicate}"
    return Index(
        schema=schema,
        name=name,
        table=table,
        definition=sql,
        unique=unique,
        method=method.lower(),
        columns=tuple(c for c, _ in keys),
        include=tuple(include),
        predicate=predicate,
    )


def _modules(rows: SchemaRows) -> list[DbObject]:
    arguments: dict[str, list[str]] = {}
    results: dict[str, str] = {}
    for routine, number, name, *type_parts, output, readonly in rows.parameters:
        data_type = render_type(*type_parts)
        if number == 0:
            results[routine] = data_type
            continue
        text = f"{name} {data_type}" + (" READONLY" if readonly else "")
        arguments.setdefault(routine, []).append(text + (" OUTPUT" if output else ""))
    # A trigger is on a table or a view; one on neither is on an excluded table (the
    # history table).
    views = {name for kind, name, *_ in rows.modules if kind.strip() == "V"}
    relations = set(rows.tables) | views
    out: list[DbObject] = []
    for kind, name, definition, parent, disabled in rows.modules:
        kind = kind.strip()
        common = {"schema": rows.schema, "name": name, "definition": definition}
        if kind == "V":
            out.append(View(**common))
        elif kind == "TR":
            if parent not in relations:
                continue
            enabled = "D" if disabled else "O"
            out.append(Trigger(**common, table=parent, enabled=enabled))
        else:
            fields: dict[str, Any] = {
                **common,
                "arguments": ", ".join(arguments.get(name, [])),
                "language": "tsql",
            }
            if kind == "P":
                out.append(Procedure(**fields))
            else:
                result = results.get(name, _ROUTINE_RESULTS[kind])
                out.append(Function(**fields, result=result))
    return out


def _with_dependencies(
    obj: DbObject, uses: set[tuple[str, str]], by_name: dict[tuple[str, str], Key]
) -> DbObject:
    """`obj` with the keys of what it uses that the snapshot holds: views and routines
    what they read and call, tables the routines their columns and checks call."""
    if not uses or not isinstance(obj, Table | View | Function):
        return obj
    keys = sorted(by_name[u] for u in uses if u in by_name)
    if isinstance(obj, Table):
        keys = [k for k in keys if k[0] in ("function", "procedure")]
    return dataclasses.replace(obj, dependencies=tuple(keys)) if keys else obj
