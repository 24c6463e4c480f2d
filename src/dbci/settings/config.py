"""Project configuration: `dbci.toml`, else `flyway.toml`, in Flyway's TOML layout.

Precedence, highest first: command line > `DBCI_*` environment variables > the config
file (an environment's own `[environments.NAME.flyway]` table over `[flyway]`) >
defaults. String values may reference `${env.NAME}`; those are resolved only for the
parts a run uses, so a missing production secret does not break a run against dev.

The file itself (finding, reading, line numbers for errors) is `settings.tomlfile`; the
`[flyway]` keys, their defaults and the checks of their values are `settings.keys`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dbci.engines.registry import engine
from dbci.errors import InputError
from dbci.settings.keys import (
    _FLYWAY_KEYS,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_LOCATIONS,
    _check_dbci,
    _check_values,
    _from_text,
    _value_problem,
)
from dbci.settings.tomlfile import (
    CONFIG_NAMES,
    ENV_REFERENCE,
    _Source,
    expand_env,
    find_config,
    read_toml,
    split_list,
)
from dbci.settings.urls import DatabaseUrl, parse_database_url

# What other modules import from here (some live in settings.tomlfile and settings.keys).
__all__ = [
    "CONFIG_NAMES",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_LOCATIONS",
    "ENV_REFERENCE",
    "Overrides",
    "Settings",
    "dbci_flag",
    "expand_env",
    "find_config",
    "load_settings",
    "project_settings",
    "read_toml",
]


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
        schemas = split_list(environ["DBCI_SCHEMAS"])
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
