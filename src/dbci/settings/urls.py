"""Database URLs: Flyway's JDBC URLs and SQLAlchemy URLs, mapped to one `DatabaseUrl`.

A Flyway project names its databases with JDBC URLs (`jdbc:postgresql://h:5432/db`);
a Python user writes SQLAlchemy URLs (`postgresql://h/db`). Both become a `DatabaseUrl`
naming the driver dbci connects with (psycopg 3, PyMySQL, pyodbc, the stdlib's sqlite3).
Relative SQLite paths are taken relative to the project directory, so `--project`
works from anywhere.

The URL grammar is SQLAlchemy's (the same pattern as `sqlalchemy.engine.make_url`, and
the same rendering), parsed here rather than by SQLAlchemy because importing SQLAlchemy
costs half a second, more than dbci needs to apply a typical migration run; commands
that reflect a schema through SQLAlchemy get its `URL` from `to_sqlalchemy()`.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, quote_plus, unquote, urlsplit

from dbci.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

# SQLAlchemy backend name -> (dialect dbci knows it by, backend name dbci renders)
_BACKENDS: dict[str, tuple[str, str]] = {
    "postgresql": ("postgresql", "postgresql"),
    "postgres": ("postgresql", "postgresql"),
    "sqlite": ("sqlite", "sqlite"),
    "mysql": ("mysql", "mysql"),
    "mariadb": ("mysql", "mariadb"),
    "mssql": ("mssql", "mssql"),
    "sqlserver": ("mssql", "mssql"),
}
# dialect -> (the driver dbci connects with, the module it imports)
_DRIVERS: dict[str, tuple[str, str]] = {
    "postgresql": ("psycopg", "psycopg"),
    "sqlite": ("pysqlite", "sqlite3"),
    "mysql": ("pymysql", "pymysql"),
    "mssql": ("pyodbc", "pyodbc"),
}
# Drivers a SQLAlchemy or Alembic URL may name; dbci connects with its own driver for the
# backend instead, so an existing `postgresql+psycopg2://` URL works unchanged.
_KNOWN_DRIVERS: dict[str, frozenset[str]] = {
    "postgresql": frozenset({"psycopg", "psycopg2", "psycopg2cffi", "pg8000", "asyncpg"}),
    "sqlite": frozenset({"pysqlite", "aiosqlite", "pysqlcipher"}),
    "mysql": frozenset({"pymysql", "mysqldb", "mysqlconnector", "aiomysql", "asyncmy"}),
    "mssql": frozenset({"pyodbc", "pymssql", "aioodbc"}),
}
# JDBC PostgreSQL properties that have a libpq equivalent.
_PG_JDBC_PARAMS = {
    "sslmode": "sslmode",
    "sslrootcert": "sslrootcert",
    "sslcert": "sslcert",
    "sslkey": "sslkey",
    "applicationname": "application_name",
    "connecttimeout": "connect_timeout",
    "options": "options",
}
# SQLAlchemy's URL pattern (sqlalchemy/engine/url.py, _parse_url).
_URL_PATTERN = re.compile(
    r"""
    (?P<name>[\w\+]+)://
    (?:
        (?P<username>[^:/]*)
        (?::(?P<password>[^@]*))?
    @)?
    (?:
        (?:
            \[(?P<ipv6host>[^/\?]+)\] |
            (?P<ipv4host>[^/:\?]+)
        )?
        (?::(?P<port>[^/\?]*))?
    )?
    (?:/(?P<database>[^\?]*))?
    (?:\?(?P<query>.*))?
    """,
    re.X,
)


@dataclass(frozen=True, repr=False)
class DatabaseUrl:
    """A resolved database URL and the dialect and driver dbci drives it with."""

    dialect: str  # "postgresql" | "sqlite" | "mysql" | "mssql"
    backend: str  # the backend as rendered: as `dialect`, or "mariadb"
    driver: str
    username: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    query: tuple[tuple[str, str], ...] = ()

    def __repr__(self) -> str:
        # Never the password: settings and URLs end up in debug output and tracebacks.
        return f"DatabaseUrl({self.masked()!r})"

    @property
    def drivername(self) -> str:
        """`backend+driver`, as SQLAlchemy names it."""
        return f"{self.backend}+{self.driver}"

    def render(self, *, hide_password: bool = True) -> str:
        """The URL as text, rendered as SQLAlchemy renders it."""
        text = self.drivername + "://"
        if self.username is not None:
            text += quote(self.username, safe=" +")
            if self.password is not None:
                shown = "***" if hide_password else quote(self.password, safe=" +")
                text += ":" + shown
            text += "@"
        if self.host is not None:
            text += f"[{self.host}]" if ":" in self.host else self.host
        if self.port is not None:
            text += f":{self.port}"
        if self.database is not None:
            text += "/" + quote(self.database, safe=" +/")
        if self.query:
            pairs = sorted(self.query, key=lambda pair: pair[0])
            text += "?" + "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in pairs)
        return text

    def masked(self) -> str:
        """The URL for humans: the password replaced by ***."""
        return self.render(hide_password=True)

    def with_login(self, username: str | None = None, password: str | None = None) -> DatabaseUrl:
        """The same URL with the user and/or password replaced (None keeps the current one)."""
        return dataclasses.replace(
            self,
            username=self.username if username is None else username,
            password=self.password if password is None else password,
        )

    def query_dict(self) -> dict[str, str]:
        """The query parameters (the last value of a repeated key)."""
        return dict(self.query)

    def to_sqlalchemy(self) -> URL:
        """The same URL as a SQLAlchemy `URL` (imports SQLAlchemy)."""
        from sqlalchemy.engine import URL

        query: dict[str, str | list[str]] = {}
        for key, value in self.query:
            if key in query:
                previous = query[key]
                query[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
            else:
                query[key] = value
        return URL.create(
            self.drivername,
            username=self.username,
            password=self.password,
            host=self.host,
            port=self.port,
            database=self.database,
            query=query,
        )


@dataclass(frozen=True)
class _Parts:
    """A URL's pieces before dbci picks its driver."""

    backend: str
    driver: str = ""
    username: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    query: tuple[tuple[str, str], ...] = ()


def parse_database_url(raw: str, *, base_dir: Path, where: str) -> DatabaseUrl:
    """Turn a JDBC or SQLAlchemy URL into a `DatabaseUrl`.

    `where` names the source (an environment or option) for the one-line error.
    """
    text = raw.strip()
    if text.startswith("jdbc:"):
        parts = _from_jdbc(text, where)
    else:
        if "://" not in text and not text.startswith("sqlite:"):
            raise InputError(
                f"{where}: URL {_redact(text)!r} names no database driver; "
                "use e.g. jdbc:postgresql://host:5432/db or postgresql://host/db"
            )
        parts = _from_sqlalchemy(text, where)
    known = _BACKENDS.get(parts.backend.lower())
    if known is None:
        raise InputError(
            f"{where}: unsupported database {parts.backend!r} in URL; dbci supports "
            "postgresql, sqlite, mysql/mariadb and sqlserver"
        )
    dialect, backend = known
    driver, module = _DRIVERS[dialect]
    if parts.driver and parts.driver.lower() not in _KNOWN_DRIVERS[dialect]:
        raise InputError(
            f"{where}: unknown driver {parts.driver!r} for {backend} in URL; "
            f"dbci connects with {driver} (write {backend}://…)"
        )
    if importlib.util.find_spec(module) is None:
        raise InputError(
            f"{where}: {backend} URLs need the Python module {module!r}, which is not "
            f"installed (pip install {module})"
        )
    database = parts.database
    if dialect == "sqlite":
        database = _anchor_sqlite(database, base_dir)
    return DatabaseUrl(
        dialect=dialect,
        backend=backend,
        driver=driver,
        username=parts.username,
        password=parts.password,
        host=parts.host,
        port=parts.port,
        database=database,
        query=parts.query,
    )


def _from_sqlalchemy(text: str, where: str) -> _Parts:
    match = _URL_PATTERN.match(text)
    if match is None:
        raise InputError(f"{where}: cannot parse URL {_redact(text)!r}")
    found = match.groupdict()
    port = None
    if found["port"]:
        try:
            port = int(found["port"])
        except ValueError:
            raise InputError(f"{where}: bad port in URL {_redact(text)!r}") from None
    backend, _, driver = found["name"].partition("+")
    query = tuple(parse_qsl(found["query"])) if found["query"] is not None else ()
    return _Parts(
        backend=backend,
        driver=driver,
        username=_unquoted(found["username"]),
        password=_unquoted(found["password"]),
        host=found["ipv4host"] or found["ipv6host"],
        port=port,
        database=_unquoted(found["database"]),
        query=query,
    )


def _unquoted(value: str | None) -> str | None:
    return None if value is None else unquote(value)


def _redact(text: str) -> str:
    """Hide a password in a URL that could not be parsed, at its place in the URL (never
    wherever its text occurs: the password `postgres` leaves `postgresql://` alone)."""
    from dbci.settings.redact import hide_url_password

    return hide_url_password(text)


def _anchor_sqlite(database: str | None, base_dir: Path) -> str | None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return database
    path = Path(database).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    return str(path)


def _from_jdbc(text: str, where: str) -> _Parts:
    body = text[len("jdbc:") :]
    kind, _, rest = body.partition(":")
    kind = kind.lower()
    if kind == "sqlite":
        return _Parts("sqlite", database=None if rest in ("", ":memory:") else rest)
    if kind in ("postgresql", "mysql", "mariadb"):
        return _jdbc_hosted(kind, rest, where)
    if kind == "sqlserver":
        return _jdbc_sqlserver(rest, where)
    raise InputError(
        f"{where}: unsupported JDBC URL 'jdbc:{kind}:…'; dbci supports jdbc:postgresql, "
        "jdbc:sqlite, jdbc:mysql, jdbc:mariadb and jdbc:sqlserver"
    )


def _jdbc_hosted(kind: str, rest: str, where: str) -> _Parts:
    # jdbc:postgresql://host:port/db?k=v  or the short forms jdbc:postgresql:db
    if not rest.startswith("//"):
        rest = "///" + rest
    parts = urlsplit(rest)
    try:
        port = parts.port
    except ValueError:
        raise InputError(f"{where}: bad port in JDBC URL 'jdbc:{kind}:{_redact(rest)}'") from None
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    user = params.pop("user", None) or (unquote(parts.username) if parts.username else None)
    password = params.pop("password", None) or (unquote(parts.password) if parts.password else None)
    query: dict[str, str] = {}
    if kind == "postgresql":
        for key, value in params.items():
            mapped = _PG_JDBC_PARAMS.get(key.lower())
            if mapped:
                query[mapped] = value
            elif key.lower() == "currentschema":
                query["options"] = f"-csearch_path={value}"
    return _Parts(
        "postgresql" if kind == "postgresql" else "mysql",
        username=user,
        password=password,
        host=parts.hostname or "localhost",
        port=port,
        database=parts.path.lstrip("/") or None,
        query=tuple(query.items()),
    )


def _jdbc_sqlserver(rest: str, where: str) -> _Parts:
    # jdbc:sqlserver://host:1433;databaseName=db;user=u;password=p;encrypt=false
    head, *props = rest.lstrip("/").split(";")
    host, _, port = head.partition(":")
    values = {k.strip().lower(): v for k, _, v in (p.partition("=") for p in props if p)}
    # No driver named: the engine takes the first installed ODBC driver for SQL Server.
    query = {"driver": values["driver"]} if "driver" in values else {}
    if values.get("encrypt", "").lower() == "false":
        query["Encrypt"] = "no"
    if values.get("trustservercertificate", "").lower() == "true":
        query["TrustServerCertificate"] = "yes"
    try:
        port_number = int(port) if port else 1433
    except ValueError:
        raise InputError(f"{where}: bad port in JDBC URL 'jdbc:sqlserver:{head}'") from None
    return _Parts(
        "mssql",
        username=values.get("user"),
        password=values.get("password"),
        host=host or "localhost",
        port=port_number,
        database=values.get("databasename") or values.get("database"),
        query=tuple(query.items()),
    )
