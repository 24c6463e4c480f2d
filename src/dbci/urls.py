"""Database URLs: Flyway's JDBC URLs and SQLAlchemy URLs, mapped to one SQLAlchemy URL.

A Flyway project names its databases with JDBC URLs (`jdbc:postgresql://h:5432/db`);
a Python user writes SQLAlchemy URLs (`postgresql://h/db`). Both become a SQLAlchemy
`URL` with the driver dbci ships (psycopg 3, PyMySQL, pyodbc, the stdlib's sqlite3).
Relative SQLite paths are taken relative to the project directory, so `--project`
works from anywhere.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from dbci.errors import InputError

# SQLAlchemy backend name -> (dialect dbci knows it by, default driver, module it needs)
_BACKENDS: dict[str, tuple[str, str, str]] = {
    "postgresql": ("postgresql", "psycopg", "psycopg"),
    "postgres": ("postgresql", "psycopg", "psycopg"),
    "sqlite": ("sqlite", "pysqlite", "sqlite3"),
    "mysql": ("mysql", "pymysql", "pymysql"),
    "mariadb": ("mysql", "pymysql", "pymysql"),
    "mssql": ("mssql", "pyodbc", "pyodbc"),
    "sqlserver": ("mssql", "pyodbc", "pyodbc"),
}
_DRIVER_MODULES = {
    "psycopg": "psycopg",
    "psycopg2": "psycopg2",
    "pg8000": "pg8000",
    "asyncpg": "asyncpg",
    "pysqlite": "sqlite3",
    "pymysql": "pymysql",
    "mysqldb": "MySQLdb",
    "pyodbc": "pyodbc",
    "pymssql": "pymssql",
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


@dataclass(frozen=True)
class DatabaseUrl:
    """A resolved database URL: the SQLAlchemy URL plus the dialect dbci drives it with."""

    url: URL
    dialect: str  # "postgresql" | "sqlite" | "mysql" | "mssql"

    def masked(self) -> str:
        """The URL for humans: the password replaced by ***."""
        return self.url.render_as_string(hide_password=True)


def parse_database_url(raw: str, *, base_dir: Path, where: str) -> DatabaseUrl:
    """Turn a JDBC or SQLAlchemy URL into a `DatabaseUrl`.

    `where` names the source (an environment or option) for the one-line error.
    """
    text = raw.strip()
    if text.startswith("jdbc:"):
        url = _from_jdbc(text, where)
    else:
        if "://" not in text and not text.startswith("sqlite:"):
            raise InputError(
                f"{where}: URL {_redact(text)!r} names no database driver; "
                "use e.g. jdbc:postgresql://host:5432/db or postgresql://host/db"
            )
        try:
            url = make_url(text)
        except ArgumentError as exc:
            raise InputError(f"{where}: cannot parse URL {_redact(text)!r}: {exc}") from None
    backend, _, driver = url.drivername.partition("+")
    known = _BACKENDS.get(backend)
    if known is None:
        raise InputError(
            f"{where}: unsupported database {backend!r} in URL; dbci supports "
            "postgresql, sqlite, mysql/mariadb and sqlserver"
        )
    dialect, default_driver, _ = known
    driver = driver or default_driver
    module = _DRIVER_MODULES.get(driver, driver)
    if importlib.util.find_spec(module) is None:
        raise InputError(
            f"{where}: the URL asks for driver {driver!r} but Python module {module!r} "
            "is not installed"
        )
    url = url.set(drivername=f"{'postgresql' if dialect == 'postgresql' else backend}+{driver}")
    if dialect == "sqlite":
        url = _anchor_sqlite(url, base_dir)
    return DatabaseUrl(url, dialect)


def _redact(text: str) -> str:
    """Hide a password in a URL that could not be parsed."""
    try:
        parts = urlsplit(text)
        if parts.password:
            return text.replace(parts.password, "***")
    except ValueError:
        pass
    return text


def _anchor_sqlite(url: URL, base_dir: Path) -> URL:
    db = url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return url
    path = Path(db).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    return url.set(database=str(path))


def _from_jdbc(text: str, where: str) -> URL:
    body = text[len("jdbc:") :]
    kind, _, rest = body.partition(":")
    kind = kind.lower()
    if kind == "sqlite":
        if rest in ("", ":memory:"):
            return URL.create("sqlite")
        return URL.create("sqlite", database=rest)
    if kind in ("postgresql", "mysql", "mariadb"):
        return _jdbc_hosted(kind, rest, where)
    if kind == "sqlserver":
        return _jdbc_sqlserver(rest, where)
    raise InputError(
        f"{where}: unsupported JDBC URL 'jdbc:{kind}:…'; dbci supports jdbc:postgresql, "
        "jdbc:sqlite, jdbc:mysql, jdbc:mariadb and jdbc:sqlserver"
    )


def _jdbc_hosted(kind: str, rest: str, where: str) -> URL:
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
    return URL.create(
        "postgresql" if kind == "postgresql" else "mysql",
        username=user,
        password=password,
        host=parts.hostname or "localhost",
        port=port,
        database=parts.path.lstrip("/") or None,
        query=query,
    )


def _jdbc_sqlserver(rest: str, where: str) -> URL:
    # jdbc:sqlserver://host:1433;databaseName=db;user=u;password=p;encrypt=false
    head, *props = rest.lstrip("/").split(";")
    host, _, port = head.partition(":")
    values = {k.strip().lower(): v for k, _, v in (p.partition("=") for p in props if p)}
    query = {"driver": values.get("driver", "FreeTDS")}
    if values.get("encrypt", "").lower() == "false":
        query["Encrypt"] = "no"
    try:
        port_number = int(port) if port else 1433
    except ValueError:
        raise InputError(f"{where}: bad port in JDBC URL 'jdbc:sqlserver:{head}'") from None
    return URL.create(
        "mssql",
        username=values.get("user"),
        password=values.get("password"),
        host=host or "localhost",
        port=port_number,
        database=values.get("databasename") or values.get("database"),
        query=query,
    )
