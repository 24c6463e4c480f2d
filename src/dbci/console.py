"""What dbci prints: every line scrubbed of the secrets it was given and made inert in a
terminal or a CI log (`dbci.logtext`). `dbci.cli` and the stages print through here only.

The secrets are the passwords the run was given (options, variables, the config file,
inside URLs) and the values of secret placeholders (`dbci.settings.placeholders.secret_values`);
`remember` collects them as the run reads its settings, and `scrub` hides them in error and
console text, where they stand as whole tokens (`dbci.settings.redact.scrub_tokens`: the password
`postgres` leaves `postgresql://` alone). It is the last resort: URLs are printed without
their passwords in the first place (`DatabaseUrl.masked`). SQL and file contents are never
scrubbed: a script must build the same schema however a password is spelled.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dbci.settings.config import Settings

_SECRETS: set[str] = set()


def remember(*secrets: str | None) -> None:
    """Secrets to keep out of everything dbci prints from now on."""
    _SECRETS.update(s for s in secrets if s)


def remember_all(secrets: Iterable[str]) -> None:
    """`remember` for an iterable."""
    _SECRETS.update(s for s in secrets if s)


def remember_settings(settings: Settings) -> None:
    """The secrets a run's settings hold: the password (given, or inside the URL) and the
    values of secret placeholders (from the environment, or with a secret's name), those
    of every environment of the config file included (a build environment's, say)."""
    from dbci.settings.placeholders import secret_values

    remember(settings.password)
    if settings.database is not None:
        remember(settings.database.password)
    _SECRETS.update(secret_values(settings, os.environ))


def scrub(text: str) -> str:
    """`text` with every secret (as given and as a URL writes it) replaced by `***` where
    it stands as a whole token (not glued to a letter, a digit or `_`)."""
    if not _SECRETS:
        return text
    from dbci.settings.redact import scrub_tokens

    return scrub_tokens(text, _SECRETS)


def remember_config_secrets(config: str | os.PathLike[str] | None, project: str | None) -> None:
    """Before an error is printed: the passwords and secret placeholders' values of the
    config file the run read, since a config error may quote a value (a password of the
    wrong type, say) before dbci could know it was one."""
    from dbci.settings.placeholders import config_secret_values
    from dbci.settings.redact import config_passwords
    from dbci.settings.tomlfile import find_config

    config = config or os.environ.get("DBCI_CONFIG")
    directory = Path(project or os.environ.get("DBCI_PROJECT") or ".")
    try:
        path = Path(config) if config else find_config(directory)
        _SECRETS.update(config_passwords(path, os.environ))
        _SECRETS.update(config_secret_values(path, os.environ))
    except Exception:  # noqa: BLE001 - best effort: the error itself must still print
        pass


def shown(text: str) -> str:
    """`text` as dbci prints it: no secret, and inert in a terminal or a CI log (names and
    messages are data: see dbci.logtext)."""
    from dbci.logtext import printable

    return printable(scrub(text))


def say(text: str) -> None:
    """A line on standard output."""
    print(shown(text), flush=True)


def say_error(text: str) -> None:
    """A line on standard error (progress while standard output carries data, warnings)."""
    print(shown(text), file=sys.stderr, flush=True)


def error(text: str) -> None:
    """dbci's one error line: `dbci: error: …` on standard error."""
    one_line = " ".join(text.split())
    print(f"dbci: error: {shown(one_line)}", file=sys.stderr, flush=True)
