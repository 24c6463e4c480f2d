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

from dbci.engines.registry import by_jdbc_kind, engines
from dbci.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

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

    dialect: str  # the engine's name (dbci.engines.registry)
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
class UrlParts:
    """A URL's pieces before dbci picks its driver."""

    backend: str
    driver: str = ""
    username: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    query: tuple[tuple[str, str], ...] = ()

    def with_backend(self, backend: str, query: dict[str, str]) -> UrlParts:
        """The same pieces for `backend`, with `query` as the query."""
        return dataclasses.replace(self, backend=backend, query=tuple(query.items()))


def parse_database_url(raw: str, *, base_dir: Path, where: str) -> DatabaseUrl:
    """Turn a JDBC or SQLAlchemy URL into a `DatabaseUrl`.

    `where` names the source (an environment or option) for the one-line error.
    """
    text = raw.strip()
    if text.startswith("jdbc:"):
        parts = _from_jdbc(text, where)
    else:
        # A file engine's URL may lack the `//` (`sqlite:…`): then it cannot be parsed.
        bare = any(text.startswith(f"{e.name}:") for e in engines() if not e.server)
        if "://" not in text and not bare:
            raise InputError(
                f"{where}: URL {_redact(text)!r} names no database driver; "
                "use e.g. jdbc:postgresql://host:5432/db or postgresql://host/db"
            )
        parts = _from_sqlalchemy(text, where)
    lowered = parts.backend.lower()
    engine = next((e for e in engines() if lowered in e.url_backends), None)
    if engine is None:
        raise InputError(
            f"{where}: unsupported database {parts.backend!r} in URL; dbci supports "
            "postgresql, sqlite, mysql/mariadb and sqlserver"
        )
    dialect, backend = engine.name, engine.url_backends[lowered]
    driver, module = engine.driver, engine.driver_module
    if parts.driver and parts.driver.lower() not in engine.known_drivers:
        raise InputError(
            f"{where}: unknown driver {parts.driver!r} for {backend} in URL; "
            f"dbci connects with {driver} (write {backend}://…)"
        )
    if importlib.util.find_spec(module) is None:
        raise InputError(
            f"{where}: {backend} URLs need the Python module {module!r}, which is not "
            f"installed (pip install {module})"
        )
    database = engine.anchor_database(parts.database, base_dir)
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


def _from_sqlalchemy(text: str, where: str) -> UrlParts:
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
    return UrlParts(
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


def _from_jdbc(text: str, where: str) -> UrlParts:
    body = text[len("jdbc:") :]
    kind, _, rest = body.partition(":")
    kind = kind.lower()
    engine = by_jdbc_kind(kind)
    if engine is None:
        raise InputError(
            f"{where}: unsupported JDBC URL 'jdbc:{kind}:…'; dbci supports jdbc:postgresql, "
            "jdbc:sqlite, jdbc:mysql, jdbc:mariadb and jdbc:sqlserver"
        )
    return engine.from_jdbc(kind, rest, where)


def jdbc_hosted(kind: str, rest: str, where: str) -> tuple[UrlParts, dict[str, str]]:
    """A `jdbc:<kind>://host:port/db?k=v` URL's pieces (or a short form, `jdbc:<kind>:db`),
    and its properties other than the login, for the engine to take what it knows."""
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
    found = UrlParts(
        kind,
        username=user,
        password=password,
        host=parts.hostname or "localhost",
        port=port,
        database=parts.path.lstrip("/") or None,
    )
    return found, params
