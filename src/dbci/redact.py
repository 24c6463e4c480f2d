"""What dbci must never print: the passwords it was given, in every form they take.

A password reaches dbci as an option, a variable, a config value, or inside a URL, where it
is percent-encoded. `dbci.cli` scrubs every line it prints of each of them (and of their
encoded forms); the action's entrypoint masks them on GitHub. This module finds them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus

# The password of a URL: `scheme://user:PASSWORD@host` (SQLAlchemy, libpq and JDBC URLs,
# cut at the first `@` as they are parsed), or a `password=` parameter (JDBC's
# `?password=`, SQL Server's `;password=`).
_URL_PASSWORDS = (
    re.compile(r"^\s*(?:jdbc:)?[\w+.-]+://[^:/@]*:([^@]*)@"),
    re.compile(r"[?&;]password=([^&;]*)", re.IGNORECASE),
)
# Config keys whose values hold a password, or a URL that may hold one.
_PASSWORD_KEYS = frozenset({"password"})
_URL_KEYS = frozenset({"url", "jdbcurl", "build_url", "buildurl"})


def url_passwords(url: str) -> list[str]:
    """The passwords inside `url`, each as written and percent-decoded."""
    found: list[str] = []
    for pattern in _URL_PASSWORDS:
        for written in pattern.findall(url):
            found += [written, unquote(written), unquote_plus(written)]
    return _distinct(found)


def forms(secret: str) -> list[str]:
    """`secret` and the forms a URL or a query string gives it, longest first."""
    shown = [secret, quote(secret, safe=""), quote(secret, safe=" +"), quote_plus(secret)]
    return sorted(_distinct(shown), key=len, reverse=True)


def config_passwords(path: Path | None, environ: Mapping[str, str]) -> list[str]:
    """Every password a config file holds: its `password` values (whatever their type), the
    passwords in its URLs, and the values their `${env.NAME}` references name. Empty when the
    file cannot be read or parsed (its error then quotes none of its values)."""
    if path is None or not path.is_file():  # not a FIFO, a device or a folder: never block
        return []
    import tomllib

    from dbci.config import expand_env

    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # TOMLDecodeError and UnicodeDecodeError are ValueErrors
        return []
    found: list[str] = []

    def walk(value: Any, key: str) -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                # Everything under a password key is one (`password = {value = "…"}`).
                walk(item, key if key in _PASSWORD_KEYS else str(name).lower())
        elif isinstance(value, list):
            for item in value:
                walk(item, key)
        elif key in _PASSWORD_KEYS or key in _URL_KEYS:
            resolved = expand_env(str(value), environ)
            if resolved is None:
                return  # a variable that is not set: the error names it, and holds no secret
            found.extend([resolved] if key in _PASSWORD_KEYS else url_passwords(resolved))

    walk(doc, "")
    return _distinct(found)


def _distinct(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))
