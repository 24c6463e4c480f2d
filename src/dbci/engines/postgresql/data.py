"""PostgreSQL's part of `dbci data refresh`: a consistent read-only snapshot of the
source, COPY streams into a new database, and the swap that puts it in the target's place.

* The source is read in one `REPEATABLE READ READ ONLY` transaction: every table is read
  as of one moment, and nothing can be written.
* Rows move with `COPY … TO STDOUT` / `COPY … FROM STDIN`. A table without masked columns,
  whose columns have the same types on both sides, streams in COPY's binary format,
  passed through untouched in chunks; a table with masked columns streams in COPY's text
  format, the masked columns parsed, masked and written back a batch at a time, every
  other column's text untouched. Memory holds one batch, whatever the table's size.
* The new database is private until the swap, so its foreign keys are dropped while it is
  filled (the subset brings parents and children in any order, cycles included) and added
  back after, which validates every row; user triggers are off while it is filled.
* The swap renames the target away and the new database into its name, from the server's
  maintenance database, after closing other sessions to the target; the target's
  database-level grants and settings are carried over first, and the old database is
  dropped after. Until the swap, the target is untouched; a cancelled refresh drops the
  new database.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any

from dbci import cancel
from dbci.data import queries
from dbci.data.model import Catalog, Column, ForeignKey, Name, Table
from dbci.engines.base import Database
from dbci.errors import DbciError, InputError
from dbci.settings.urls import DatabaseUrl

REFRESH_PREFIX = "dbci_refresh_"
_BLOCK = 1 << 20  # bytes of COPY data written to the new database at a time
# The maintenance databases the swap may run from (the renamed databases must have no
# session, the swap's own included).
_MAINTENANCE = ("postgres", "template1")

# A masked column's text, as COPY's text format writes it, to the Python value a mask
# takes, and back. Other columns are never parsed.
_PARSE: dict[str, Callable[[str], Any]] = {
    "integer": int,
    "numeric": Decimal,
    "boolean": lambda s: s == "t",
    "date": date.fromisoformat,
    "timestamp": datetime.fromisoformat,
    "time": time_of_day.fromisoformat,
    "uuid": lambda s: uuid.UUID(s),
    "bytes": lambda s: bytes.fromhex(s[2:]),
}


def _cast(expression: str) -> str:
    """An expression read as text: keys compare across databases in their text form."""
    return f"{expression}::text"


def _text(value: Any) -> str | None:
    """A masked value in COPY's text format (psycopg escapes it)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    if isinstance(value, date | time_of_day):
        return value.isoformat()
    return str(value)


class PostgresData:
    """The refresh's PostgreSQL operations (see the module's docstring)."""

    def failed_row(self, exc: BaseException) -> str | None:
        """Which row of a COPY the server refused, as it says (`row 1532 of the copy`)."""
        context = getattr(getattr(exc, "diag", None), "context", None) or ""
        found = re.search(r"COPY [^,]+, line (\d+)", context)
        return f"row {found.group(1)} of the copy" if found else None

    def text(self, value: Any) -> str:
        """A value as a key read back as text shows it (`missing_parents`, `present_keys`)."""
        return _text(value) or ""

    # ---- the source ----------------------------------------------------------------------

    def begin_snapshot(self, db: Database, snapshot: str | None = None) -> None:
        """Start a read-only transaction on the source, seeing `snapshot` when given (one
        another session exported), dates and times read in ISO."""
        db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        if snapshot is not None:
            db.execute(f"SET TRANSACTION SNAPSHOT {db.literal(snapshot)}")
        db.execute("SET LOCAL DateStyle = 'ISO, YMD'")
        db.execute("SET LOCAL IntervalStyle = 'postgres'")

    def end_snapshot(self, db: Database) -> None:
        db.rollback()

    def export_snapshot(self, db: Database) -> str:
        """The snapshot of the source's transaction, for other sessions to read the same
        moment (`begin_snapshot(db, snapshot)`: how pg_dump's parallel jobs share one)."""
        return str(db.query("SELECT pg_export_snapshot()")[0][0])

    def sample(self, db: Database, table: Table, column: str, limit: int) -> list[Any]:
        """Up to `limit` distinct non-null values of a column, as text (`queries.sample`)."""
        return [r[0] for r in db.query(queries.sample(db, table, column, limit, as_text=_cast))]

    def percent_condition(self, db: Database, table: Table, percent: float) -> str:
        """A condition on the row `t` that holds for `percent` % of rows, the same rows on
        every run over the same data: a hash of the row's text."""
        return (
            f"(hashtextextended(t::text, 0) & 9223372036854775807) % 10000 < {round(percent * 100)}"
        )

    def keys_condition(
        self, db: Database, columns: Sequence[Column], keys: Sequence[tuple[str | None, ...]]
    ) -> str:
        """`(t.a, t.b) IN (VALUES (…), …)` for keys given as text, each cast to its column's
        type (so the table's index serves)."""
        head = ", ".join(f"t.{db.quote(c.name)}" for c in columns)
        rows = ", ".join(
            "("
            + ", ".join(
                f"{db.literal(v)}::{c.type_name}" for c, v in zip(columns, key, strict=True)
            )
            + ")"
            for key in keys
        )
        return f"({head}) IN (VALUES {rows})"

    # ---- copying -------------------------------------------------------------------------

    def copy(
        self,
        source: Database,
        target: Database,
        origin: Table,
        table: Table,
        columns: Sequence[str],
        condition: str | None,
        transform: Callable[[list[list[str | None]]], None] | None,
        masked: Sequence[str],
        batch: int,
        limit: int | None = None,
    ) -> int:
        """Copy the rows of `origin` that `condition` (on the alias `t`) selects into
        `table`; `transform` masks a batch of rows in place (the masked columns, in
        `masked`'s order, parsed first). Returns the number of rows copied."""
        names = ", ".join(target.quote(c) for c in columns)
        select = f"SELECT {', '.join('t.' + source.quote(c) for c in columns)} FROM "
        select += f"{source.qualified(origin.schema, origin.name)} AS t"
        if condition:
            select += f" WHERE {condition}"
        if limit is not None:
            select += f" LIMIT {int(limit)}"
        into = f"COPY {target.qualified(table.schema, table.name)} ({names}) FROM STDIN"
        # Binary needs the same type on both sides, and no type whose binary form names
        # other types by their OIDs, which differ between databases (arrays, composites,
        # enums: `other`).
        binary = transform is None and all(
            origin.column(c).type_name == table.column(c).type_name
            and table.column(c).kind != "other"
            for c in columns
        )
        options = " (FORMAT binary)" if binary else ""
        with source.calling(), target.calling():
            scur, tcur = source.dbapi.cursor(), target.dbapi.cursor()
            try:
                with (
                    scur.copy(f"COPY ({select}) TO STDOUT{options}") as out,
                    tcur.copy(into + options) as into_copy,
                ):
                    if transform is None:
                        # libpq hands COPY's output over a row at a time: written on
                        # in blocks, the rows cost a call each only once.
                        block = bytearray()
                        for chunk in out:
                            block += chunk
                            if len(block) >= _BLOCK:
                                into_copy.write(block)
                                block = bytearray()
                        if block:
                            into_copy.write(block)
                    else:
                        return self._masked_rows(
                            out, into_copy, table, columns, masked, transform, batch
                        )
                return int(tcur.rowcount)
            finally:
                scur.close()
                tcur.close()

    def _masked_rows(
        self,
        out: Any,
        into: Any,
        table: Table,
        columns: Sequence[str],
        masked: Sequence[str],
        transform: Callable[[list[list[str | None]]], None],
        batch: int,
    ) -> int:
        """Text rows, masked a batch at a time: each masked column's text parsed for its
        mask, the mask's values written back as text."""
        at = [columns.index(c) for c in masked]
        parse = [_PARSE.get(table.column(c).kind) for c in masked]
        rows: list[list[Any]] = []
        count = 0

        def flush() -> None:
            values = [[row[i] for row in rows] for i in at]
            for column, reader in enumerate(parse):
                if reader is not None:
                    values[column] = [None if v is None else reader(v) for v in values[column]]
            transform(values)
            for column, i in enumerate(at):
                for row, value in zip(rows, values[column], strict=True):
                    row[i] = _text(value)
            for row in rows:
                into.write_row(row)

        for row in out.rows():
            rows.append(list(row))
            if len(rows) >= batch:
                flush()
                count += len(rows)
                rows = []
        if rows:
            flush()
            count += len(rows)
        return count

    # ---- the subset's closure --------------------------------------------------------------

    def missing_parents(
        self, db: Database, child: Table, key: ForeignKey, parent: Table, batch: int
    ) -> Iterator[list[tuple[str | None, ...]]]:
        """The values (as text) of `key` in `child`'s rows that no row of `parent` has yet,
        a batch at a time: the parent rows still to copy."""
        sql = queries.missing_keys(db, child, key, parent, as_text=_cast)
        yield from self._batches(db, sql, batch)

    def present_keys(
        self, db: Database, table: Table, columns: Sequence[str], batch: int
    ) -> Iterator[list[tuple[str | None, ...]]]:
        """The distinct values (as text) of `columns` in the rows `table` holds."""
        yield from self._batches(db, queries.present_keys(db, table, columns, as_text=_cast), batch)

    def _batches(self, db: Database, sql: str, batch: int) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of `sql`, `batch` at a time, from a server-side cursor on a connection
        of its own: the caller copies into the same database between batches, and however
        many keys there are, one batch of them is in memory."""
        reader = type(db).connect(db.url, where=db.where, connect_timeout=30)
        try:
            with reader.dbapi.transaction():
                cursor = reader.dbapi.cursor(name="dbci_keys")
                with reader.calling():
                    cursor.execute(sql)
                while True:
                    with reader.calling():
                        rows = cursor.fetchmany(batch)
                    if not rows:
                        break
                    yield [tuple(r) for r in rows]
        finally:
            reader.close()

    # ---- the new database ----------------------------------------------------------------

    @contextlib.contextmanager
    def new_database(self, target: Database) -> Iterator[DatabaseUrl]:
        """A new, empty database on the target's server, with the target's encoding and
        locale; dropped on the way out unless `swap` has put it in the target's place."""
        row = target.query(
            "SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database "
            "WHERE datname = current_database()"
        )[0]
        name = f"{REFRESH_PREFIX}{uuid.uuid4().hex[:12]}"
        with cancel.cleaning_up():
            target.execute(
                f"CREATE DATABASE {target.quote(name)} TEMPLATE template0 "
                f"ENCODING {target.literal(row[0])} LC_COLLATE {target.literal(row[1])} "
                f"LC_CTYPE {target.literal(row[2])}"
            )
        url = dataclasses.replace(target.url, database=name)
        try:
            yield url
        finally:
            with cancel.cleaning_up(), contextlib.suppress(Exception):
                target.execute(f"DROP DATABASE IF EXISTS {target.quote(name)} WITH (FORCE)")

    def suspend_constraints(self, db: Database, catalog: Catalog) -> list[str]:
        """Drop the new database's foreign keys and turn its user triggers off while it is
        filled; return the statements that put them back (run by `restore`)."""
        restore: list[str] = []
        rows = db.query(
            "SELECT n.nspname, c.relname, k.conname, pg_get_constraintdef(k.oid) "
            "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE k.contype = 'f' AND k.conparentid = 0 AND n.nspname = ANY(:schemas) "
            "ORDER BY 1, 2, 3",
            {"schemas": sorted({s for s, _ in catalog.tables})},
        )
        for schema, table, name, definition in rows:
            qualified = db.qualified(schema, table)
            db.execute(f"ALTER TABLE {qualified} DROP CONSTRAINT {db.quote(name)}")
            restore.append(f"ALTER TABLE {qualified} ADD CONSTRAINT {db.quote(name)} {definition}")
        for schema, table in sorted(catalog.tables):
            qualified = db.qualified(schema, table)
            db.execute(f"ALTER TABLE {qualified} DISABLE TRIGGER USER")
            restore.append(f"ALTER TABLE {qualified} ENABLE TRIGGER USER")
        return restore

    def restore(self, db: Database, statements: Sequence[str]) -> None:
        """Add the foreign keys back (each checks every row) and turn the triggers on."""
        for sql in statements:
            try:
                db.execute(sql)
            except Exception as exc:
                if cancel.requested():
                    raise cancel.cancelled("checking the copied rows' foreign keys") from None
                raise DbciError(
                    f"{sql.split(' ADD CONSTRAINT ')[-1][:200]}: does not hold for the copied "
                    f"rows: {db.describe_error(exc).message}"
                ) from None

    def empty(self, db: Database, tables: Sequence[Table]) -> None:
        """Remove the rows the migrations put in `tables`."""
        if tables:
            names = ", ".join(db.qualified(t.schema, t.name) for t in tables)
            db.execute(f"TRUNCATE {names}")

    def carry_sequences(self, source: Database, target: Database, names: Sequence[Name]) -> None:
        """Each sequence of both at the source's position, so that new rows on the target
        take values the copied rows do not have."""
        for schema, name in names:
            qualified = source.qualified(schema, name)
            last, called = source.query(f"SELECT last_value, is_called FROM {qualified}")[0]
            target.query(
                "SELECT setval(:seq::regclass, :last, :called)",
                {"seq": target.qualified(schema, name), "last": last, "called": called},
            )

    def finish(self, db: Database) -> None:
        """Nothing: autovacuum analyzes the new tables as their rows count, as it does after
        `pg_restore`; an ANALYZE here would hold the swap back."""

    # ---- the swap ------------------------------------------------------------------------

    def swap(
        self, target: Database, new: DatabaseUrl, connect: Callable[[DatabaseUrl], Database]
    ) -> None:
        """Put the database `new` in the target's place: the target's grants, settings and
        owner carried over, its other sessions closed, renamed away, `new` renamed into its
        name, the old one dropped. Refused, with the target untouched, when the server's
        maintenance database cannot be reached."""
        name = target.database_name()
        old = f"{REFRESH_PREFIX}old_{uuid.uuid4().hex[:8]}"
        admin = self._maintenance(target, connect)
        try:
            self._carry_database_settings(admin, name, new.database or "")
            with cancel.cleaning_up():
                target.close()
                try:
                    self._close_sessions(admin, name)
                    admin.execute(
                        f"ALTER DATABASE {admin.quote(name)} RENAME TO {admin.quote(old)}"
                    )
                except BaseException:
                    self._allow_sessions(admin, name)
                    raise
                try:
                    admin.execute(
                        f"ALTER DATABASE {admin.quote(new.database or '')} RENAME TO "
                        f"{admin.quote(name)}"
                    )
                except BaseException:
                    admin.execute(
                        f"ALTER DATABASE {admin.quote(old)} RENAME TO {admin.quote(name)}"
                    )
                    self._allow_sessions(admin, name)
                    raise
                admin.execute(f"DROP DATABASE IF EXISTS {admin.quote(old)} WITH (FORCE)")
        finally:
            admin.close()

    def _maintenance(
        self, target: Database, connect: Callable[[DatabaseUrl], Database]
    ) -> Database:
        errors: list[str] = []
        for database in _MAINTENANCE:
            try:
                return connect(dataclasses.replace(target.url, database=database))
            except DbciError as exc:
                errors.append(str(exc))
        raise InputError(
            f"{target.where}: the swap needs a session on the server's maintenance database "
            f"(postgres or template1), and none could be opened: {errors[0]}"
        )

    def _carry_database_settings(self, admin: Database, name: str, new: str) -> None:
        """The target's owner, database-level grants and `ALTER DATABASE … SET` settings,
        on `new`."""
        owner, acl_null = admin.query(
            "SELECT pg_get_userbyid(datdba), datacl IS NULL FROM pg_database WHERE datname = :d",
            {"d": name},
        )[0]
        quoted = admin.quote(new)
        if owner != admin.current_user():
            try:
                admin.execute(f"ALTER DATABASE {quoted} OWNER TO {admin.quote(owner)}")
            except Exception as exc:
                raise InputError(
                    f"{admin.where}: the refreshed database cannot be given to the target's "
                    f"owner {owner}: {admin.describe_error(exc).message}"
                ) from None
        if not acl_null:
            admin.execute(f"REVOKE ALL ON DATABASE {quoted} FROM PUBLIC")
            grants = admin.query(
                "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident("
                "pg_get_userbyid(a.grantee)) END, a.privilege_type, a.is_grantable "
                "FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = :d",
                {"d": name},
            )
            for grantee, privilege, grantable in grants:
                option = " WITH GRANT OPTION" if grantable else ""
                admin.execute(f"GRANT {privilege} ON DATABASE {quoted} TO {grantee}{option}")
        settings = admin.query(
            "SELECT CASE WHEN s.setrole = 0 THEN '' ELSE pg_get_userbyid(s.setrole) END, "
            "unnest(s.setconfig) FROM pg_db_role_setting s "
            "JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = :d",
            {"d": name},
        )
        for role, setting in settings:
            key, _, value = str(setting).partition("=")
            who = f"ROLE {admin.quote(role)} IN " if role else ""
            admin.execute(f"ALTER {who}DATABASE {quoted} SET {key} = {admin.literal(value)}")

    def _allow_sessions(self, admin: Database, name: str) -> None:
        with contextlib.suppress(Exception):
            admin.execute(f"ALTER DATABASE {admin.quote(name)} ALLOW_CONNECTIONS true")

    def _close_sessions(self, admin: Database, name: str) -> None:
        """End every other session on the target, and keep new ones out until the swap."""
        with contextlib.suppress(Exception):
            admin.execute(f"ALTER DATABASE {admin.quote(name)} ALLOW_CONNECTIONS false")
        for _ in range(20):
            left = admin.query(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :d AND pid <> pg_backend_pid()",
                {"d": name},
            )[0][0]
            if not left:
                return
            time.sleep(0.1)
        raise InputError(f"{admin.where}: sessions on {name} would not close for the swap")
