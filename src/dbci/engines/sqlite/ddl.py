"""The statements that turn one SQLite schema into another.

SQLite's ALTER TABLE adds plain columns and little else, so any other change to a table
rebuilds it as SQLite's documentation describes: create the new table under a temporary
name, copy the columns both versions have, drop the old table, rename the new one, and
create its indexes and triggers again. Views and triggers are dropped and created;
foreign keys live inside their tables.

The rebuild assumes foreign key enforcement is off, as it is unless a connection turns it
on (`PRAGMA foreign_keys`, which a transaction cannot change): with it on, dropping the
old table would run its ON DELETE actions.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar

from dbci.schema.model import (
    Column,
    DbObject,
    Index,
    Key,
    Table,
    Trigger,
    View,
    qualify,
    quote_ident,
)

if TYPE_CHECKING:
    from dbci.schema.diff import _Planner


def emit_sqlite(planner: _Planner) -> list[str]:
    """Statements in dependency order for the planner's changes."""
    from dbci.schema.diff import _view_order

    a, b = planner.a.objects, planner.b.objects
    out: list[str] = []
    # A changed pair has one key, so one kind: B's side is a table too.
    changed_tables = [
        (o, n) for o, n in planner.changed if isinstance(o, Table) and isinstance(n, Table)
    ]
    rebuilt = {o.key for o, n in changed_tables if not _only_added_columns(o, n)}
    # Everything on or reading a rebuilt or dropped table goes first, and comes back after.
    goes: set[Key] = set(planner.dropped_keys) | planner.recreate
    for obj in a.values():
        table_key = ("table", obj.schema, getattr(obj, "table", ""))
        if isinstance(obj, Index | Trigger) and table_key in rebuilt:
            goes.add(obj.key)
        if isinstance(obj, View) and set(obj.depends_on()) & (rebuilt | planner.dropped_keys):
            goes.add(obj.key)
    views_a = [v for v in (a.get(k) for k in goes) if isinstance(v, View)]
    if views_a or rebuilt:
        # SQLite checks a view's tables only when it is used, but drop them all up front
        # so that no rebuild or drop runs under a view that reads it.
        views_a = [o for o in a.values() if isinstance(o, View)]
        goes |= {v.key for v in views_a}
    if rebuilt:
        # Renaming the rebuilt table makes SQLite check every trigger, and one whose body
        # reads a table being rebuilt (which the snapshot cannot see) fails there: all
        # triggers go too, and come back after.
        goes |= {o.key for o in a.values() if isinstance(o, Trigger)}
    for obj in _sorted(o for o in (a.get(k) for k in goes) if isinstance(o, Trigger)):
        if ("table", obj.schema, obj.table) not in planner.dropped_keys:
            # SQLite names a trigger by schema and name, without its table.
            out.append(f"DROP TRIGGER {qualify(obj.schema, obj.name)}")
    for obj in reversed(_view_order(views_a)):
        out += obj.drop_sql()
    for obj in _sorted(o for o in (a.get(k) for k in goes) if isinstance(o, Index)):
        if ("table", obj.schema, obj.table) not in planner.dropped_keys | rebuilt:
            out += obj.drop_sql()
    for obj in _sorted(o for o in planner.dropped if isinstance(o, Table)):
        out += obj.drop_sql()
    for obj in _sorted(o for o in planner.added if isinstance(o, Table)):
        out += _with_sqlite_defaults(obj).definition_sql()
    for old, new in sorted(changed_tables, key=lambda pair: pair[0].key):
        if old.key in rebuilt:
            out += _rebuild(old, new)
        else:
            before = {c.name for c in old.columns}
            out += [
                f"ALTER TABLE {new.qualified} ADD COLUMN {_sqlite_column(c).definition_sql()}"
                for c in new.columns
                if c.name not in before
            ]
    comes: set[Key] = {o.key for o in planner.added} | {k for k in goes if k in b}
    for obj in _sorted(b[k] for k in comes if isinstance(b.get(k), Index)):
        out += obj.create_sql()
    for obj in _view_order([b[k] for k in comes if isinstance(b.get(k), View)]):
        out += obj.create_sql()
    for obj in _sorted(b[k] for k in comes if isinstance(b.get(k), Trigger)):
        out += obj.create_sql()
    return out


def _only_added_columns(old: Table, new: Table) -> bool:
    """True when ALTER TABLE … ADD COLUMN is enough: the new table is the old one plus
    trailing plain columns (no key, no constraint of their own) that SQLite can add."""
    if old.constraints != new.constraints:
        return False
    if new.columns[: len(old.columns)] != old.columns:
        return False
    return all(_addable(c) for c in new.columns[len(old.columns) :])


# What SQLite takes as a column default without parentheses: a number, a string, a blob,
# NULL, TRUE, FALSE and the CURRENT_ times. Anything else is an expression, which a
# default must write in parentheses (reflection gives it without them).
_Object = TypeVar("_Object", bound=DbObject)

_LITERAL = re.compile(
    r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?|'(?:[^']|'')*'|x'[0-9a-f]*'|null|true|false",
    re.IGNORECASE,
)
_CURRENT = ("CURRENT_TIME", "CURRENT_DATE", "CURRENT_TIMESTAMP")


def _addable(column: Column) -> bool:
    """Whether ALTER TABLE … ADD COLUMN takes the column: not generated, a default that
    is a constant (no expression, no CURRENT_ time), and one when it is NOT NULL."""
    default = column.default
    if column.generated is not None:
        return False
    if default is None:
        return column.nullable
    return _LITERAL.fullmatch(default.strip()) is not None


def _sqlite_column(column: Column) -> Column:
    """The column with its default written the way SQLite's DEFAULT takes it."""
    default = column.default
    if default is None:
        return column
    text = default.strip()
    if _LITERAL.fullmatch(text) or text.upper() in _CURRENT:
        return column
    return dataclasses.replace(column, default=f"({text})")


def _with_sqlite_defaults(table: Table) -> Table:
    return dataclasses.replace(table, columns=tuple(_sqlite_column(c) for c in table.columns))


def _rebuild(old: Table, new: Table) -> list[str]:
    temporary = f"_dbci_new_{new.name}"
    staged = Table(
        schema=new.schema,
        name=temporary,
        columns=_with_sqlite_defaults(new).columns,
        constraints=new.constraints,
    )
    kept = [c.name for c in new.columns if old.column(c.name) is not None]
    names = ", ".join(quote_ident(n) for n in kept)
    out = staged.definition_sql()
    if kept:
        out.append(f"INSERT INTO {staged.qualified} ({names}) SELECT {names} FROM {old.qualified}")
    out.append(f"DROP TABLE {old.qualified}")
    out.append(f"ALTER TABLE {staged.qualified} RENAME TO {quote_ident(new.name)}")
    return out


def _sorted(objects: Iterable[_Object]) -> list[_Object]:
    return sorted(objects, key=lambda o: o.key)
