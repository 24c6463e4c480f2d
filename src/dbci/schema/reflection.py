"""Snapshots of engines without a catalog reader of their own, through SQLAlchemy's
reflection.

`Inspector.get_multi_*` reads each kind of detail for all tables of a schema at once:
columns, primary keys, foreign keys, unique and check constraints, indexes. Views come
from `get_view_definition`; what reflection does not give (SQLite's triggers and index
statements) the engine reads itself (`index_sql`, `triggers`). What the engine's
reflection cannot see is not in the snapshot: the README's engine table says what that is.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Collection, Sequence
from typing import Any

from dbci.engines.base import Database
from dbci.schema.model import (
    Column,
    Constraint,
    Index,
    Snapshot,
    Table,
    Trigger,
    View,
    quote_ident,
)

# "CREATE VIEW name [(cols)] AS query": the query is what the model keeps.
_VIEW_QUERY = re.compile(
    r"^\s*CREATE\s+(?:TEMP(?:ORARY)?\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?"
    r"(?:\"(?:[^\"]|\"\")*\"|\[[^\]]*\]|`[^`]*`|[^\s(]+)(?:\s*\.\s*(?:\"(?:[^\"]|\"\")*\"|\S+?))?"
    r"\s*(?:\([^)]*\))?\s+AS\s+(?P<query>.*)$",
    re.IGNORECASE | re.DOTALL,
)


# What an engine reads itself, beside SQLAlchemy's reflection, for one schema: its indexes'
# CREATE statements (index name -> (table, statement)), and its triggers ((table, name,
# statement) rows), which SQLAlchemy does not reflect.
IndexSql = Callable[[Database, str], dict[str, tuple[str, str]]]
TriggerRows = Callable[[Database, str], Sequence[tuple[str, str, str]]]


def snapshot_reflected(
    db: Database,
    schemas: Sequence[str],
    *,
    exclude_tables: Collection[tuple[str, str]] = (),
    index_sql: IndexSql | None = None,
    triggers: TriggerRows | None = None,
) -> Snapshot:
    """The tables, views, indexes and triggers of `schemas`."""
    import sqlalchemy as sa

    engine = sa.create_engine(
        db.url.to_sqlalchemy(), creator=lambda: db.dbapi, poolclass=sa.pool.StaticPool
    )
    snapshot = Snapshot(db.dialect)
    excluded = set(exclude_tables)
    with engine.connect() as connection, warnings.catch_warnings():
        # SQLAlchemy warns that it skips SQLite's expression indexes: they are read below.
        warnings.simplefilter("ignore", sa.exc.SAWarning)
        inspector = sa.inspect(connection)
        for schema in schemas:
            _read_schema(db, inspector, snapshot, schema, excluded, index_sql, triggers)
    return snapshot


def _read_schema(
    db: Database,
    inspector: Any,
    snapshot: Snapshot,
    schema: str,
    excluded: set[tuple[str, str]],
    read_index_sql: IndexSql | None,
    read_triggers: TriggerRows | None,
) -> None:
    names = [n for n in inspector.get_table_names(schema=schema) if (schema, n) not in excluded]
    if names:
        columns = inspector.get_multi_columns(schema=schema, filter_names=names)
        primary = inspector.get_multi_pk_constraint(schema=schema, filter_names=names)
        foreign = inspector.get_multi_foreign_keys(schema=schema, filter_names=names)
        unique = inspector.get_multi_unique_constraints(schema=schema, filter_names=names)
        checks = inspector.get_multi_check_constraints(schema=schema, filter_names=names)
        indexes = inspector.get_multi_indexes(schema=schema, filter_names=names)
        index_sql = read_index_sql(db, schema) if read_index_sql is not None else {}
        for name in sorted(names):
            key = (schema, name)
            snapshot.add(
                Table(
                    schema=schema,
                    name=name,
                    columns=tuple(_column(c) for c in columns.get(key, [])),
                    constraints=_constraints(
                        name,
                        primary.get(key),
                        foreign.get(key, []),
                        unique.get(key, []),
                        checks.get(key, []),
                    ),
                )
            )
            reflected = set()
            for index in indexes.get(key, []):
                if not index.get("name"):
                    continue
                reflected.add(index["name"])
                statement = index_sql.get(index["name"], ("", None))[1]
                snapshot.add(_index(schema, name, index, statement))
            # SQLAlchemy skips SQLite's expression indexes (with a warning); their CREATE
            # statement is all the model needs.
            for index_name, (table, sql) in sorted(index_sql.items()):
                if table == name and index_name not in reflected:
                    snapshot.add(
                        Index(
                            schema=schema,
                            name=index_name,
                            table=name,
                            definition=sql,
                            unique=sql.lstrip().upper().startswith("CREATE UNIQUE"),
                        )
                    )
    for view in sorted(inspector.get_view_names(schema=schema)):
        text = inspector.get_view_definition(view, schema=schema) or ""
        match = _VIEW_QUERY.match(text)
        query = match.group("query").strip() if match else text.strip()
        snapshot.add(View(schema=schema, name=view, definition=query))
    if read_triggers is not None:
        for table, name, sql in read_triggers(db, schema):
            if (schema, table) not in excluded:
                snapshot.add(Trigger(schema=schema, name=name, table=table, definition=sql))


def _column(data: dict[str, Any]) -> Column:
    default = data.get("default")
    return Column(
        name=data["name"],
        data_type=str(data["type"]),
        nullable=bool(data.get("nullable", True)),
        default=None if default is None else str(default),
        comment=data.get("comment"),
    )


def _names(columns: Sequence[str]) -> str:
    return ", ".join(quote_ident(c) for c in columns)


def _constraints(
    table: str,
    primary: dict[str, Any] | None,
    foreign: list[dict[str, Any]],
    unique: list[dict[str, Any]],
    checks: list[dict[str, Any]],
) -> tuple[Constraint, ...]:
    out: list[Constraint] = []
    if primary and primary.get("constrained_columns"):
        out.append(
            Constraint(
                name=primary.get("name") or f"{table}_pkey",
                constraint_type="primary key",
                definition=f"PRIMARY KEY ({_names(primary['constrained_columns'])})",
            )
        )
    for number, fk in enumerate(foreign, start=1):
        target = quote_ident(fk["referred_table"])
        definition = (
            f"FOREIGN KEY ({_names(fk['constrained_columns'])}) REFERENCES {target} "
            f"({_names(fk['referred_columns'])})"
        )
        for option, words in (("ondelete", "ON DELETE"), ("onupdate", "ON UPDATE")):
            if fk.get("options", {}).get(option):
                definition += f" {words} {fk['options'][option]}"
        out.append(
            Constraint(
                name=fk.get("name") or f"{table}_fkey{number}",
                constraint_type="foreign key",
                definition=definition,
                references=(fk.get("referred_schema") or "", fk["referred_table"]),
            )
        )
    for number, item in enumerate(unique, start=1):
        out.append(
            Constraint(
                name=item.get("name") or f"{table}_key{number}",
                constraint_type="unique",
                definition=f"UNIQUE ({_names(item['column_names'])})",
            )
        )
    for number, item in enumerate(checks, start=1):
        out.append(
            Constraint(
                name=item.get("name") or f"{table}_check{number}",
                constraint_type="check",
                definition=f"CHECK ({item['sqltext']})",
            )
        )
    return tuple(sorted(out, key=lambda c: c.name))


def _index(schema: str, table: str, data: dict[str, Any], sql: str | None) -> Index:
    columns = tuple(str(c) for c in data.get("column_names") or data.get("expressions") or ())
    unique = bool(data.get("unique"))
    definition = sql or (
        f"CREATE {'UNIQUE ' if unique else ''}INDEX {quote_ident(data['name'])} "
        f"ON {quote_ident(table)} ({_names(columns)})"
    )
    return Index(
        schema=schema,
        name=data["name"],
        table=table,
        definition=definition,
        unique=unique,
        columns=columns,
    )
