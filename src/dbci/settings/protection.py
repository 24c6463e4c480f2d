"""Protected environments: the databases `clean` never touches, whatever the flags.

`[dbci] protected` (default `prod` and `production`) lists them. It is read from the
config file's top-level `[dbci]` table only: an environment's own `[environments.NAME.dbci]`
may change its other dbci settings but cannot take itself off the list. Names compare
without regard to case (`-e PROD` is `prod`), and a protected environment's database is
protected under any name: a `--url`, `DBCI_URL` or another environment that reaches the
same server and database is refused too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbci.engines.registry import engine
from dbci.errors import InputError
from dbci.settings.config import Settings
from dbci.settings.tomlfile import expand_env, read_toml
from dbci.settings.urls import DatabaseUrl, parse_database_url

DEFAULT_PROTECTED = ("prod", "production")


@dataclass(frozen=True)
class Protection:
    """The protected environment names (lower-cased) and the databases they reach."""

    names: frozenset[str]
    databases: dict[tuple[Any, ...], str]  # database identity -> the environment's name
    source: str  # where the list comes from, for the message
    # Every environment's own database, as its url in the file says (None: unresolvable).
    own: dict[str, tuple[Any, ...] | None]

    def provisioner_allows(self, settings: Settings) -> bool:
        """`provisioner = "clean"` lets clean run on the environment's own database only:
        not on one that `--url` or `DBCI_URL` put in its place."""
        if settings.provisioner != "clean" or settings.database is None:
            return False
        if settings.environment is None:
            return True  # a build database dbci made, or a URL given for one
        own = self.own.get(settings.environment)
        return own is not None and own == database_identity(settings.database)

    def refusal(self, settings: Settings) -> str | None:
        """Why clean may not run on `settings`' database, or None when it may."""
        env = settings.environment
        if env is not None and env.lower() in self.names:
            return f"environment {env!r} is protected ({self.source})"
        if settings.database is not None:
            identity = database_identity(settings.database)
            if identity == UNKNOWN and self.databases:
                return (
                    f"{settings.database.masked()} does not say which database it reaches "
                    "(service= or hostaddr=), so it cannot be told from protected "
                    f"environment {sorted(self.databases.values())[0]!r} ({self.source})"
                )
            owner = self.databases.get(identity)
            if owner is not None and owner != env:
                return (
                    f"{settings.database.masked()} is the database of protected environment "
                    f"{owner!r} ({self.source})"
                )
        return None


def protection(settings: Settings) -> Protection:
    """The protection that applies to this project (read from its config file)."""
    doc: dict[str, Any] = read_toml(settings.config_file) if settings.config_file else {}
    where = settings.config_file.name if settings.config_file else "the config"
    section = doc.get("dbci", {})
    raw = section.get("protected", list(DEFAULT_PROTECTED)) if isinstance(section, dict) else None
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise InputError(f"{where}: [dbci] protected must be a list of environment names")
    names = frozenset(v.lower() for v in raw)
    environments = doc.get("environments", {})
    databases: dict[tuple[Any, ...], str] = {}
    own: dict[str, tuple[Any, ...] | None] = {}
    if isinstance(environments, dict):
        for name, table in environments.items():
            url = (
                _configured_url(table.get("url"), settings.project_dir)
                if isinstance(table, dict)
                else None
            )
            identity = database_identity(url) if url is not None else None
            own[name] = identity
            if name.lower() in names and identity is not None:
                databases[identity] = name
    return Protection(names, databases, f"[dbci] protected = {sorted(raw)} in {where}", own)


def database_identity(url: DatabaseUrl) -> tuple[Any, ...]:
    """What makes two URLs the same database: engine, host, port and database name
    (local host names are one host; a default port is the port), as the driver will take
    them: libpq lets the query's `dbname`, `host` and `port` override the URL's (so
    `…/harmless?dbname=prod` is prod), and a MySQL `unix_socket` is the local server. A URL
    whose database only the client's own files know (`service=`, `hostaddr=`) has no
    identity here: `UNKNOWN`. Each engine says (`Engine.identity`)."""
    identity = engine(url.dialect).identity(url)
    return UNKNOWN if identity is None else identity


# The identity of a database that cannot be told from its URL alone.
UNKNOWN: tuple[Any, ...] = ("unknown",)


def _configured_url(raw: Any, project_dir: Path) -> DatabaseUrl | None:
    """A protected environment's url as this run would resolve it; None when it cannot be
    resolved here (an unset `${env.NAME}`, a malformed URL): then only its name protects it.
    """
    text = expand_env(raw, os.environ) if isinstance(raw, str) else None
    if text is None:
        return None
    try:
        return parse_database_url(text, base_dir=project_dir, where="a protected environment")
    except InputError:
        return None
