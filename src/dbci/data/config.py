"""`[dbci.data]`: what `dbci data refresh` copies and how it masks it."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dbci.errors import InputError
from dbci.settings.config import Settings
from dbci.settings.tomlfile import ENV_REFERENCE, expand_env, split_list

# The masks a column can be given (`[dbci.data.mask]`), besides a Faker provider's name.
MASK_KINDS = ("keep", "null", "constant", "hash", "faker", "shuffle", "shift")


@dataclass(frozen=True)
class MaskRule:
    """How one column is masked.

    * `keep`: copied as it is (a column that looks personal but is not);
    * `null`: NULL in every row (the column must allow it);
    * `constant`: `value` in every row;
    * `hash`: a keyed hash of the value, of the column's type (text, integer, uuid);
    * `faker`: Faker's provider `value` (`email`, `name`, `phone_number`, `iban`, …) in
      `locale`, seeded by a keyed hash of the value;
    * `shuffle`: the column's values, moved between rows (the values themselves stay);
    * `shift`: a date or timestamp moved by up to `value` days either way.
    """

    kind: str  # one of MASK_KINDS
    value: Any = None
    locale: str | None = None


# `[dbci.data]`'s own settings; any other string value there names a start table.
_OPTIONS = frozenset(
    {"salt", "unreached", "children", "children_limit", "targets", "locale", "sample", "batch"}
)
UNREACHED = ("all", "empty", "skip")
SALT_VARIABLE = "DBCI_DATA_SALT"  # the salt when `[dbci.data] salt` is not set
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
_SHIFT = re.compile(r"^shift\s*:\s*(\d+)\s*(?:d|days?)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class StartRule:
    """A start table: the rows its filter (a SQL condition on the table's own columns)
    selects, or a percentage of them chosen by a hash of each row, the same on every run."""

    table: str  # as written: `orders` or `sales.orders`
    condition: str | None = None
    percent: float | None = None

    def describe(self) -> str:
        return f"{self.percent:g}%" if self.percent is not None else f"WHERE {self.condition}"


@dataclass(frozen=True)
class DataSettings:
    """Everything `[dbci.data]` says (see the README's "Test data")."""

    start: tuple[StartRule, ...] = ()
    masks: dict[str, MaskRule] = field(default_factory=dict)  # "table.column" as written
    salt: bytes | None = field(default=None, repr=False)
    unreached: str = "all"  # tables the subset does not reach: all | empty | skip
    children: bool = False  # follow foreign keys down from the start tables' rows too
    children_limit: int = 1000  # rows per child table when following them down (0: all)
    targets: frozenset[str] = frozenset()  # environments a refresh may empty (lower-cased)
    locale: str = "en_US"  # Faker's locale unless a mask names its own
    sample: int = 200  # values read per text column to see whether they look personal
    batch: int = 5000  # rows masked at a time, keys fetched at a time


def data_settings(settings: Settings, environ: Mapping[str, str] | None = None) -> DataSettings:
    """The `[dbci.data]` settings of the project (the target environment's own
    `[environments.NAME.dbci.data]` goes over them), checked: one clear line for anything
    wrong. The salt comes from `salt` (`${env.NAME}` allowed) or `DBCI_DATA_SALT`."""
    environ = os.environ if environ is None else environ
    section = settings.dbci.get("data", {})
    if not isinstance(section, dict):
        raise InputError("[dbci.data] must be a table")
    start = [
        _start(str(table), value, f"[dbci.data.start] {table}")
        for table, value in _table(section, "start").items()
    ]
    for key, value in section.items():
        if isinstance(value, dict) and key not in ("start", "mask"):
            raise InputError(f"[dbci.data.{key}] is not a table dbci reads (start, mask)")
        if key in _OPTIONS or isinstance(value, dict):
            continue
        start.append(_start(key, value, f"[dbci.data] {key}"))
    masks = {
        str(column).lower(): _mask(value, f"[dbci.data.mask] {column}")
        for column, value in _table(section, "mask").items()
    }
    unreached = section.get("unreached", "all")
    if unreached not in UNREACHED:
        raise InputError(f"[dbci.data] unreached must be one of {', '.join(UNREACHED)}")
    return DataSettings(
        start=tuple(start),
        masks=masks,
        salt=_salt(section.get("salt"), environ),
        unreached=str(unreached),
        children=_flag(section, "children", False),
        children_limit=_count(section, "children_limit", 1000),
        targets=frozenset(t.lower() for t in _names(section.get("targets", []), "targets")),
        locale=str(section.get("locale", "en_US")),
        sample=_count(section, "sample", 200),
        batch=max(1, _count(section, "batch", 5000)),
    )


def _table(section: dict[str, Any], key: str) -> dict[str, Any]:
    value = section.get(key, {})
    if not isinstance(value, dict):
        raise InputError(f"[dbci.data] {key} must be a table ([dbci.data.{key}])")
    return value


def _start(table: str, value: Any, where: str) -> StartRule:
    if not isinstance(value, str) or not value.strip():
        raise InputError(
            f"{where} must be a SQL condition (\"placed_at > now() - interval '30 days'\") "
            'or a percentage ("5%")'
        )
    percent = _PERCENT.match(value)
    if percent is None:
        return StartRule(table, condition=value.strip())
    share = float(percent.group(1))
    if not 0 < share <= 100:
        raise InputError(f"{where}: a percentage must be more than 0 and at most 100")
    return StartRule(table, percent=share)


def _mask(value: Any, where: str) -> MaskRule:
    """A mask as written: a word (`keep`, `null`, `hash`, `shuffle`, `shift:30d`, else a
    Faker provider's name) or a table (`{faker = "city", locale = "de_DE"}`,
    `{constant = "n/a"}`, `{shift = 30}`)."""
    if isinstance(value, str):
        word = value.strip()
        if word.lower() in ("keep", "null", "hash", "shuffle"):
            return MaskRule(word.lower())
        shift = _SHIFT.match(word)
        if shift:
            return MaskRule("shift", int(shift.group(1)))
        if word.lower() == "constant":
            raise InputError(f'{where}: write a constant as {{constant = "value"}}')
        if not word.isidentifier():
            raise InputError(f"{where}: {word!r} is neither a mask nor a Faker provider's name")
        return MaskRule("faker", word)
    if not isinstance(value, dict):
        raise InputError(f"{where} must be a mask's name or a table")
    known = {"faker", "constant", "shift", "locale"}
    unknown = sorted(set(value) - known)
    if unknown:
        raise InputError(f"{where}: unknown key {unknown[0]!r} (one of {', '.join(sorted(known))})")
    locale = value.get("locale")
    if locale is not None and not isinstance(locale, str):
        raise InputError(f"{where}: locale must be a string (de_DE)")
    if "faker" in value:
        provider = value["faker"]
        if not isinstance(provider, str) or not provider.isidentifier():
            raise InputError(f"{where}: faker must be a Faker provider's name (email, name, …)")
        return MaskRule("faker", provider, locale)
    if "constant" in value:
        return MaskRule("constant", value["constant"])
    if "shift" in value:
        days = value["shift"]
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise InputError(f"{where}: shift must be a whole number of days, 1 or more")
        return MaskRule("shift", days)
    raise InputError(f"{where}: say faker, constant or shift")


def _salt(value: Any, environ: Mapping[str, str]) -> bytes | None:
    if value is None:
        found = environ.get(SALT_VARIABLE)
        return found.encode("utf-8") if found else None
    if not isinstance(value, str):
        raise InputError('[dbci.data] salt must be a string ("${env.DBCI_DATA_SALT}")')
    resolved = expand_env(value, environ)
    if resolved is None:
        names = ", ".join(ENV_REFERENCE.findall(value))
        raise InputError(f"[dbci.data] salt: environment variable {names} is not set")
    return resolved.encode("utf-8") if resolved else None


def _flag(section: dict[str, Any], key: str, default: bool) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise InputError(f"[dbci.data] {key} must be true or false")
    return value


def _count(section: dict[str, Any], key: str, default: int) -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"[dbci.data] {key} must be a whole number, 0 or more")
    return int(value)


def _names(value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        return split_list(value)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"[dbci.data] {key} must be a list of environment names")
    return list(value)
