"""Which build database: the settings that reach it (a build environment's, a server given
by `DBCI_BUILD_URL`, else none: embedded) and the dialect it is provisioned in."""

from __future__ import annotations

import dataclasses
import os

from dbci.engines import registry
from dbci.errors import InputError
from dbci.settings.config import Overrides, Settings, load_settings
from dbci.settings.tomlfile import split_list

# The variables that name the target's database and login, not a build environment's.
_TARGET_VARIABLES = frozenset({"DBCI_URL", "DBCI_USER", "DBCI_PASSWORD", "DBCI_ENVIRONMENT"})
# The build database's own login, and the action's inputs that give it.
_LOGIN_VARIABLES = {"DBCI_BUILD_USER": "build-user", "DBCI_BUILD_PASSWORD": "build-password"}


@dataclasses.dataclass(frozen=True)
class BuildLogin:
    """What `DBCI_BUILD_USER`, `DBCI_BUILD_PASSWORD` and `DBCI_BUILD_SCHEMAS` say (None:
    not given): the build database's login and schemas, as `--user`, `--password` and
    `--schemas` are the target's."""

    user: str | None
    password: str | None = dataclasses.field(repr=False)
    schemas: list[str] | None

    @classmethod
    def read(cls) -> BuildLogin:
        """From this process's environment; the password is a secret of the run from now
        on (as the command line makes `DBCI_PASSWORD` one), before anything can print it."""
        from dbci.console import remember

        password = os.environ.get("DBCI_BUILD_PASSWORD") or None
        remember(password)
        schemas = split_list(os.environ.get("DBCI_BUILD_SCHEMAS", ""))
        return cls(os.environ.get("DBCI_BUILD_USER") or None, password, schemas or None)


def build_environment(settings: Settings, explicit: str | None) -> str | None:
    """The build environment's name: `--build-environment`, else `[flywayDesktop]
    shadowEnvironment`, else an environment called `build`; None: embedded."""
    name = explicit or settings.shadow_environment
    if name is None and "build" in settings.environments:
        name = "build"
    if name is not None and name not in settings.environments:
        known = ", ".join(settings.environments) or "none"
        raise InputError(f"unknown build environment {name!r} (environments: {known})")
    return name


def project_dialect(settings: Settings, explicit: str | None) -> str:
    """The dialect of the embedded build database: `--dialect`, else `[dbci] dialect`, else
    the default environment's URL, else PostgreSQL.

    A dialect that has no embedded database (MySQL, SQL Server: a target's) is returned as
    it is, not refused here: a configured build environment does not need one, and the
    embedded provisioner refuses it, saying to configure one, when it comes to that."""
    name = explicit or settings.dbci.get("dialect")
    if name is None and settings.database is not None:
        name = settings.database.dialect
    engine = registry.by_alias(str(name)) if name else registry.default_engine()
    if engine is None:
        raise InputError(
            f"unknown dialect {str(name).lower()!r}: the embedded build database is "
            "PostgreSQL or SQLite (postgresql, sqlite); configure a build environment for "
            "another"
        )
    return engine.name


def build_dialect(builder: Settings, project: Settings, explicit: str | None) -> str:
    """The dialect to provision the build database in: a build environment's own, else
    the embedded database's (`project_dialect`; `explicit` is `--dialect`, or the dialect
    of the target the build is compared with)."""
    if builder.database is not None:
        return builder.database.dialect
    return project_dialect(project, explicit)


def build_settings(
    overrides: Overrides, build_env: str | None, target: Settings
) -> tuple[Settings, Settings]:
    """(the project's settings, the build environment's: no database means embedded).

    `target` is the environment the build is for (the command line's -e, `DBCI_ENVIRONMENT`
    or `[flyway] environment`, resolved once by the caller): the build database gets its
    schemas and its placeholders, as Flyway's `createSchemas` would make them there, unless
    a configured build environment names schemas of its own (`--schemas` and `DBCI_SCHEMAS`
    name the target's: they never replace those); the placeholders its own
    `[environments.NAME.flyway.placeholders]` sets go over the target's.

    `DBCI_BUILD_USER`, `DBCI_BUILD_PASSWORD` and `DBCI_BUILD_SCHEMAS` (`BuildLogin`) are the
    build database's: the login of the build server or environment (over its own; a
    `${env.NAME}` password they replace need not be set) and its schemas (over any)."""
    project = target
    login = BuildLogin.read()
    build_url = os.environ.get("DBCI_BUILD_URL")
    if build_url and build_env is None:
        # A build server given by URL (the action's build-url): a new database on it per
        # build, dropped afterwards, so that nothing of the server's is ever cleaned.
        from dbci.settings.urls import parse_database_url

        url = parse_database_url(build_url, base_dir=project.project_dir, where="DBCI_BUILD_URL")
        if registry.engine(url.dialect).server:  # a file (SQLite) has no login to replace
            url = url.with_login(login.user, login.password)
        builder = dataclasses.replace(
            project,
            database=url,
            provisioner="create-database",
            environment=None,
            user=url.username,  # the build server's login, never the target's
            password=url.password,
        )
        return project, _with_schemas(builder, login)
    name = build_environment(project, build_env)
    if name is not None:
        # The build environment is reached by its own url and login only: --url, --user,
        # --password and DBCI_URL/USER/PASSWORD name the target (the action passes its url
        # input as DBCI_URL), and a build environment's `clean` provisioner must never be
        # pointed at the target by them. DBCI_BUILD_* name the build database: given as
        # overrides, they go over the environment's values, whose `${env.NAME}` references
        # are then never resolved (load_settings reads a value only when nothing is above it).
        own = dataclasses.replace(
            overrides,
            environment=name,
            url=None,
            user=login.user,
            password=login.password,
            schemas=login.schemas,
        )
        environ = {
            k: v
            for k, v in os.environ.items()
            if k not in _TARGET_VARIABLES and k != "DBCI_SCHEMAS"
        }
        builder = load_settings(own, environ)
        if not builder.own_schemas and login.schemas is None:
            builder = dataclasses.replace(
                builder, schemas=list(target.schemas), default_schema=target.default_schema
            )
        builder = dataclasses.replace(
            builder, placeholders={**target.placeholders, **builder.own_placeholders}
        )
        return project, builder
    given = [f"{v} (the action's {i})" for v, i in _LOGIN_VARIABLES.items() if os.environ.get(v)]
    if given:
        # The embedded database is made for the build, with a login of its own: a login
        # given for the build was meant for a server that is not configured. Said, not
        # ignored, so that the user learns the build did not run where they meant it to.
        raise InputError(
            f"{' and '.join(given)} {'are' if len(given) > 1 else 'is'} the login of a build "
            "server, and there is none: give DBCI_BUILD_URL (build-url) or configure a build "
            "environment ([environments.build], [flywayDesktop] shadowEnvironment or "
            "--build-environment); the embedded build database needs no login"
        )
    embedded = dataclasses.replace(project, database=None, provisioner=None)
    return project, _with_schemas(embedded, login)


def _with_schemas(builder: Settings, login: BuildLogin) -> Settings:
    """`builder` with the schemas `DBCI_BUILD_SCHEMAS` names, if it names any (the
    `defaultSchema` stays the settings': None means the first of them, as for --schemas)."""
    if login.schemas is None:
        return builder
    return dataclasses.replace(builder, schemas=list(login.schemas))
