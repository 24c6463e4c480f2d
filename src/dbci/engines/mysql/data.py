"""MySQL's and MariaDB's part of `dbci data refresh`: a consistent read-only snapshot of the
source, batched multi-row inserts into a new database, and the swap that puts its tables
in the target's place.

* The source is read in one `REPEATABLE READ` transaction started `WITH CONSISTENT
  SNAPSHOT, READ ONLY`: every table as of one moment, nothing written. MySQL cannot hand
  a snapshot to another session, so the tables are copied one after another.
* Rows stream from the source (an unbuffered cursor) and go into the new database in
  multi-row `INSERT`s (PyMySQL's `executemany` packs a batch into statements of up to a
  megabyte), masked a batch at a time; memory holds one batch.
* While it is filled, the new database's sessions skip foreign-key checks
  (`FOREIGN_KEY_CHECKS = 0`) and its triggers are set aside; after, every foreign key is
  checked with a query of its own (MySQL does not check again when the checks come back
  on), and a row that breaks one fails the refresh.
* The swap: MySQL has no `RENAME DATABASE`. One `RENAME TABLE` statement, which MySQL
  runs all or nothing, moves every table of the target into a holding database and every
  table of the new database into the target; then the target's views, routines and
  triggers are replaced by the new database's, their references to it rewritten to the
  target's name. Tables swap in one step; the views, routines and triggers follow within
  the same moment, but not in one transaction (MySQL commits each DDL statement).
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from dbci import cancel
from dbci.data import queries
from dbci.data.model import Catalog, Column, ForeignKey, Name, Table
from dbci.engines.base import Database
from dbci.errors import DbciError
from dbci.settings.urls import DatabaseUrl

REFRESH_PREFIX = "dbci_refresh_"


class MysqlData:
    """The refresh's MySQL/MariaDB operations (see the module's docstring)."""

    def __init__(self) -> None:
        # The new database's triggers, set aside while it is filled: (name, statement).
        self._triggers: list[tuple[str, str]] = []

    def text(self, value: Any) -> Any:
        """A key as `missing_parents` and `present_keys` give it back: PyMySQL's value."""
        return value

    def failed_row(self, exc: BaseException) -> str | None:
        """The batch of the copy the server refused a row of (`rows 5001-10000 of the
        copy`): a multi-row INSERT does not say which row."""
        rows = getattr(exc, "dbci_rows", None)
        return f"rows {rows[0]}-{rows[1]} of the copy" if rows else None

    # ---- the source ----------------------------------------------------------------------

    def begin_snapshot(self, db: Database) -> None:
        db.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        db.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")

    def end_snapshot(self, db: Database) -> None:
        db.rollback()

    def export_snapshot(self, db: Database) -> None:
        """None: MySQL cannot share a snapshot, so the copies run on one connection."""
        return None

    def sample(self, db: Database, table: Table, column: str, limit: int) -> list[Any]:
        """Up to `limit` distinct non-null values of a column, as text (`queries.sample`)."""
        sql = queries.sample(db, table, column, limit, as_text=lambda e: f"CAST({e} AS CHAR)")
        return [r[0] for r in db.query(sql)]

    def percent_condition(self, db: Database, table: Table, percent: float) -> str:
        """A condition on the row `t` that holds for `percent` % of rows, the same rows on
        every run over the same data: a CRC32 of the row's columns."""
        columns = ", ".join(f"t.{db.quote(c.name)}" for c in table.columns)
        return f"MOD(CRC32(CONCAT_WS(0x1f, {columns})), 10000) < {round(percent * 100)}"

    def keys_condition(
        self, db: Database, columns: Sequence[Column], keys: Sequence[tuple[Any, ...]]
    ) -> str:
        """`(t.a, t.b) IN ((…), …)` for the keys given."""
        head = ", ".join(f"t.{db.quote(c.name)}" for c in columns)
        literal = db.dbapi.literal
        rows = ", ".join("(" + ", ".join(literal(v) for v in key) + ")" for key in keys)
        return f"({head}) IN ({rows})"

    # ---- copying -------------------------------------------------------------------------

    def copy(
        self,
        source: Database,
        target: Database,
        origin: Table,
        table: Table,
        columns: Sequence[str],
        condition: str | None,
        transform: Callable[[list[list[Any]]], None] | None,
        masked: Sequence[str],
        batch: int,
        limit: int | None = None,
    ) -> int:
        """Copy the rows of `origin` that `condition` (on the alias `t`) selects into
        `table`, `batch` rows at a time; `transform` masks a batch's masked columns (in
        `masked`'s order) in place. Returns the number of rows copied."""
        import pymysql.cursors

        select = f"SELECT {', '.join('t.' + source.quote(c) for c in columns)} FROM "
        select += f"{source.qualified(origin.schema, origin.name)} AS t"
        if condition:
            select += f" WHERE {condition}"
        if limit is not None:
            select += f" LIMIT {int(limit)}"
        names = ", ".join(target.quote(c) for c in columns)
        insert = (
            f"INSERT INTO {target.qualified(table.schema, table.name)} ({names}) VALUES "
            f"({', '.join(['%s'] * len(columns))})"
        )
        at = [list(columns).index(c) for c in masked]
        count = 0
        with source.calling(), target.calling():
            scur = source.dbapi.cursor(pymysql.cursors.SSCursor)
            tcur = target.dbapi.cursor()
            try:
                scur.execute(select)
                while rows := scur.fetchmany(batch):
                    batch_rows = [list(r) for r in rows]
                    if transform is not None:
                        values = [[r[i] for r in batch_rows] for i in at]
                        transform(values)
                        for column, i in enumerate(at):
                            for row, value in zip(batch_rows, values[column], strict=True):
                                row[i] = value
                    try:
                        tcur.executemany(insert, batch_rows)
                    except Exception as exc:
                        # Which rows of the copy: the batch the server refused one of.
                        exc.dbci_rows = (count + 1, count + len(batch_rows))  # type: ignore[attr-defined]
                        raise
                    count += len(batch_rows)
            finally:
                scur.close()
                tcur.close()
        return count

    # ---- the subset's closure --------------------------------------------------------------

    def missing_parents(
        self, db: Database, child: Table, key: ForeignKey, parent: Table, batch: int
    ) -> Iterator[list[tuple[Any, ...]]]:
        """The values of `key` in `child`'s rows that no row of `parent` has yet."""
        yield from self._batches(db, queries.missing_keys(db, child, key, parent), batch)

    def present_keys(
        self, db: Database, table: Table, columns: Sequence[str], batch: int
    ) -> Iterator[list[tuple[Any, ...]]]:
        yield from self._batches(db, queries.present_keys(db, table, columns), batch)

    def _batches(self, db: Database, sql: str, batch: int) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of `sql`, `batch` at a time, streamed on a connection of its own (the
        caller inserts into the same database between batches)."""
        import pymysql.cursors

        reader = type(db).connect(db.url, where=db.where, connect_timeout=30)
        try:
            cursor = reader.dbapi.cursor(pymysql.cursors.SSCursor)
            with reader.calling():
                cursor.execute(sql)
            while True:
                with reader.calling():
                    rows = cursor.fetchmany(batch)
                if not rows:
                    break
                yield [tuple(r) for r in rows]
            cursor.close()
        finally:
            reader.close()

    # ---- the new database ----------------------------------------------------------------

    @contextlib.contextmanager
    def new_database(self, target: Database) -> Iterator[DatabaseUrl]:
        """A new, empty database beside the target, with its character set and collation;
        dropped on the way out (after a swap it holds nothing)."""
        name = target.database_name()
        charset, collation = target.query(
            "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM "
            "information_schema.SCHEMATA WHERE SCHEMA_NAME = :name",
            {"name": name},
        )[0]
        new = f"{REFRESH_PREFIX}{uuid.uuid4().hex[:12]}"
        with cancel.cleaning_up():
            target.execute(
                f"CREATE DATABASE {target.quote(new)} CHARACTER SET {charset} COLLATE {collation}"
            )
        try:
            yield dataclasses.replace(target.url, database=new)
        finally:
            with cancel.cleaning_up(), contextlib.suppress(Exception):
                target.execute(f"DROP DATABASE IF EXISTS {target.quote(new)}")

    def suspend_constraints(self, db: Database, catalog: Catalog) -> list[str]:
        """Foreign-key checks off for this session, and the new database's triggers set
        aside (recreated in the target by `swap`); return the checks `restore` runs: one
        query per foreign key, counting the rows that break it."""
        db.execute("SET FOREIGN_KEY_CHECKS = 0")
        schema = db.database_name()
        self._triggers = _triggers(db, schema)
        for name, _statement in self._triggers:
            db.execute(f"DROP TRIGGER {db.qualified(schema, name)}")
        checks: list[str] = []
        for table in catalog.tables.values():
            for key in table.foreign_keys:
                parent = catalog.tables.get(key.parent)
                if parent is not None:
                    sql = queries.missing_keys(db, table, key, parent, distinct=False)
                    checks.append(f"{key.name}\t{table.name}\t{sql}")
        return checks

    def restore(self, db: Database, checks: Sequence[str]) -> None:
        """Check every foreign key over the copied rows; checks back on for the session."""
        for check in checks:
            name, table, sql = check.split("\t", 2)
            broken = db.query(f"SELECT COUNT(*) FROM ({sql}) AS broken")[0][0]
            if broken:
                raise DbciError(
                    f"foreign key {name} of {table} does not hold for {broken} copied rows"
                )
        db.execute("SET FOREIGN_KEY_CHECKS = 1")

    def empty(self, db: Database, tables: Sequence[Table]) -> None:
        for table in tables:
            db.execute(f"TRUNCATE TABLE {db.qualified(table.schema, table.name)}")

    def carry_sequences(self, source: Database, target: Database, names: Sequence[Name]) -> None:
        """Nothing: AUTO_INCREMENT moves past the keys inserted."""

    def finish(self, db: Database) -> None:
        """Nothing."""

    # ---- the swap ------------------------------------------------------------------------

    def swap(
        self, target: Database, new: DatabaseUrl, connect: Callable[[DatabaseUrl], Database]
    ) -> None:
        """Put the new database's tables, views, routines and triggers in the target's
        place (see the module's docstring); the target's own go to a holding database,
        dropped after."""
        name, fresh = target.database_name(), new.database or ""
        old = f"{REFRESH_PREFIX}old_{uuid.uuid4().hex[:8]}"
        q = target.quote
        views = self._definitions(target, fresh, name)
        with cancel.cleaning_up():
            target.execute(f"CREATE DATABASE {q(old)}")
            try:
                own = _triggers(target, name)
                for trigger, _statement in own:
                    target.execute(f"DROP TRIGGER {q(name)}.{q(trigger)}")
                moves = [f"{q(name)}.{q(t)} TO {q(old)}.{q(t)}" for t in _base_tables(target, name)]
                moves += [
                    f"{q(fresh)}.{q(t)} TO {q(name)}.{q(t)}" for t in _base_tables(target, fresh)
                ]
                try:
                    if moves:
                        target.execute("RENAME TABLE " + ", ".join(moves))
                except BaseException:
                    # Nothing moved (MySQL renames all or none): the target's triggers back.
                    target.execute(f"USE {q(name)}")
                    for _trigger, statement in own:
                        target.execute(statement)
                    raise
                for kind, object_name in _other_objects(target, name):
                    target.execute(f"DROP {kind} IF EXISTS {q(name)}.{q(object_name)}")
                target.execute(f"USE {q(name)}")
                for statement in views:
                    target.execute(statement)
                for _trigger, statement in self._triggers:
                    target.execute(_rewritten(statement, fresh, name, q))
            finally:
                target.execute(f"DROP DATABASE IF EXISTS {q(old)}")

    def _definitions(self, db: Database, fresh: str, name: str) -> list[str]:
        """The new database's views and routines as statements that create them in the
        target: views in the order they can be made (one needing another after it)."""
        q = db.quote
        statements: list[str] = []
        for kind, object_name in _other_objects(db, fresh):
            row = db.query(f"SHOW CREATE {kind} {q(fresh)}.{q(object_name)}")[0]
            statement = str(row[1] if kind == "VIEW" else row[2])
            statements.append(_rewritten(statement, fresh, name, q))
        return statements


def _triggers(db: Database, schema: str) -> list[tuple[str, str]]:
    """(name, the statement that creates it) of each trigger of a database, in the order
    they fire."""
    found: list[tuple[str, str]] = []
    for (name,) in db.query(
        "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = :s "
        "ORDER BY EVENT_OBJECT_TABLE, ACTION_ORDER, TRIGGER_NAME",
        {"s": schema},
    ):
        statement = db.query(f"SHOW CREATE TRIGGER {db.qualified(schema, str(name))}")[0][2]
        found.append((str(name), str(statement)))
    return found


def _base_tables(db: Database, schema: str) -> list[str]:
    return [
        str(r[0])
        for r in db.query(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = :s "
            "AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
            {"s": schema},
        )
    ]


def _other_objects(db: Database, schema: str) -> list[tuple[str, str]]:
    """(VIEW | PROCEDURE | FUNCTION, name) of a database: views in the order a view comes
    after the views it reads (by name, as MySQL resolves them), then the routines."""
    views = [
        (str(name), str(definition))
        for name, definition in db.query(
            "SELECT TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS "
            "WHERE TABLE_SCHEMA = :s ORDER BY TABLE_NAME",
            {"s": schema},
        )
    ]
    ordered: list[str] = []
    left = dict(views)
    while left:
        ready = [
            v
            for v, definition in left.items()
            if not any(f"`{other}`" in definition for other in left if other != v)
        ] or sorted(left)[:1]
        for v in ready:
            ordered.append(v)
            del left[v]
    routines = [
        (str(kind), str(name))
        for kind, name in db.query(
            "SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES "
            "WHERE ROUTINE_SCHEMA = :s ORDER BY ROUTINE_TYPE, ROUTINE_NAME",
            {"s": schema},
        )
    ]
    return [("VIEW", v) for v in ordered] + routines


def _rewritten(statement: str, fresh: str, name: str, quote: Callable[[str], str]) -> str:
    """A statement of the new database's, its references to it made the target's."""
    return statement.replace(quote(fresh) + ".", quote(name) + ".")
