"""Build databases: where `dbci build` applies the migrations, by the environment's
`provisioner`.

* `clean`: the environment's database, cleaned first (only where `clean` is allowed).
* `create-database`: a new, uniquely named database on the environment's server, dropped
  afterwards unless kept.
* `embedded`: with no build environment, an embedded PostgreSQL (the `pgserver` package's
  binaries, started for this build and deleted after it) or a temporary SQLite file, by
  the project's dialect: no server and no configuration needed.
* `docker`: see `dbci.stages.build.docker_provisioner`.
"""

from __future__ import annotations

import atexit
import dataclasses
import os
import shutil
import signal
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbci import cancel
from dbci.engines import open_database
from dbci.errors import DatabaseUnavailable, InputError
from dbci.log import Log, quiet
from dbci.settings.config import Settings
from dbci.settings.urls import DatabaseUrl, parse_database_url

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
        from dbci.stages.build.docker_provisioner import docker_database

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
    # Created and then handed over whole: a signal between the two must not leave a
    # database behind that nothing drops.
    with cancel.cleaning_up():
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
        try:
            server = _start_pgserver(directory)
        except BaseException:
            # Cut off while it started (a signal): pgserver may have started the server
            # without handing it over.
            with cancel.cleaning_up():
                _stop_postmaster(directory / "pgdata")
            raise
        try:
            url = parse_database_url(
                server.get_uri("postgres"), base_dir=directory, where="the embedded PostgreSQL"
            )
            yield _built(settings, url, "embedded", log)
        finally:
            with cancel.cleaning_up():
                _stop_embedded(server, directory / "pgdata")
    finally:
        if keep:
            log(f"Kept the build database files in {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


def _stop_embedded(server: Any, pgdata: Path) -> None:
    """Stop the embedded server, whose data is thrown away next: an immediate shutdown,
    not pgserver's `pg_ctl stop` (a checkpoint, under a lock that every pgserver on the
    machine shares, so that one build's teardown waits for another's initdb). pgserver is
    then told there is nothing left to stop at exit."""
    _stop_postmaster(pgdata)
    cleanup = getattr(server, "_cleanup", None)
    if cleanup is not None:
        atexit.unregister(cleanup)
    else:  # another pgserver than the one this was written for: its own way
        server.cleanup()


def _stop_postmaster(pgdata: Path, wait_seconds: float = 5.0) -> None:
    """Stop a PostgreSQL still running in `pgdata` (its `postmaster.pid`), at once: an
    immediate shutdown (SIGQUIT), as `pg_ctl stop -m immediate` sends; the data is thrown
    away next. Nothing when none runs there."""
    lockfile = pgdata / "postmaster.pid"
    try:
        pid = int(lockfile.read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, signal.SIGQUIT)
    except ProcessLookupError:
        return
    except PermissionError:  # not ours (pgserver runs it as its own user under root)
        pass
    # Done when the postmaster has removed its lock file on the way out, or is gone (a
    # dead process that its parent has not reaped yet counts as gone).
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline and lockfile.exists() and _running(pid):
        time.sleep(0.01)


def _running(pid: int) -> bool:
    """Whether process `pid` runs (a zombie does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return not Path("/proc").is_dir()  # /proc had no entry: gone
    return state not in ("Z", "X")


def _start_pgserver(directory: Path) -> Any:
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
