"""Build databases: where `dbci build` applies the migrations, by the environment's
`provisioner`.

* `clean`: the environment's database, cleaned first (only where `clean` is allowed).
* `create-database`: a new, uniquely named database on the environment's server, dropped
  afterwards unless kept.
* `embedded`: with no build environment, an embedded PostgreSQL (the `pgserver` package's
  binaries, started for this build and deleted after it) or a temporary SQLite file, by
  the project's dialect: no server and no configuration needed.
* `docker`: see `dbci.builddb.docker_provisioner`.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dbci import cancel
from dbci.engines import open_database, registry
from dbci.errors import InputError
from dbci.log import Log, quiet
from dbci.settings.config import Settings
from dbci.settings.urls import DatabaseUrl, parse_database_url

PROVISIONERS = ("clean", "create-database", "embedded", "docker")
BUILD_DATABASE_PREFIX = "dbci_build_"


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
        from dbci.builddb.docker_provisioner import docker_database

        with docker_database(settings, keep=keep, log=log) as built:
            yield built


def _clean(settings: Settings, log: Log) -> BuildDatabase:
    from dbci.migrate.lifecycle import check_clean_allowed, clean

    check_clean_allowed(settings)
    clean(settings, log=quiet)
    where = settings.require_database().masked()
    log(f"Build database: {where} (cleaned)")
    return BuildDatabase(settings, "clean", where)


@contextmanager
def _created(settings: Settings, keep: bool, log: Log) -> Iterator[BuildDatabase]:
    server = settings.require_database()
    name = f"{BUILD_DATABASE_PREFIX}{uuid.uuid4().hex[:12]}"
    engine = registry.engine(server.dialect)
    if not engine.server:  # a new database is a new file
        directory = Path(tempfile.mkdtemp(prefix="dbci-build-"))
        url = parse_database_url(
            engine.file_url(directory / (name + ".db")), base_dir=directory, where="build"
        )
        try:
            yield _built(settings, url, "create-database", log)
        finally:
            if not keep:
                shutil.rmtree(directory, ignore_errors=True)
        return
    # Created and then handed over whole: a signal between the two must not leave a
    # database behind that nothing drops.
    with cancel.cleaning_up():
        admin = open_database(settings)
        try:
            admin.execute(admin.create_database_sql(name))
        finally:
            admin.close()
    built = dataclasses.replace(server, database=name)
    if engine.schema_is_database:
        # A MySQL schema is a database: the new database is the build's only schema, so
        # that configured schema names cannot reach the server's real databases.
        settings = dataclasses.replace(settings, schemas=[name], default_schema=None)
    try:
        yield _built(settings, built, "create-database", log)
    finally:
        if keep:
            log(f"Kept the build database {name}")
        else:
            with cancel.cleaning_up():  # dropped also when the build is cancelled
                admin = open_database(settings)
                try:
                    admin.execute(admin.drop_database_sql(name))
                finally:
                    admin.close()


@contextmanager
def _embedded(settings: Settings, dialect: str, keep: bool, log: Log) -> Iterator[BuildDatabase]:
    directory = Path(tempfile.mkdtemp(prefix="dbci-build-"))
    try:
        engine = registry.engine(dialect)
        embedded = engine.embedded(directory)
        if embedded is None:
            raise InputError(
                f"there is no embedded {engine.display_name} build database "
                "(only PostgreSQL and SQLite): "
                "configure a build environment (--build-environment, "
                "[flywayDesktop] shadowEnvironment or [environments.build])"
            )
        with embedded as (text, where):
            url = parse_database_url(text, base_dir=directory, where=where)
            yield _built(settings, url, "embedded", log)
    finally:
        if keep:
            log(f"Kept the build database files in {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


def _built(settings: Settings, url: DatabaseUrl, provisioner: str, log: Log) -> BuildDatabase:
    built = dataclasses.replace(settings, database=url, environment=None, provisioner=provisioner)
    description = f"{provisioner} ({url.masked()})"
    log(f"Build database: {description}")
    return BuildDatabase(built, provisioner, description)
