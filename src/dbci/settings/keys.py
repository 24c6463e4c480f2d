"""The `[flyway]` keys dbci reads (their types and defaults), `DBCI_*` text turned into
their types, and the checks of the values someone set, in `[flyway]` and in `[dbci]`."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbci.errors import InputError
from dbci.migrate.version import Version
from dbci.settings.tomlfile import _KIND_NAMES, _Source, split_list

DEFAULT_LOCATIONS = ("filesystem:migrations",)
DEFAULT_CONNECT_TIMEOUT = 5  # seconds; an unreachable host must fail fast, not hang


@dataclass(frozen=True)
class _Key:
    """A `[flyway]` setting: its Python attribute, its type, its default."""

    attr: str
    kind: type
    default: Any


# Flyway's camelCase keys that dbci reads, in `[flyway]` or `[environments.X.flyway]`.
_FLYWAY_KEYS: dict[str, _Key] = {
    "locations": _Key("locations", list, list(DEFAULT_LOCATIONS)),
    "defaultSchema": _Key("default_schema", str, None),
    "schemas": _Key("schemas", list, []),
    "table": _Key("table", str, "flyway_schema_history"),
    "placeholders": _Key("placeholders", dict, {}),
    "placeholderReplacement": _Key("placeholder_replacement", bool, True),
    "placeholderPrefix": _Key("placeholder_prefix", str, "${"),
    "placeholderSuffix": _Key("placeholder_suffix", str, "}"),
    "validateMigrationNaming": _Key("validate_migration_naming", bool, False),
    "validateOnMigrate": _Key("validate_on_migrate", bool, True),
    "outOfOrder": _Key("out_of_order", bool, False),
    "target": _Key("target", str, None),
    "ignoreMigrationPatterns": _Key("ignore_migration_patterns", list, ["*:future"]),
    "installedBy": _Key("installed_by", str, None),
    "createSchemas": _Key("create_schemas", bool, True),
    "mixed": _Key("mixed", bool, False),
    "failOnMissingLocations": _Key("fail_on_missing_locations", bool, False),
    "sqlMigrationPrefix": _Key("sql_migration_prefix", str, "V"),
    "undoSqlMigrationPrefix": _Key("undo_sql_migration_prefix", str, "U"),
    "repeatableSqlMigrationPrefix": _Key("repeatable_sql_migration_prefix", str, "R"),
    "baselineMigrationPrefix": _Key("baseline_migration_prefix", str, "B"),
    "sqlMigrationSeparator": _Key("sql_migration_separator", str, "__"),
    "sqlMigrationSuffixes": _Key("sql_migration_suffixes", list, [".sql"]),
    "encoding": _Key("encoding", str, "UTF-8"),
    "baselineVersion": _Key("baseline_version", str, "1"),
    "baselineDescription": _Key("baseline_description", str, "<< Flyway Baseline >>"),
    "baselineOnMigrate": _Key("baseline_on_migrate", bool, False),
    "cleanDisabled": _Key("clean_disabled", bool, True),
    "connectTimeout": _Key("connect_timeout", int, DEFAULT_CONNECT_TIMEOUT),
    # Tries (a second apart) to take the migration lock before giving up; -1: forever.
    "lockRetryCount": _Key("lock_retry_count", int, 50),
    # All pending migrations in one transaction (Flyway's `group`).
    "group": _Key("group", bool, False),
    # Record pending migrations as applied without running them (Flyway's
    # `skipExecutingMigrations`).
    "skipExecutingMigrations": _Key("skip_executing_migrations", bool, False),
}


def _from_text(text: str, kind: type, name: str) -> Any:
    """Convert an environment variable's text to a setting's type."""
    if kind is bool:
        lowered = text.strip().lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no", ""):
            return False
        raise InputError(f"{name} must be true or false, not {text!r}")
    if kind is int:
        try:
            return int(text)
        except ValueError:
            raise InputError(f"{name} must be a whole number, not {text!r}") from None
    if kind is list:
        return split_list(text)
    if kind is dict:
        raise InputError(f"{name} cannot be set from the environment")
    return text


def _check_values(values: dict[str, Any], origins: dict[str, str], source: _Source) -> None:
    """Refuse settings of the right type that cannot work, each named where it was set (the
    config file's line, or the `DBCI_*` variable), before anything else runs."""
    for key, name in origins.items():
        if name.startswith("--"):
            continue  # an option: checked where it is used, under its own name (`--target`)
        problem = _value_problem(key, values[_FLYWAY_KEYS[key].attr])
        if problem is not None:
            if name.startswith(("flyway.", "environments.")):
                raise source.error(name, name + problem)
            raise InputError(name + problem)


def _value_problem(key: str, value: Any) -> str | None:
    """What is wrong with a `[flyway]` setting's value (the rest of a message that starts
    with its name), or None. Defaults are good: only values someone set come here."""
    if key in ("table", "sqlMigrationSeparator", "placeholderPrefix", "placeholderSuffix"):
        # An empty history table name, separator or placeholder delimiter would make dbci
        # create a table named "", crash splitting file names, or match any text.
        return None if value.strip() else " must not be empty"
    if key == "schemas" and not all(schema.strip() for schema in value):
        return f" must not name an empty schema, as in {value!r}"
    if key == "sqlMigrationSuffixes" and not (value and all(s.strip() for s in value)):
        return f" must list non-empty file suffixes, not {value!r}"
    if key == "encoding":
        try:
            codecs.lookup(value)
        except LookupError:
            return f" is not an encoding Python knows: {value!r}"
    if key == "connectTimeout" and value < 1:  # the drivers take no 0 ("wait forever")
        return f" must be at least 1 (seconds), not {value}"
    if key == "lockRetryCount" and value < -1:
        return f" must be -1 (retry forever) or more, not {value}"
    if key in ("target", "baselineVersion"):
        if key == "target" and value.strip().lower() in ("", "latest", "current", "next"):
            return None
        try:
            Version.parse(value.strip())
        except ValueError as exc:
            return f": {exc}" + ("; or latest, current, next" if key == "target" else "")
    if key == "locations":
        from dbci.migrate.discovery import location_dir  # discovery imports settings.config

        for location in value:
            try:
                location_dir(location, Path("."))
            except InputError as exc:
                return f": {exc.message}"
    if key == "ignoreMigrationPatterns":
        from dbci.migrate.validation import parse_ignore_patterns

        try:
            parse_ignore_patterns(value)
        except InputError as exc:
            return f": {exc.message}"
    return None


# `[dbci]` tables and values that more than one stage reads, checked once here at their
# line: a stage must not crash on `check = 3`, nor fail after minutes of work on a typo.
_DBCI_TABLES = ("check", "check.code", "check.code.severity", "deploy", "docker")
_DBCI_VALUES: dict[str, type] = {
    "check.fail_on_drift": bool,
    "deploy.fail_on_drift": bool,
    "dialect": str,
    "project": str,
    "tests": str,
}

# `[dbci]` strings that name something, and so cannot be empty.
_DBCI_NAMES = ("project",)


# `[dbci]` numbers, each with its smallest value: the lock settings (dbci.migrate.locking).
_DBCI_NUMBERS: dict[str, tuple[type[int] | tuple[type[int], type[float]], str]] = {
    "deploy.lock_timeout": ((int, float), "a number of seconds (0 or more)"),
    "deploy.statement_timeout": ((int, float), "a number of seconds (0 or more)"),
    "deploy.lock_retries": (int, "a whole number (0 or more)"),
}


def _check_dbci(table: dict[str, Any], prefix: str, source: _Source) -> dict[str, Any]:
    """`table` (a `[dbci]` table), once the shapes dbci relies on are checked."""
    for path, kind in [(t, dict) for t in _DBCI_TABLES] + list(_DBCI_VALUES.items()):
        found, value = _dotted_value(table, path)
        if found and not isinstance(value, kind):
            name = f"{prefix}.{path}"
            raise source.error(name, f"{name} must be {_KIND_NAMES[kind]}, not {value!r}")
    for path in _DBCI_NAMES:
        found, value = _dotted_value(table, path)
        if found and not value.strip():
            name = f"{prefix}.{path}"
            raise source.error(name, f"{name} must be a non-empty string, not {value!r}")
    for path, (kinds, what) in _DBCI_NUMBERS.items():
        found, number = _dotted_value(table, path)
        if found and (isinstance(number, bool) or not isinstance(number, kinds) or number < 0):
            name = f"{prefix}.{path}"
            raise source.error(name, f"{name} must be {what}, not {number!r}")
    return table


def _dotted_value(table: dict[str, Any], path: str) -> tuple[bool, Any]:
    """(whether the dotted key `path` is set in `table`, its value)."""
    value: Any = table
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value
