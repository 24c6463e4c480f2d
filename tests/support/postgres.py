"""Real PostgreSQL servers for tests and scripts: never mocks.

* `open_cluster()` gives the session's server: the one named by `DBCI_TEST_POSTGRES_URL`
  when it answers, else an embedded server started with `pgserver` (real PostgreSQL binaries
  from its wheel) in a fresh directory under the system temp dir. Under `CI=true` an
  unreachable `DBCI_TEST_POSTGRES_URL` raises `PostgresUnavailable` instead of falling back.
* `PgCluster.scratch_database()` creates a uniquely named empty database and drops it after.
* `password_server()` runs a separate cluster that demands a scram-sha-256 password over TCP.

All URLs handed out are SQLAlchemy URLs using the psycopg 3 driver (`postgresql+psycopg://`).
When running as root, PostgreSQL (which refuses to run as root) is run as the unprivileged
system user `pgserver`, created if needed, exactly as `pgserver` itself does.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from .ci import running_in_ci

ENV_URL = "DBCI_TEST_POSTGRES_URL"
MAINTENANCE_DB = "postgres"
SCRATCH_PREFIX = "dbci_t_"
SYSTEM_USER = "pgserver"  # the user pgserver runs PostgreSQL as when started by root
CONNECT_TIMEOUT = 10


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be provided; the tests needing one must fail, not skip."""


# --- URLs ---------------------------------------------------------------------------------


def _parse(url: str | URL) -> URL:
    """Parse a PostgreSQL URL (`postgres://`, `postgresql://`, `postgresql+<driver>://`)."""
    parsed = make_url(url)
    if parsed.drivername.split("+", 1)[0] not in {"postgres", "postgresql"}:
        raise ValueError(f"not a PostgreSQL URL: {parsed!r}")  # repr hides the password
    return URL.create(
        "postgresql+psycopg",
        username=parsed.username,
        password=parsed.password or None,  # pgserver writes "user:@", meaning no password
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )


def _render(url: URL, drivername: str = "postgresql+psycopg") -> str:
    """Render `url` readably (`?host=/socket/dir`); percent-escapes that libpq also reads."""
    bare = URL.create(
        drivername,
        username=url.username,
        password=url.password,
        host=url.host,
        port=url.port,
        database=url.database,
    ).render_as_string(hide_password=False)
    query = "&".join(f"{quote(k)}={quote(str(v), safe='/')}" for k, v in url.query.items())
    return f"{bare}?{query}" if query else bare


def sqlalchemy_url(url: str | URL, database: str | None = None) -> str:
    """The `postgresql+psycopg://` form of a PostgreSQL URL, optionally for another database."""
    parsed = _parse(url)
    if database is not None:
        parsed = parsed.set(database=database)
    return _render(parsed)


def libpq_url(url: str | URL) -> str:
    """The plain libpq form (`postgresql://...`) of a PostgreSQL URL, for psycopg or psql."""
    return _render(_parse(url), "postgresql")


def redact(url: str | URL) -> str:
    """The URL with its password replaced by `***`, safe to print."""
    return make_url(url).render_as_string(hide_password=True)


def connect(url: str | URL, **kwargs: Any) -> psycopg.Connection[Any]:
    """Open a psycopg connection from a SQLAlchemy-style URL (connect timeout 10 s)."""
    kwargs.setdefault("connect_timeout", CONNECT_TIMEOUT)
    return psycopg.connect(libpq_url(url), **kwargs)


def unreachable_reason(url: str | URL) -> str | None:
    """None if `SELECT 1` works on `url`, else the (one-line) reason it does not."""
    try:
        with connect(url, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as err:
        return " ".join(str(err).split()) or type(err).__name__
    return None


# --- The session's server -----------------------------------------------------------------


class PgCluster:
    """A running PostgreSQL server: its admin URL and fast scratch databases on it."""

    def __init__(self, admin_url: str, *, source: str, stop: Callable[[], None] | None = None):
        """Wrap the server reachable at `admin_url`; `stop` (if any) shuts it down on close."""
        self.admin_url = sqlalchemy_url(admin_url, MAINTENANCE_DB)
        self.source = source
        self._stop = stop
        self._conn: psycopg.Connection[Any] | None = None

    def admin_connection(self) -> psycopg.Connection[Any]:
        """An autocommit connection to the maintenance database, reused (reopened if broken)."""
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = connect(self.admin_url, autocommit=True)
        return self._conn

    def database_url(self, database: str) -> str:
        """The SQLAlchemy URL of `database` on this server."""
        return sqlalchemy_url(self.admin_url, database)

    def create_database(self, prefix: str = SCRATCH_PREFIX) -> str:
        """Create an empty database named `<prefix><8 hex>` and return its name."""
        name = f"{prefix}{secrets.token_hex(4)}"
        self.admin_connection().execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        """Drop `name` if it exists, terminating any sessions still connected to it."""
        conn = self.admin_connection()
        ident = sql.Identifier(name)
        if conn.info.server_version >= 130000:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
            return
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(ident))

    @contextmanager
    def scratch_database(self) -> Iterator[str]:
        """Yield the URL of a fresh empty database; drop it afterwards."""
        name = self.create_database()
        try:
            yield self.database_url(name)
        finally:
            self.drop_database(name)

    def close(self) -> None:
        """Close the admin connection and stop the server if this object started it."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        stop, self._stop = self._stop, None
        if stop is not None:
            stop()


def open_cluster() -> PgCluster:
    """The server for a test session: `DBCI_TEST_POSTGRES_URL` if it answers, else embedded.

    Raises `PostgresUnavailable` if the URL is set but unreachable under CI, or if the
    embedded server cannot be started.
    """
    env_url = os.environ.get(ENV_URL, "").strip()
    if env_url:
        admin_url = sqlalchemy_url(env_url, MAINTENANCE_DB)
        reason = unreachable_reason(admin_url)
        if reason is None:
            return PgCluster(admin_url, source=f"{ENV_URL} ({redact(admin_url)})")
        message = f"{ENV_URL}={redact(env_url)} cannot be reached: {reason}"
        if running_in_ci():
            raise PostgresUnavailable(
                f"{message} -- CI=true, so this is a failure (no fallback, no skip)"
            )
        warnings.warn(f"{message}; falling back to an embedded pgserver", stacklevel=2)
    return start_embedded()


def _import_pgserver() -> Any:
    """Import pgserver, silencing platformdirs' warning about a missing XDG_RUNTIME_DIR."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import pgserver
            import pgserver._commands
            import pgserver.utils
        except ImportError as err:
            raise PostgresUnavailable(
                "pgserver is not installed (pip install -e '.[test]'), and it is needed"
                f" when {ENV_URL} is unset or when running as root"
            ) from err
    return pgserver


def start_embedded() -> PgCluster:
    """Start a pgserver cluster in a new temp directory; closing the result stops and deletes it.

    It listens only on a unix socket inside its data directory. fsync is turned off (the
    data is throwaway), so commits and DDL in tests do not wait for the disk.
    """
    pgserver = _import_pgserver()
    base = Path(tempfile.mkdtemp(prefix="dbci-pgserver-"))
    try:
        server = pgserver.get_server(base / "pgdata", cleanup_mode="stop")
    except Exception as err:
        shutil.rmtree(base, ignore_errors=True)
        raise PostgresUnavailable(f"the embedded pgserver did not start in {base}: {err}") from err

    def stop() -> None:
        try:
            server.cleanup()
        finally:
            shutil.rmtree(base, ignore_errors=True)

    cluster = PgCluster(
        server.get_uri(MAINTENANCE_DB), source=f"embedded pgserver in {base}", stop=stop
    )
    try:
        conn = cluster.admin_connection()
        conn.execute("ALTER SYSTEM SET fsync = off")
        conn.execute("SELECT pg_reload_conf()")
    except BaseException:
        cluster.close()
        raise
    return cluster


# --- A second cluster that demands a password ---------------------------------------------


@dataclass(frozen=True)
class PasswordServer:
    """Where the password-protected cluster listens, and the login it accepts."""

    host: str
    port: int
    user: str
    password: str
    database: str

    def url(self, password: str | None = None) -> str:
        """`postgresql+psycopg://user:<password>@host:port/database` (default: the right one)."""
        return URL.create(
            "postgresql+psycopg",
            username=self.user,
            password=self.password if password is None else password,
            host=self.host,
            port=self.port,
            database=self.database,
        ).render_as_string(hide_password=False)


def postgres_bin_dir() -> Path:
    """Directory holding initdb/pg_ctl: pgserver's bundled binaries, else those on PATH."""
    try:
        return Path(_import_pgserver()._commands.POSTGRES_BIN_PATH)
    except PostgresUnavailable:
        pass
    found = shutil.which("pg_ctl")
    if found is None:
        raise PostgresUnavailable("no PostgreSQL binaries: install pgserver or put pg_ctl on PATH")
    return Path(found).parent


def _unprivileged_owner(bin_dir: Path, base: Path) -> tuple[int, int] | None:
    """(uid, gid) to run PostgreSQL as when we are root, else None.

    Mirrors pgserver: ensure the system user `pgserver` exists, make the binaries and the
    path to `base` readable/traversable for it, and give it `base`.
    """
    if os.name != "posix" or os.geteuid() != 0:
        return None
    utils = _import_pgserver().utils
    entry = utils.ensure_user_exists(SYSTEM_USER)
    read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
    utils.ensure_prefix_permissions(bin_dir)
    utils.ensure_folder_permissions(bin_dir, read | execute)
    if (bin_dir.parent / "lib").is_dir():
        utils.ensure_folder_permissions(bin_dir.parent / "lib", read)
    utils.ensure_prefix_permissions(base)
    os.chown(base, entry.pw_uid, entry.pw_gid)
    return entry.pw_uid, entry.pw_gid


def _run(cmd: list[str], owner: tuple[int, int] | None, cwd: Path) -> None:
    """Run a PostgreSQL tool (as `owner` if given); raise PostgresUnavailable with its output.

    Output goes to a temporary file, not a pipe: a postmaster started by pg_ctl could
    inherit a pipe and keep it open.
    """
    as_user: dict[str, Any] = {}
    if owner is not None:
        as_user = {"user": owner[0], "group": owner[1], "extra_groups": []}
    with tempfile.TemporaryFile("w+") as out:
        done = subprocess.run(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            cwd=cwd,
            timeout=120,
            check=False,
            **as_user,
        )
        if done.returncode != 0:
            out.seek(0)
            raise PostgresUnavailable(
                f"{Path(cmd[0]).name} failed (exit {done.returncode}): {out.read().strip()}"
            )


def _free_port(host: str) -> int:
    """A TCP port on `host` that nothing listens on right now."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def password_server(
    user: str = "dbci",
    password: str = "s3cret-pw",
    database: str = "dbci",
    *,
    createdb: bool = False,
) -> Iterator[PasswordServer]:
    """Run a separate cluster requiring scram-sha-256 passwords on 127.0.0.1:<free port>.

    `user`/`password` owns `database` (and may create more with `createdb`, for a build
    database or the `create-database` provisioner). No unix socket, no trust: every login
    needs the password. The cluster is stopped and its directory deleted on exit.
    """
    host = "127.0.0.1"
    bin_dir = postgres_bin_dir()
    base = Path(tempfile.mkdtemp(prefix="dbci-pgpw-"))
    pgdata, log = base / "data", base / "postgres.log"
    superuser = PasswordServer(
        host, _free_port(host), "postgres", secrets.token_hex(16), MAINTENANCE_DB
    )
    owner: tuple[int, int] | None = None
    started = False
    try:
        owner = _unprivileged_owner(bin_dir, base)
        pwfile = base / "superuser.pw"
        pwfile.write_text(superuser.password + "\n")
        if owner is not None:
            os.chown(pwfile, *owner)
        _run(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(pgdata),
                "-U",
                "postgres",
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            owner,
            base,
        )
        pwfile.unlink()
        with (pgdata / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nlisten_addresses = '{host}'\nport = {superuser.port}\n"
                "unix_socket_directories = ''\nfsync = off\n"
            )
        try:
            _run(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(pgdata),
                    "-l",
                    str(log),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
                owner,
                base,
            )
        except PostgresUnavailable as err:
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise PostgresUnavailable(f"{err}\n--- {log} ---\n{tail}") from err
        started = True
        with connect(superuser.url(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN {} PASSWORD {}").format(
                    sql.Identifier(user),
                    sql.SQL("CREATEDB" if createdb else "NOCREATEDB"),
                    sql.Literal(password),
                )
            )
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(database), sql.Identifier(user)
                )
            )
        yield PasswordServer(host, superuser.port, user, password, database)
    finally:
        try:
            if started:
                _run(
                    [str(bin_dir / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"],
                    owner,
                    base,
                )
        finally:
            shutil.rmtree(base, ignore_errors=True)


def enter_password_server(stack: ExitStack, **options: Any) -> PasswordServer:
    """`password_server(**options)`, entered on `stack`; a cluster that cannot start fails
    the test with one clean line (raised outside `except`, so with no chained traceback)."""
    import pytest

    try:
        return stack.enter_context(password_server(**options))
    except PostgresUnavailable as err:
        problem = str(err)
    pytest.fail(f"password-protected PostgreSQL unavailable: {problem}", pytrace=False)


def sleeping_backend(connection: Any, process: Any, timeout: float = 60) -> int:
    """The pid of a session of `connection`'s database that runs `pg_sleep` (a test's slow
    migration), once one does; fails the test when `process` (a Popen) ends first or none
    does within `timeout`. A batch of migrations is one query text, so the wait event, not
    the query, says what runs."""
    import pytest

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep' "
            "AND datname = current_database()"
        ).fetchone()
        if row:
            return int(row[0])
        if process.poll() is not None:
            pytest.fail(f"it ended before its slow statement ran: {process.communicate()}")
        time.sleep(0.05)
    process.kill()
    pytest.fail("the slow statement never ran")
