"""The SQL the data refresh reads keys and samples with, the same on every engine but for
how a value is read as text (`as_text`: PostgreSQL's `x::text`; MySQL reads keys as they
are and samples with `CAST(x AS CHAR)`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from dbci.data.model import ForeignKey, Table
from dbci.engines.base import Database

AsText = Callable[[str], str]


def _as_is(expression: str) -> str:
    return expression


def missing_keys(
    db: Database,
    child: Table,
    key: ForeignKey,
    parent: Table,
    *,
    distinct: bool = True,
    as_text: AsText = _as_is,
) -> str:
    """The values of `key` in `child`'s rows (distinct, or one per row) that no row of
    `parent` has: the parents still to copy, or the rows that break the key."""
    mine = [f"c.{db.quote(c)}" for c in key.columns]
    theirs = [f"p.{db.quote(c)}" for c in key.parent_columns]
    return (
        f"SELECT {'DISTINCT ' if distinct else ''}{', '.join(as_text(m) for m in mine)} "
        f"FROM {db.qualified(child.schema, child.name)} AS c WHERE "
        + " AND ".join(f"{m} IS NOT NULL" for m in mine)
        + f" AND NOT EXISTS (SELECT 1 FROM {db.qualified(parent.schema, parent.name)} AS p WHERE "
        + " AND ".join(f"{t} = {m}" for t, m in zip(theirs, mine, strict=True))
        + ")"
    )


def present_keys(
    db: Database, table: Table, columns: Sequence[str], *, as_text: AsText = _as_is
) -> str:
    """The distinct values of `columns` in the rows `table` holds (none of them NULL)."""
    cols = [db.quote(c) for c in columns]
    return (
        f"SELECT DISTINCT {', '.join(as_text(c) for c in cols)} FROM "
        f"{db.qualified(table.schema, table.name)} WHERE "
        + " AND ".join(f"{c} IS NOT NULL" for c in cols)
    )


def sample(db: Database, table: Table, column: str, limit: int, *, as_text: AsText) -> str:
    """Up to `limit` distinct non-null values of a column, as text, from its first rows (a
    bounded read: a DISTINCT over the whole of a large table would read it all)."""
    name = db.quote(column)
    return (
        f"SELECT DISTINCT v FROM (SELECT {as_text(name)} AS v FROM "
        f"{db.qualified(table.schema, table.name)} WHERE {name} IS NOT NULL "
        f"LIMIT {int(limit) * 50}) AS s LIMIT {int(limit)}"
    )
