"""Flyway placeholders: `${name}` in scripts, replaced before they run.

Built-ins follow Flyway (`${flyway:defaultSchema}`, `${flyway:user}`,
`${flyway:database}`, `${flyway:timestamp}`, `${flyway:filename}`,
`${flyway:workingDirectory}`, `${flyway:table}`, `${flyway:environment}`). Names are
case-insensitive, as in Flyway. An undefined placeholder is an error naming file and line.

Secret placeholders: a placeholder is secret when its value came from the environment
(`DBCI_PLACEHOLDERS_<NAME>`, or a config value that uses `${env.NAME}`) or its name looks
like a secret's (`db_password`, `apiKey`, `SIGNING_TOKEN`: see `looks_secret`). Their
values are secrets of the run (`dbci.console.remember_settings` registers them, so that no
error line shows one), and the check stage's dry run, which goes into reports and pull
request comments, shows them as they are written in the script (`Placeholders.keeping`).
"""

from __future__ import annotations

import functools
import os
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbci.errors import InputError

if TYPE_CHECKING:
    from dbci.settings.config import Settings

ENV_PREFIX = "DBCI_PLACEHOLDERS_"
# Words that make a placeholder's name a secret's, as whole words of the name (split at
# `_`, `-`, `.`, `:`, blanks, digits and camelCase humps), in the singular or the plural:
# `api_key` and `apiKey` are secret, `monkey` and `keyboard_layout` are not.
SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "pw",
        "pass",
        "passphrase",
        "secret",
        "token",
        "key",
        "apikey",
        "credential",
        "private",
        "privatekey",
    }
)
# A word that ends with one of these is a compound of a secret's name (`dbpassword`,
# `clientsecret`, `accesstoken`), which no ordinary word is.
_SECRET_ENDINGS = ("password", "passwd", "secret", "token", "apikey", "credential")
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")


@dataclass(frozen=True)
class Placeholders:
    """The values in force for a run, and how they are written in scripts."""

    values: dict[str, str] = field(default_factory=dict)  # keys lower-cased
    prefix: str = "${"
    suffix: str = "}"
    enabled: bool = True
    # Names (lower-cased) left as written in a script: the secret ones of a dry run that
    # goes into a report.
    unreplaced: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls,
        user_values: dict[str, str],
        builtins: dict[str, str],
        *,
        prefix: str,
        suffix: str,
        enabled: bool,
    ) -> Placeholders:
        """Combine the project's placeholders with the `flyway:` built-ins."""
        values = {f"flyway:{k}".lower(): v for k, v in builtins.items()}
        values.update({k.lower(): v for k, v in user_values.items()})
        return cls(values, prefix, suffix, enabled)

    def keeping(self, names: Iterable[str]) -> Placeholders:
        """These placeholders with `names` left as written wherever a script uses them."""
        return replace(self, unreplaced=self.unreplaced | {n.lower() for n in names})

    def replace(self, text: str, *, filename: str, display_path: str) -> str:
        """Replace every placeholder in a script's text."""
        if not self.enabled or self.prefix not in text:
            return text
        pattern = re.compile(re.escape(self.prefix) + r"([^\r\n]+?)" + re.escape(self.suffix))

        def value(match: re.Match[str]) -> str:
            name = match.group(1).lower()
            if name == "flyway:filename":
                return filename
            if name in self.unreplaced and name in self.values:
                return match.group(0)
            if name in self.values:
                return self.values[name]
            raise InputError(
                f"no value for placeholder {match.group(0)}: define it in [flyway.placeholders] "
                "or DBCI_PLACEHOLDERS_" + match.group(1).upper(),
                file=display_path,
                line=text.count("\n", 0, match.start()) + 1,
            )

        return pattern.sub(value, text)


def looks_secret(name: str) -> bool:
    """Whether a placeholder's name is a secret's: one of its words is in `SECRET_WORDS`
    (or its plural), or ends like a compound of one (`dbpassword`)."""
    if name.lower().startswith("flyway:"):
        return False  # Flyway's built-ins: the schema, the user, the time…
    for word in _WORDS.findall(name):
        word = word.lower()
        if word in SECRET_WORDS or (word.endswith("s") and word[:-1] in SECRET_WORDS):
            return True
        if word.rstrip("s").endswith(_SECRET_ENDINGS):
            return True
    return False


def secret_names(settings: Settings, environ: Mapping[str, str] | None = None) -> set[str]:
    """The names (lower-cased) of the settings' placeholders that are secret: given by a
    `DBCI_PLACEHOLDERS_*` variable, written with `${env.NAME}` in a placeholders table of the
    config file (any environment's: the same name is treated alike everywhere), or named
    like a secret."""
    environ = os.environ if environ is None else environ
    from_environment = {k[len(ENV_PREFIX) :].lower() for k in environ if k.startswith(ENV_PREFIX)}
    from_references = {
        name.lower()
        for table in _config_tables(settings.config_file)
        for name, raw in table
        if "${env." in raw
    }
    return {
        name.lower()
        for name in settings.placeholders
        if looks_secret(name) or name.lower() in from_environment or name.lower() in from_references
    }


def secret_values(settings: Settings, environ: Mapping[str, str] | None = None) -> list[str]:
    """Every value a secret placeholder may take in this run: the settings' own, and
    `config_secret_values` (another environment's too: a build environment runs the same
    scripts with its own)."""
    environ = os.environ if environ is None else environ
    names = secret_names(settings, environ)
    found = [value for name, value in settings.placeholders.items() if name.lower() in names]
    found += config_secret_values(settings.config_file, environ)
    return list(dict.fromkeys(v for v in found if v))


def config_secret_values(path: Path | None, environ: Mapping[str, str]) -> list[str]:
    """The values of every `DBCI_PLACEHOLDERS_*` variable, and of the secret placeholders
    (`${env.NAME}` in the value, or a secret's name) of every placeholders table of the
    config file at `path`, their references resolved. Needs no settings: an error in the
    config is printed without them as well."""
    from dbci.settings.tomlfile import expand_env

    found = [value for name, value in environ.items() if name.startswith(ENV_PREFIX)]
    for table in _config_tables(path):
        for name, raw in table:
            if "${env." in raw or looks_secret(name):
                resolved = expand_env(raw, environ)  # None: a variable that is not set
                if resolved is not None:
                    found.append(resolved)
    return list(dict.fromkeys(v for v in found if v))


def _config_tables(path: Path | None) -> list[list[tuple[str, str]]]:
    """Every placeholders table of the config file (`[flyway.placeholders]`, each
    `[environments.NAME.flyway.placeholders]`) as (name, value as written) pairs; none when
    the file holds no placeholders or cannot be read (the settings said why already)."""
    if path is None:
        return []
    try:
        found = path.stat()
    except OSError:
        return []
    if not stat.S_ISREG(found.st_mode):  # not a FIFO, a device or a folder: never block
        return []
    return _read_tables(str(path), found.st_mtime_ns, found.st_size)


@functools.lru_cache(maxsize=4)
def _read_tables(path: str, _mtime: int, _size: int) -> list[list[tuple[str, str]]]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, ValueError):
        return []
    if "placeholders" not in text:
        return []  # the common case: no TOML parse for nothing
    import tomllib

    try:
        doc = tomllib.loads(text)
    except ValueError:
        return []
    flyways: list[Any] = [doc.get("flyway")]
    environments = doc.get("environments")
    if isinstance(environments, dict):
        flyways += [env.get("flyway") for env in environments.values() if isinstance(env, dict)]
    tables = []
    for flyway in flyways:
        table = flyway.get("placeholders") if isinstance(flyway, dict) else None
        if isinstance(table, dict):
            tables.append([(str(k), str(v)) for k, v in table.items()])
    return tables
