"""The engines dbci drives, by name: the one place that maps a name to its engine.

Every package under `dbci/engines/` is an engine that registers itself when imported
(`register`, in its `__init__.py`); the registry imports them all on first use (they are
light: no driver, no SQLAlchemy). Adding an engine is adding its package.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from dbci.engines.spec import Engine

_ENGINES: dict[str, Engine] = {}
_loaded = False


class UnknownEngine(LookupError):
    """No engine of that name; the caller says what it could not do with it."""


def register(engine: Engine) -> Engine:
    """Make `engine` known by its name (an engine package's `__init__.py` calls this).

    Two engines may not share a name, a URL backend or a JDBC kind: the lookups below take
    the first match, so a clash would pick one silently."""
    for known in _ENGINES.values():
        if known is engine:
            continue
        clash = ({known.name} | set(known.url_backends) | set(known.jdbc_kinds)) & (
            {engine.name} | set(engine.url_backends) | set(engine.jdbc_kinds)
        )
        if clash:
            raise ValueError(f"engines {known.name} and {engine.name} both claim {sorted(clash)}")
    _ENGINES[engine.name] = engine
    return engine


def _load() -> None:
    global _loaded
    if _loaded:
        return
    import pkgutil

    here = str(Path(__file__).parent)
    for found in pkgutil.iter_modules([here]):
        if found.ispkg:
            importlib.import_module(f"dbci.engines.{found.name}")
    _loaded = True


def engines() -> list[Engine]:
    """Every engine, in the order of their names."""
    _load()
    return [_ENGINES[name] for name in sorted(_ENGINES)]


def find(name: str) -> Engine | None:
    """The engine named `name` (a DatabaseUrl.dialect value), or None."""
    if name not in _ENGINES:
        _load()
    return _ENGINES.get(name)


def engine(name: str) -> Engine:
    """The engine named `name`, or `UnknownEngine`."""
    found = find(name)
    if found is None:
        raise UnknownEngine(name)
    return found


def by_alias(name: str) -> Engine | None:
    """The engine a user's name means: its own name, or a URL backend's (`postgres`,
    `mariadb`, `sqlserver`), in any case; None when no engine answers to it."""
    lowered = name.lower()
    for candidate in engines():
        if lowered == candidate.name or lowered in candidate.url_backends:
            return candidate
    return None


def by_jdbc_kind(kind: str) -> Engine | None:
    """The engine of a `jdbc:<kind>:` URL (kind lower-cased), or None."""
    return next((e for e in engines() if kind in e.jdbc_kinds), None)


def model_engine() -> Engine:
    """The engine whose SQL the schema model writes (`Engine.model_ddl`)."""
    return next(e for e in engines() if e.model_ddl)


def default_engine() -> Engine:
    """The engine of a project that names none (`Engine.default`)."""
    return next(e for e in engines() if e.default)
