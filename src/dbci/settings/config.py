"""Project configuration: `dbci.toml`, else `flyway.toml`, in Flyway's TOML layout.

Precedence, highest first: command line > `DBCI_*` environment variables > the config
file (an environment's own `[environments.NAME.flyway]` table over `[flyway]`) >
defaults. String values may reference `${env.NAME}`; those are resolved only for the
parts a run uses, so a missing production secret does not break a run against dev.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dbci.engines.registry import engine
from dbci.errors import InputError
from dbci.migrate.version import Version
from dbci.settings.urls import DatabaseUrl, parse_database_url

CONFIG_NAMES = ("dbci.toml", "flyway.toml")
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


@dataclass(frozen=True)
class Overrides:
    """What the command line says; `None` means "not given"."""

    project: Path | None = None
    config: Path | None = None
    environment: str | None = None
    url: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    schemas: list[str] | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # flyway keys from options


@dataclass
class Settings:
    """The effective settings of one run."""

    project_dir: Path
    config_file: Path | None
    environment: str | None
    database: DatabaseUrl | None
    user: str | None
    password: str | None = field(repr=False)
    provisioner: str | None
    locations: list[str]
    default_schema: str | None
    schemas: list[str]
    table: str
    placeholders: dict[str, str]
    placeholder_replacement: bool
    placeholder_prefix: str
    placeholder_suffix: str
    validate_migration_naming: bool
    validate_on_migrate: bool
    out_of_order: bool
    target: str | None
    ignore_migration_patterns: list[str]
    installed_by: str | None
    create_schemas: bool
    mixed: bool
    fail_on_missing_locations: bool
    sql_migration_prefix: str
    undo_sql_migration_prefix: str
    repeatable_sql_migration_prefix: str
    baseline_migration_prefix: str
    sql_migration_separator: str
    sql_migration_suffixes: list[str]
    encoding: str
    baseline_version: str
    baseline_description: str
    baseline_on_migrate: bool
    clean_disabled: bool
    connect_timeout: int
    lock_retry_count: int
    group: bool
    skip_executing_migrations: bool
    dbci: dict[str, Any] = field(default_factory=dict)
    environments: list[str] = field(default_factory=list)
    shadow_environment: str | None = None  # [flywayDesktop] shadowEnvironment: the build's
    schema_model: str | None = None  # [flywayDesktop] schemaModel: the schema model's folder
    # Whether the environment names its own schemas (`schemas` in its table or its flyway
    # table, or a `defaultSchema` there): a build environment that does not builds in the
    # schemas of the environment it builds for.
    own_schemas: bool = False
    # The placeholders the environment's own `[environments.NAME.flyway.placeholders]` sets
    # (their final values): a build environment keeps these, and takes the others from the
    # environment it builds for.
    own_placeholders: dict[str, str] = field(default_factory=dict)
    default_environment: str | None = None  # `[flyway] environment`, whichever is used

    def where(self) -> str:
        """Names the database for error messages: the environment, else the URL."""
        if self.environment:
            return f"environment {self.environment!r}"
        return f"database {self.database.masked()}" if self.database else "database"

    def require_database(self) -> DatabaseUrl:
        """The database URL, or the one-line error that says how to give one."""
        if self.database is None:
            known = ", ".join(self.environments) or "none"
            raise InputError(
                "no database: give --url, or -e ENVIRONMENT with a url in "
                f"{self.config_file.name if self.config_file else 'dbci.toml'} "
                f"(environments: {known})"
            )
        return self.database


def find_config(project_dir: Path) -> Path | None:
    """`dbci.toml`, else `flyway.toml`, in the project directory."""
    for name in CONFIG_NAMES:
        candidate = project_dir / name
        if candidate.is_file():
            return candidate
        if candidate.exists():
            # A folder (or a device) by that name is a mistake, not "no config": going on
            # without it would run against defaults the user never meant.
            what = "a directory" if candidate.is_dir() else "not a regular file"
            raise InputError(f"is {what}, not a config file", file=candidate)
    return None


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; a syntax error names file, line and column."""
    import tomllib  # only with a config file to read (5 ms of a command's start otherwise)

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read config: {exc.strerror}", file=path) from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"config is not UTF-8 (byte 0x{raw[exc.start]:02x})", file=path, line=line
        ) from None
    except tomllib.TOMLDecodeError as exc:
        text = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", text)
        if match:
            message = text[: match.start()].strip()
            line, col = int(match.group(1)), int(match.group(2))
            raise InputError(f"invalid TOML: {message}", file=path, line=line, column=col) from None
        if "(at end of document)" in text:
            message = text.replace("(at end of document)", "").strip()
            line = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
            raise InputError(
                f"invalid TOML: {message} at end of file", file=path, line=line
            ) from None
        raise InputError(f"invalid TOML: {text}", file=path) from None


def load_settings(
    overrides: Overrides, environ: Mapping[str, str] | None = None, *, targetless: bool = False
) -> Settings:
    """Build the effective settings from the command line, `DBCI_*` variables and the file.

    `targetless` (`project_settings`): no environment at all, not even `[flyway]
    environment`; its name is `default_environment`."""
    environ = os.environ if environ is None else environ
    project_dir = (overrides.project or Path(environ.get("DBCI_PROJECT") or ".")).resolve()
    if not project_dir.is_dir():
        # Else the migrations "are not found" (a warning) and a relative SQLite URL makes a
        # new database in a folder nobody meant to create.
        given = "--project" if overrides.project else "DBCI_PROJECT"
        if project_dir.exists():
            raise InputError(f"{given}: {project_dir} is not a directory")
        raise InputError(f"{given}: project directory not found: {project_dir}")
    config_path = overrides.config or (
        Path(environ["DBCI_CONFIG"]) if environ.get("DBCI_CONFIG") else None
    )
    if config_path is not None:
        config_path = config_path if config_path.is_absolute() else Path.cwd() / config_path
        if config_path.is_dir():
            raise InputError(f"config file is a directory: {config_path}")
        if not config_path.is_file():
            raise InputError(f"config file not found: {config_path}")
        if overrides.project is None and not environ.get("DBCI_PROJECT"):
            project_dir = config_path.parent.resolve()
    else:
        config_path = find_config(project_dir)
    doc = read_toml(config_path) if config_path else {}
    source = _Source(doc, config_path, environ)

    environments = source.table("environments")
    flyway = source.table("flyway")
    default_environment = source.value(flyway.get("environment"), "flyway.environment")
    env_name = (
        None
        if targetless
        else overrides.environment or environ.get("DBCI_ENVIRONMENT") or default_environment
    )
    env_table: dict[str, Any] = {}
    if env_name:
        if env_name not in environments:
            if overrides.environment or environ.get("DBCI_ENVIRONMENT") or environments:
                if config_path is None:
                    raise InputError(
                        f"unknown environment {env_name!r}: no dbci.toml or flyway.toml "
                        f"in {project_dir}"
                    )
                known = ", ".join(sorted(environments)) or "none"
                raise InputError(
                    f"unknown environment {env_name!r} in {config_path.name} (known: {known})"
                )
        else:
            env_table = source.check_table(environments[env_name], f"environments.{env_name}")
    merged = dict(flyway)
    merged.pop("environment", None)
    env_flyway = source.check_table(env_table.get("flyway", {}), f"environments.{env_name}.flyway")
    merged.update(env_flyway)
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}  # key -> where its value was set, for error messages
    for key, spec in _FLYWAY_KEYS.items():
        value = spec.default
        if key in merged:
            origins[key] = (
                f"environments.{env_name}.flyway.{key}" if key in env_flyway else f"flyway.{key}"
            )
            value = source.typed(merged[key], spec.kind, origins[key])
        variable = "DBCI_" + _snake(key).upper()
        env_value = environ.get(variable)
        if env_value is not None:
            value = _from_text(env_value, spec.kind, variable)
            origins[key] = variable
        if key in overrides.settings and overrides.settings[key] is not None:
            value = overrides.settings[key]
            origins[key] = "--" + _snake(key).replace("_", "-")
        values[spec.attr] = value
    placeholders = {str(k): str(v) for k, v in values["placeholders"].items()}
    for name, value in environ.items():
        if name.startswith("DBCI_PLACEHOLDERS_"):
            placeholders[name[len("DBCI_PLACEHOLDERS_") :].lower()] = value
    values["placeholders"] = placeholders
    own_table = env_flyway.get("placeholders")
    own_placeholders = (
        {str(k): placeholders[str(k)] for k in own_table if str(k) in placeholders}
        if isinstance(own_table, dict)
        else {}
    )
    if "connectTimeout" in env_table:
        origins["connectTimeout"] = f"environments.{env_name}.connectTimeout"
        values["connect_timeout"] = source.typed(
            env_table["connectTimeout"], int, origins["connectTimeout"]
        )
    _check_values(values, origins, source)

    where = f"environment {env_name!r}" if env_name and env_table else "--url"
    raw_url = overrides.url or environ.get("DBCI_URL")
    url_given = bool(raw_url)  # by the command line or DBCI_URL, above the file
    if raw_url:
        where = "--url" if overrides.url else "DBCI_URL"
    elif "url" in env_table:
        raw_url = source.typed(env_table["url"], str, f"environments.{env_name}.url")
    database = parse_database_url(raw_url, base_dir=project_dir, where=where) if raw_url else None

    # A login written into --url or DBCI_URL comes from above the file: the environment's
    # `user` and `password` (the login of its own url) do not replace it, nor are they
    # resolved (a `${env.NAME}` there need not be set). --user, --password and
    # DBCI_USER/DBCI_PASSWORD, given on their own, still do.
    file_login = not (url_given and database is not None and database.username)
    user = (
        overrides.user
        or environ.get("DBCI_USER")
        or (_opt_str(source, env_table, "user", env_name) if file_login else None)
    )
    password = (
        overrides.password
        or environ.get("DBCI_PASSWORD")
        or (_opt_str(source, env_table, "password", env_name) if file_login else None)
    )
    # A file engine (SQLite) has no logins; a user or password given for it (say by a CI
    # default) is unused.
    if database is not None and engine(database.dialect).server:
        database = database.with_login(user or None, password or None)

    schemas = overrides.schemas
    if schemas is None and environ.get("DBCI_SCHEMAS"):
        schemas = _split_list(environ["DBCI_SCHEMAS"])
    if schemas is None and "schemas" in env_table:
        name = f"environments.{env_name}.schemas"
        schemas = [str(s) for s in source.typed(env_table["schemas"], list, name)]
        problem = _value_problem("schemas", schemas)
        if problem is not None:
            raise source.error(name, name + problem)
    if schemas is None:
        schemas = [str(s) for s in values.pop("schemas")]
    else:
        values.pop("schemas")
    provisioner = _opt_str(source, env_table, "provisioner", env_name)
    # An environment's own `[environments.NAME.dbci]` goes over `[dbci]`, table by table.
    dbci_section = _merged(
        _check_dbci(source.table("dbci"), "dbci", source),
        _check_dbci(
            source.check_table(env_table.get("dbci", {}), f"environments.{env_name}.dbci"),
            f"environments.{env_name}.dbci",
            source,
        ),
    )
    return Settings(
        project_dir=project_dir,
        config_file=config_path,
        environment=env_name if env_table else None,
        database=database,
        user=user,
        password=password,
        provisioner=provisioner,
        schemas=schemas,
        dbci=dbci_section,
        environments=sorted(environments),
        shadow_environment=_shadow_environment(source),
        schema_model=_desktop_setting(source, "schemaModel"),
        own_schemas="schemas" in env_table or bool({"schemas", "defaultSchema"} & set(env_flyway)),
        own_placeholders=own_placeholders,
        default_environment=str(default_environment) if default_environment else None,
        **values,
    )


def project_settings(overrides: Overrides, environ: Mapping[str, str] | None = None) -> Settings:
    """The project's settings without a target: what is the same whichever database a run
    goes to (the report directory, `[dbci]` tables, the environments there are). No
    environment is read: neither the command line's nor `DBCI_ENVIRONMENT`'s and
    `DBCI_URL`'s target (so a list of targets, `DBCI_ENVIRONMENT=qa,uat`, is no error
    here), nor `[flyway] environment` (`default_environment` names it): a run against qa
    must not need the default environment's secrets (its `${env.NAME}` login)."""
    environ = dict(os.environ if environ is None else environ)
    for name in ("DBCI_URL", "DBCI_ENVIRONMENT"):
        environ.pop(name, None)
    return load_settings(replace(overrides, environment=None, url=None), environ, targetless=True)


def dbci_flag(settings: Settings, table: str, key: str, default: bool) -> bool:
    """A true/false setting of a `[dbci.TABLE]` table (`[dbci.deploy] fail_on_drift`),
    else `default`."""
    value = settings.dbci.get(table, {}).get(key, default)
    if not isinstance(value, bool):
        raise InputError(f"[dbci.{table}] {key} must be true or false")
    return value


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
        from dbci.migrate.discovery import location_dir  # discovery imports this module

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
    "tests": str,
}


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


def _shadow_environment(source: _Source) -> str | None:
    """`[flywayDesktop] shadowEnvironment`: Flyway Desktop's build environment."""
    return _desktop_setting(source, "shadowEnvironment")


def _desktop_setting(source: _Source, key: str) -> str | None:
    """A string of `[flywayDesktop]` (its build environment, its schema model's folder)."""
    desktop = source.table("flywayDesktop")
    if key not in desktop:
        return None
    return str(source.typed(desktop[key], str, f"flywayDesktop.{key}"))


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` laid on `base`: nested tables merged, other values replaced."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def _opt_str(source: _Source, table: dict[str, Any], key: str, env: str | None) -> str | None:
    if key not in table:
        return None
    return str(source.typed(table[key], str, f"environments.{env}.{key}"))


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()


def _split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


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
        return _split_list(text)
    if kind is dict:
        raise InputError(f"{name} cannot be set from the environment")
    return text


ENV_REFERENCE = re.compile(r"\$\{env\.([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_env(text: str, environ: Mapping[str, str]) -> str | None:
    """`text` with its `${env.NAME}` references replaced, or None when one names a variable
    that is not set (for readers of the file that must not fail on it: the protection
    check, the scrubbing of secrets; the settings themselves say which is missing)."""
    if any(name not in environ for name in ENV_REFERENCE.findall(text)):
        return None
    return ENV_REFERENCE.sub(lambda m: environ[m.group(1)], text)


class _Source:
    """The parsed file, with `${env.NAME}` resolution and type checks that name the key."""

    def __init__(self, doc: dict[str, Any], path: Path | None, environ: Mapping[str, str]):
        self.doc = doc
        self.path = path
        self.environ = environ
        self._text: list[str] | None = None

    def table(self, key: str) -> dict[str, Any]:
        return self.check_table(self.doc.get(key, {}), key)

    def check_table(self, value: Any, name: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(name, f"{name} must be a table")
        return value

    def value(self, value: Any, name: str) -> Any:
        if isinstance(value, str):
            return ENV_REFERENCE.sub(lambda m: self._env(m.group(1), name), value)
        if isinstance(value, list):
            return [self.value(v, name) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v, f"{name}.{k}") for k, v in value.items()}
        return value

    def typed(self, value: Any, kind: type[Any], name: str) -> Any:
        value = self.value(value, name)
        if kind is list and isinstance(value, str):
            value = _split_list(value)  # Flyway accepts "a,b" as well as ["a", "b"]
        if kind is int and isinstance(value, bool):
            raise self.error(name, f"{name} must be a whole number")
        if kind is str and isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)  # baselineVersion = 1
        # A wrong value is quoted back, but for a password's or a url's (which may hold one).
        shown = "" if name.rsplit(".", 1)[-1] in ("password", "url") else f", not {value!r}"
        if not isinstance(value, kind):
            raise self.error(name, f"{name} must be {_KIND_NAMES[kind]}{shown}")
        if kind is list and not all(isinstance(item, str) for item in value):
            # Every list setting holds names or paths; a number or a table in one is a typo.
            raise self.error(name, f"{name} must be a list of strings{shown}")
        return value

    def _env(self, var: str, name: str) -> str:
        if var not in self.environ:
            raise self.error(name, f"{name} uses ${{env.{var}}} but {var} is not set")
        return self.environ[var]

    def error(self, name: str, message: str) -> InputError:
        """An error pointing at the line where the key is written, when it can be found."""
        return InputError(message, file=self.path, line=self._line_of(name))

    def _line_of(self, name: str) -> int | None:
        """The line of the dotted key `name` (`environments.prod.url`): the line inside its
        own table first, where several tables have a key of that name; else the first line
        that sets (or opens a table named by) its last part."""
        if self.path is None:
            return None
        if self._text is None:
            self._text = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        table = ""
        for number, line in enumerate(self._text, start=1):
            header = _TABLE_HEADER.match(line)
            if header:
                table = _dotted(header.group(1))
                if table == name:
                    return number
                continue
            assignment = _ASSIGNMENT.match(line)
            if assignment and ".".join(filter(None, (table, _dotted(assignment.group(1))))) == name:
                return number
        key = name.rsplit(".", 1)[-1]
        pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=|^\s*\[.*\b{re.escape(key)}\]")
        for number, line in enumerate(self._text, start=1):
            if pattern.search(line):
                return number
        return None


_KIND_NAMES = {
    bool: "true or false",
    int: "a whole number",
    str: "a string",
    list: "a list",
    dict: "a table",
}
# A TOML table header (`[environments.prod]`, `[[x]]`) and a key's assignment (`a.b = …`).
_TABLE_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_ASSIGNMENT = re.compile(r"^\s*([A-Za-z0-9_\-.\"' ]+?)\s*=")


def _dotted(key: str) -> str:
    """A TOML dotted key as plain `a.b.c` (blanks and quotes around each part dropped)."""
    return ".".join(part.strip().strip("\"'") for part in key.split("."))
