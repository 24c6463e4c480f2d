"""What dbci must never print: the passwords it was given, in every form they take.

A password reaches dbci as an option, a variable, a config value, or inside a URL, where it
is percent-encoded. This module finds them (`url_passwords`, `config_passwords`), hides a
URL's password at its place in the URL (`hide_url_password`), and, as the last resort for
error and console text, hides a secret wherever it stands as a whole token
(`scrub_tokens`, used by `dbci.console.scrub`); the action's entrypoint masks them on
GitHub.

Whole tokens, because a secret is often an ordinary word: with the password `postgres` a
substring match turned `postgresql+psycopg://` into `***ql+psycopg://`, and with `app` a
table `app_settings` into `***_settings`. A secret is hidden where it is not glued to a
letter, a digit or `_` on either side (its own first and last characters decide: a secret
that starts with `@` may follow a letter). Passwords are kept out of messages at the
source (a URL is rendered without its password: `DatabaseUrl.masked`); this is for what a
database or a library says back.
"""

from __future__ import annotations

import functools
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
# The same places, found anywhere in a text (a URL inside a message, an option's value
# `--url=…`, a diff source `url:…`, a JDBC URL's `//user:pw@host` part) and the login of a
# URL written without its scheme (`user:pw@host/db`, at the start of the text): each
# pattern's group 2 is the password, groups 1 and 3 what stays around it.
_HIDDEN_PASSWORDS = (
    re.compile(r"((?:(?:jdbc:)?[\w+.-]+:)?//[^:/@\s]*:)([^@]*)(@)"),
    re.compile(r"([?&;]password=)([^&;]*)()", re.IGNORECASE),
    re.compile(r"^(\s*[^:/@?#;\s]+:)([^@/]*)(@)"),
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


def hide_url_password(text: str) -> str:
    """`text` with the password of each URL in it written `***`, at its place in the URL
    (never wherever the password's text occurs: a password `postgres` leaves the
    `postgresql://` of the same URL alone)."""
    for pattern in _HIDDEN_PASSWORDS:
        text = pattern.sub(_hidden, text)
    return text


def _hidden(match: re.Match[str]) -> str:
    if not match.group(2):
        return match.group(0)  # `user:@host`: no password to hide
    return f"{match.group(1)}***{match.group(3)}"


def scrub_tokens(text: str, secrets: Iterable[str]) -> str:
    """`text` with each secret, as given and as a URL writes it (`forms`), replaced by
    `***` wherever it stands as a whole token (see the module's doc)."""
    pattern = _token_pattern(frozenset(s for s in secrets if s))
    return text if pattern is None else pattern.sub("***", text)


@functools.lru_cache(maxsize=8)
def _token_pattern(secrets: frozenset[str]) -> re.Pattern[str] | None:
    """One pattern for every form of `secrets`, longest first (so that a secret inside
    another is not half-replaced), each bounded where its own end is a word character."""
    shown = sorted({form for secret in secrets for form in forms(secret)}, key=len, reverse=True)
    if not shown:
        return None
    return re.compile("|".join(_bounded(form) for form in shown))


def _bounded(form: str) -> str:
    before = r"(?<!\w)" if re.match(r"\w", form[0]) else ""
    after = r"(?!\w)" if re.match(r"\w", form[-1]) else ""
    return before + re.escape(form) + after


def config_passwords(path: Path | None, environ: Mapping[str, str]) -> list[str]:
    """Every password a config file holds: its `password` values (whatever their type), the
    passwords in its URLs, and the values their `${env.NAME}` references name. Empty when the
    file cannot be read or parsed (its error then quotes none of its values)."""
    if path is None or not path.is_file():  # not a FIFO, a device or a folder: never block
        return []
    import tomllib

    from dbci.settings.tomlfile import expand_env

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
