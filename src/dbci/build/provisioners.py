"""Build databases: where `dbci build` applies the migrations, by the environment's
`provisioner`.

* `clean`: the environment's database, cleaned first (only where `clean` is allowed).
* `create-database`: a new, uniquely named database on the environment's server, dropped
  afterwards unless kept.
* `embedded`: with no build environment, an embedded PostgreSQL (the `pgserver` package's
  binaries, started for this build and deleted after it) or a temporary SQLite file, by
  the project's dialect: no server and no configuration needed.
* `docker`: see `dbci.build.docker_provisioner`.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dbci.config import Settings
from dbci.engines import open_database
from dbci.errors import DatabaseUnavailable, InputError
from dbci.log import Log, quiet
from dbci.urls import DatabaseUrl, parse_database_url

PROVISIONERS = ("clean", "create-database", "embedded", "docker")
BUILD_DATABASE_PREFIX = "dbci_build_"
_ENGINE_NAMES = {"mysql": "MySQL", "mssql": "SQL Server"}


@dataclass(frozen=True)
class BuildDatabase:
    """A provisioned build database: the settings that reach it, and what it is."""

    settings: Settings
    provisioner: str
    description: str  # for the log and the report, with no password


@contextmanager
def provision(
    settings: Settings, dialect: str, *, keep: bool = False, log: Log = quiet
) -> Iterator[BuildDatabase]:
    """The build database for `settings` (a build environment's, or the project's with no
    database for `embedded`), removed afterwards as its provisioner says."""
    name = settings.provisioner or ("embedded" if settings.database is None else "clean")
    if name not in PROVISIONERS:
        raise InputError(
            f"{settings.where()}: unknown provisioner {name!r} (one of {', '.join(PROVISIONERS)})"
        )
    if name == "embedded":
        with _embedded(settings, dialect, keep, log) as built:
            yield built
    elif name == "clean":
        yield _clean(settings, log)
    elif name == "create-database":
        with _created(settings, keep, log) as built:
            yield built
    else:
        from dbci.build.docker_provisioner import docker_database

        with docker_database(settings, keep=keep, log=log) as built:
            yield built


def _clean(settings: Settings, log: Log) -> BuildDatabase:
    from dbci.lifecycle import check_clean_allowed, clean

    check_clean_allowed(settings)
    clean(settings, log=quiet)
    where = settings.require_database().masked()
    log(f"Build database: {where} (cleaned)")
    return BuildDatabase(settings, "clean", where)


@contextmanager
def _created(settings: Settings, keep: bool, log: Log) -> Iterator[BuildDatabase]:
    server = settings.require_database()
    name = f"{BUILD_DATABASE_PREFIX}{uuid.uuid4().hex[:12]}"
    if server.dialect == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix="dbci-build-"))
        url = parse_database_url(
            f"sqlite:///{directory / (name + '.db')}", base_dir=directory, where="build"
        )
        try:
            yield _built(settings, url, "create-database", log)
        finally:
            if not keep:
                shutil.rmtree(directory, ignore_errors=True)
        return
    admin = open_database(settings)
    try:
        admin.execute(admin.create_database_sql(name))
    finally:
        admin.close()
    built = dataclasses.replace(server, database=name)
    if server.dialect == "mysql":
        # A MySQL schema is a database: the new database is the build's only schema, so
        # that configured schema names cannot reach the server's real databases.
        settings = dataclasses.replace(settings, schemas=[name], default_schema=None)
    try:
        yield _built(settings, built, "create-database", log)
    finally:
        if keep:
            log(f"Kept the build database {name}")
        else:
            admin = open_database(settings)
            try:
                admin.execute(admin.drop_database_sql(name))
            finally:
                admin.close()


@contextmanager
def _embedded(settings: Settings, dialect: str, keep: bool, log: Log) -> Iterator[BuildDatabase]:
    directory = Path(tempfile.mkdtemp(prefix="dbci-build-"))
    try:
        if dialect == "sqlite":
            url = parse_database_url(
                f"sqlite:///{directory / 'build.db'}", base_dir=directory, where="build"
            )
            yield _built(settings, url, "embedded", log)
            return
        if dialect != "postgresql":
            raise InputError(
                f"there is no embedded {_ENGINE_NAMES.get(dialect, dialect)} build database "
                "(only PostgreSQL and SQLite): "
                "configure a build environment (--build-environment, "
                "[flywayDesktop] shadowEnvironment or [environments.build])"
            )
        server = _start_pgserver(directory)
        try:
            url = parse_database_url(
                server.get_uri("postgres"), base_dir=directory, where="the embedded PostgreSQL"
            )
            yield _built(settings, url, "embedded", log)
        finally:
            server.cleanup()
    finally:
        if keep:
            log(f"Kept the build database files in {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


def _start_pgserver(directory: Path) -> object:
    """Start PostgreSQL from the `pgserver` package's binaries in `directory`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: no XDG_RUNTIME_DIR on CI machines
        try:
            import pgserver
        except ImportError:
            raise InputError(
                "the embedded PostgreSQL needs the pgserver package (pip install pgserver), "
                "or configure a build environment"
            ) from None
        try:
            return pgserver.get_server(directory / "pgdata", cleanup_mode="stop")
        except Exception as exc:
            raise DatabaseUnavailable(
                f"the embedded PostgreSQL did not start: {' '.join(str(exc).split())[:300]}"
            ) from None


def _built(settings: Settings, url: DatabaseUrl, provisioner: str, log: Log) -> BuildDatabase:
    built = dataclasses.replace(settings, database=url, environment=None, provisioner=provisioner)
    description = f"{provisioner} ({url.masked()})"
    log(f"Build database: {description}")
    return BuildDatabase(built, provisioner, description)
