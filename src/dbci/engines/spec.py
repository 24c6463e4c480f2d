"""What dbci knows of a database engine, behind one protocol: `Engine`.

Each engine package (`dbci.engines.postgresql`, `.mysql`, `.sqlite`, `.sqlserver`) defines
one `Engine` subclass in its `__init__.py` and registers an instance of it by name (the
`DatabaseUrl.dialect` it drives), as alembic's `__dialect__` does; `dbci.engines.registry`
finds it. Code outside the engine packages asks the engine (an attribute or a method)
instead of branching on its name.

This module and the packages' `__init__.py` stay light (no driver, no SQLAlchemy): URLs are
parsed with the engines' aliases at startup. The heavy parts (the `Database` class, the
snapshot reader, the DDL emitter, the objects clean drops, the embedded build database)
are imported by the methods that need them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from dbci.engines.base import Database
    from dbci.schema.diff import _Planner
    from dbci.schema.model import DbObject, Snapshot
    from dbci.settings.urls import DatabaseUrl, UrlParts

_LOCAL_HOSTS = {None, "", "localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class SchemaObject:
    """One object in a schema and the statement that drops it (`Engine.clean_objects`).

    `kind` is the engine's word for it ("table", "view", "function", "operator class", …:
    each engine package's `objects.py` lists its own). `name` of a PostgreSQL routine
    carries its identity arguments (`f(integer, text)`), of an operator its operand types
    (`=== (integer, integer)`).
    """

    kind: str
    schema: str
    name: str
    drop_sql: str  # one statement, no trailing semicolon


class Engine:
    """One database engine: its names, defaults and rules, and its heavy parts on demand."""

    # The DatabaseUrl.dialect value (and Database.dialect) of the engine.
    name: ClassVar[str]
    display_name: ClassVar[str]
    # The server's port when a URL names none (None: no server).
    default_port: ClassVar[int | None] = None
    # The schema a script's placeholders name when none is configured (None: the analysis
    # default, `public`).
    default_schema: ClassVar[str | None] = None
    # SQLFluff's name for the engine's SQL (the lint dialect).
    sqlfluff_dialect: ClassVar[str]
    # URLs: SQLAlchemy backend names -> the backend name dbci renders; the JDBC subprotocols
    # (`jdbc:<kind>:`); the driver dbci connects with and the module it imports; the drivers
    # a SQLAlchemy or Alembic URL may name instead (dbci connects with its own).
    url_backends: ClassVar[Mapping[str, str]]
    jdbc_kinds: ClassVar[tuple[str, ...]] = ()
    driver: ClassVar[str]
    driver_module: ClassVar[str]
    known_drivers: ClassVar[frozenset[str]] = frozenset()
    # Whether databases live on a server (CREATE DATABASE, logins) or are files.
    server: ClassVar[bool] = True
    # Whether a schema is a database (MySQL): a new build database is its only schema.
    schema_is_database: ClassVar[bool] = False
    # Whether the schema model's own DDL (`DbObject.ddl()`) is this engine's SQL: it is the
    # engine the schema model is written for, and the emitter of a snapshot of an engine
    # dbci does not know.
    model_ddl: ClassVar[bool] = False
    # Whether a project that names no engine is taken to be of this one (its embedded build
    # database).
    default: ClassVar[bool] = False
    # Whether the diff's statements put a table's columns in the target's order in place
    # (MySQL moves a column, SQLite rebuilds the table): a diff then compares column order
    # unless told not to. Where they cannot (PostgreSQL adds a column last), the order is
    # compared only when asked, and a table is rebuilt for it.
    moves_columns: ClassVar[bool] = False
    # Whether a generated column becomes a plain one in place, keeping its values
    # (PostgreSQL's ALTER COLUMN … DROP EXPRESSION); elsewhere it is dropped and added.
    keeps_generated_values: ClassVar[bool] = False
    # The kinds of object whose use of a column the engine itself keeps (it records the
    # column, follows a rename into them and refuses or cascades a drop): dbci's check
    # does not read their text for a column a migration drops or renames (DB303).
    keeps_column_users: ClassVar[frozenset[str]] = frozenset()

    def __repr__(self) -> str:
        return f"<engine {self.name}>"

    # ---- names ----------------------------------------------------------------------------
    def lint_dialect(self, backend: str) -> str:
        """SQLFluff's dialect for a URL of this engine rendered with `backend`."""
        return self.sqlfluff_dialect

    # ---- URLs -----------------------------------------------------------------------------
    def from_jdbc(self, kind: str, rest: str, where: str) -> UrlParts:
        """A `jdbc:<kind>:<rest>` URL's pieces (kind is one of `jdbc_kinds`)."""
        from dbci.settings.urls import jdbc_hosted

        parts, params = jdbc_hosted(kind, rest, where)
        return parts.with_backend(self.name, self.jdbc_query(params))

    def jdbc_query(self, params: dict[str, str]) -> dict[str, str]:
        """The driver's query parameters for a JDBC URL's properties (none by default)."""
        return {}

    def anchor_database(self, database: str | None, base_dir: Path) -> str | None:
        """A URL's database as the engine takes it (a file engine anchors relative paths
        to the project directory)."""
        return database

    def file_url(self, path: Path) -> str:
        """The URL of a new database in file `path` (file engines)."""
        raise NotImplementedError(f"{self.display_name} databases are not files")

    def server_address(self, url: DatabaseUrl) -> tuple[str | None, int | None, str | None] | None:
        """(host, port, database) as the driver will take them from `url`; None when the
        client's own files decide (then the database cannot be told from the URL)."""
        return url.host, url.port, url.database

    def identity(self, url: DatabaseUrl) -> tuple[Any, ...] | None:
        """What makes two URLs the same database (local host names are one host; a default
        port is the port); None when the URL alone cannot tell."""
        address = self.server_address(url)
        if address is None:
            return None
        host, port, database = address
        if host and host.startswith("/"):  # a Unix socket's folder: this machine's server
            host = "localhost"
        local = host in _LOCAL_HOSTS
        return (
            self.name,
            "localhost" if local else (host or "").lower(),
            port or self.default_port,
            database,
        )

    # ---- connection -----------------------------------------------------------------------
    def database_class(self) -> type[Database]:
        """The `Database` subclass that connects to it (imports the engine module)."""
        raise NotImplementedError

    # ---- schema ---------------------------------------------------------------------------
    def snapshot(
        self,
        db: Database,
        schemas: Sequence[str],
        *,
        include_grants: bool = False,
        include_owners: bool = False,
        exclude_tables: Collection[tuple[str, str]] = (),
        parallel: bool = True,
    ) -> Snapshot:
        """The objects of `schemas` (by default through SQLAlchemy's reflection)."""
        from dbci.schema.reflection import snapshot_reflected

        return snapshot_reflected(db, schemas, exclude_tables=exclude_tables)

    def emit_ddl(self, planner: _Planner) -> list[str]:
        """The statements, in dependency order, that make the planner's A into its B."""
        raise NotImplementedError

    def ddl_renderer(self) -> Callable[[DbObject], str] | None:
        """The engine's own writer of an object's DDL, where the model's would not run
        there; None: the model's."""
        return None

    def loses_data(self, old: DbObject, new: DbObject) -> bool | None:
        """Whether changing `old` into `new` (one key) may lose data, where the engine's
        statements decide it (MySQL renames a column in place, drops partitions); None: the
        model's rule."""
        return None

    def script(self, statements: Sequence[str]) -> str:
        """The statements as a script for the engine's client."""
        from dbci.sqlsplit import terminated

        return "".join(terminated(s) + "\n" for s in statements)

    # ---- clean ----------------------------------------------------------------------------
    # Engines that have them override both; the base says clean is not supported.
    def clean_objects(
        self, db: Database, schemas: Sequence[str], excluded: set[tuple[str, str]]
    ) -> list[SchemaObject] | None:
        """Every object in the schemas, in an order in which dropping them one after another
        works, leaving out the `excluded` (schema, table) pairs and what belongs to them;
        None: clean is not supported."""
        return None

    def clean_statements(
        self, db: Database, schemas: Sequence[str], drop_schemas: Sequence[str]
    ) -> list[str] | None:
        """The statements that empty `schemas` (those also in `drop_schemas` dropped whole);
        None: clean is not supported."""
        return None

    # ---- build ----------------------------------------------------------------------------
    def data_catalog(self, db: Database, schemas: list[str], history_table: str) -> Any | None:
        """The tables of `schemas` as `dbci data refresh` reads them (a
        `dbci.data.model.Catalog`); None: the engine's are not read."""
        return None

    def data_refresh(self) -> Any | None:
        """The engine's part of `dbci data refresh` (a consistent snapshot of the source,
        bulk copies, a new database and the swap: see `dbci.engines.postgresql.data`);
        None: the engine has none yet."""
        return None

    def embedded(self, directory: Path) -> AbstractContextManager[tuple[str, str]] | None:
        """An embedded build database in `directory`, for the time of the build: (its URL,
        where the URL comes from); None: the engine has none. A file engine's is a file."""
        if self.server:
            return None
        return _file_database(self.file_url(directory / "build.db"))

    def catalog_state(self, db: Database) -> Callable[[], Any] | None:
        """A function that describes the catalogs on `db`'s connection, inside its current
        transaction, such that two equal descriptions mean unchanged definitions; None
        where dbci has none for the engine (then snapshots decide)."""
        return None

    def pgtap_available(self, db: Database) -> bool:
        """Whether the database can run pgTAP tests."""
        return False


@contextmanager
def _file_database(url: str) -> Iterator[tuple[str, str]]:
    yield url, "build"
