"""What the benchmarks in bench/ share: the interpreter, server URLs and servers, timed
processes, medians and the command line's small helpers.

Not a benchmark itself: each `bench/<name>.py` imports it as `_bench` (a script's own folder
is first on `sys.path`, whether it is run as `python bench/<name>.py` or `./bench/<name>.py`).
It imports nothing heavy: psycopg and pgserver are imported where they are used.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any
from urllib.parse import unquote, urlsplit, urlunsplit

PG_ENV_URL = "DBCI_BENCH_POSTGRES_URL"
PG_FALLBACK_ENV_URL = "DBCI_TEST_POSTGRES_URL"
MYSQL_ENV_URL = "DBCI_BENCH_MYSQL_URL"
MYSQL_FALLBACK_ENV_URL = "DBCI_TEST_MYSQL_URL"
MYSQL_DEFAULT_URL = "mysql://root@127.0.0.1:3306/test"
HISTORY_TABLE = "flyway_schema_history"
REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT_TAIL = 2000  # characters of a failed process's output shown in the error
STOP_GRACE_S = 30.0  # how long an interrupted child's group gets to stop and clean up
READER_GRACE_S = 5.0  # how long to wait for the end of a finished process's stderr


class BenchError(Exception):
    """The benchmark cannot go on (a process failed or a sanity check did not hold)."""

    exit_code = 1  # the script's exit code when this ends it (see `guarded`)


# --- Interpreter ---------------------------------------------------------------------------


def ensure_dbci_importable() -> None:
    """Re-run the running script with the repository's venv Python if this one cannot
    import dbci.

    `#!/usr/bin/env python3` may pick a Python without dbci; dbci is run as
    `sys.executable -m dbci` (and SQLFluff from the same bin folder), so the interpreter
    matters.
    """
    if importlib.util.find_spec("dbci") is not None:
        return
    venv = REPO_ROOT / ".venv"
    venv_python = venv / "bin" / "python"
    if venv_python.is_file() and Path(sys.prefix).resolve() != venv.resolve():
        script = getattr(sys.modules["__main__"], "__file__", None) or sys.argv[0]
        os.execv(str(venv_python), [str(venv_python), script, *sys.argv[1:]])
    sys.exit(f"error: {sys.executable} cannot import dbci; run this with dbci's Python")


def byte_compile(names: Iterable[str]) -> None:
    """Byte-compile the packages `names`, as pip does when it installs a package.

    An editable install, or a shell with PYTHONDONTWRITEBYTECODE=1, leaves no (or stale)
    .pyc files: every dbci run would then compile its sources again, which a user's
    installed dbci does not do. py_compile writes the files whatever that variable says.
    A name that cannot be found (or imported to be found) is passed over.
    """
    for name in names:
        with suppress(ImportError, ValueError):
            spec = importlib.util.find_spec(name)
            if spec is not None and spec.submodule_search_locations:
                for folder in spec.submodule_search_locations:
                    compileall.compile_dir(folder, quiet=1)


BYTE_COMPILE_CHILD = """
import compileall, importlib.util, sys
for name in sys.argv[1:]:
    spec = importlib.util.find_spec(name)
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            compileall.compile_dir(folder, quiet=1)
"""


def byte_compile_in_child(names: Sequence[str]) -> None:
    """`byte_compile`, in a child process: compiling here would grow this process's peak
    RSS, which every process it starts inherits as the floor of its own (see
    `spawn_floor_mb`)."""
    cmd = [sys.executable, "-c", BYTE_COMPILE_CHILD, *names]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"byte-compiling failed:\n{done.stderr[-OUTPUT_TAIL:].strip()}")


def cores() -> int:
    """The CPUs this process may run on (what dbci sizes its pools of workers by)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def write_migrations(project: Path, count: int, sql: Callable[[int], str]) -> list[Path]:
    """Write `migrations/V1__step_1.sql` ... `V<count>__step_<count>.sql`, each `sql(step)`,
    under `project`; return them in order."""
    folder = project / "migrations"
    folder.mkdir(parents=True)
    files = []
    for step in range(1, count + 1):
        path = folder / f"V{step}__step_{step}.sql"
        path.write_text(sql(step), encoding="utf-8")
        files.append(path)
    return files


# --- Server URLs ---------------------------------------------------------------------------


def url_setting(option: str | None, names: Sequence[str]) -> tuple[str, str] | None:
    """(URL, where it came from): the `--url` option, else the first of the environment
    variables `names` that is set; None if none is."""
    if option:
        return option, "--url"
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value, f"${name}"
    return None


def libpq_url(url: str) -> str:
    """The plain libpq form of a PostgreSQL URL (drops a SQLAlchemy `+driver` suffix)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in {"postgresql", "postgres"}:
        raise BenchError(f"not a PostgreSQL URL (scheme {parts.scheme!r})")
    return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, parts.fragment))


def with_database(url: str, database: str) -> str:
    """`url` pointing at `database` instead (keeps user, host and query such as `?host=`)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def redact(url: str) -> str:
    """`url` with any password replaced by `***`, safe to print."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hostinfo}"))


@dataclass(frozen=True)
class MysqlUrl:
    """A MySQL URL taken apart: what the clients need, and dbci's URL of any database."""

    url: str
    host: str
    port: int
    user: str | None
    password: str | None

    @classmethod
    def parse(cls, text: str) -> MysqlUrl:
        """Parse `mysql://user[:password]@host[:port]/db` (`mariadb:`, `+driver` allowed)."""
        parts = urlsplit(text.strip())
        scheme = parts.scheme.split("+", 1)[0]
        if scheme not in {"mysql", "mariadb"}:
            raise BenchError(f"not a MySQL URL (scheme {parts.scheme!r})")
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password else None
        return cls(text.strip(), parts.hostname or "127.0.0.1", parts.port or 3306, user, password)

    def with_database(self, database: str) -> str:
        """dbci's URL of `database` on this server (keeps user, password, host and query)."""
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))

    def redacted(self) -> str:
        """The URL with any password replaced by `***`, safe to print."""
        return redact(self.url)

    def client_args(self) -> list[str]:
        """Connection options for mysql and mysqldump (TCP; the password goes by MYSQL_PWD)."""
        args = ["--protocol=TCP", "-h", self.host, "-P", str(self.port)]
        return args + (["-u", self.user] if self.user else [])

    def client_env(self) -> dict[str, str]:
        """The clients' environment: the password in MYSQL_PWD, never on the command line."""
        env = dict(os.environ)
        env.pop("MYSQL_PWD", None)
        if self.password:
            env["MYSQL_PWD"] = self.password
        return env


def mysql_url(option: str | None) -> tuple[MysqlUrl, str]:
    """(the MySQL server's URL, where it came from): --url, the env vars, or the default."""
    given = url_setting(option, (MYSQL_ENV_URL, MYSQL_FALLBACK_ENV_URL))
    if given is not None:
        return MysqlUrl.parse(given[0]), given[1]
    return MysqlUrl.parse(MYSQL_DEFAULT_URL), "default"


# --- PostgreSQL server ---------------------------------------------------------------------


def import_pgserver() -> Any:
    """Import pgserver, silencing platformdirs' warning about a missing XDG_RUNTIME_DIR."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import pgserver
            import pgserver._commands
        except ImportError as err:
            raise BenchError(
                f"no server given (--url, ${PG_ENV_URL}, ${PG_FALLBACK_ENV_URL}) and pgserver"
                " is not installed"
            ) from err
    return pgserver


def find_psql(explicit: str | None) -> str:
    """The psql to use: `--psql`, else the one on PATH, else pgserver's bundled one."""
    if explicit:
        return explicit
    found = shutil.which("psql")
    if found:
        return found
    try:
        bundled = Path(import_pgserver()._commands.POSTGRES_BIN_PATH) / "psql"
    except BenchError:
        bundled = None
    if bundled is None or not bundled.is_file():
        raise BenchError("psql is neither on PATH nor bundled with pgserver; pass --psql")
    return str(bundled)


@contextmanager
def embedded_server(base: Path | None = None, *, what: str = "embedded server") -> Iterator[str]:
    """Start a pgserver cluster under `base`; yield its admin URL; stop it after.

    With no `base`, the cluster goes in a temporary folder of its own, deleted after;
    otherwise its files go with the benchmark's temporary folder. `what` names the server
    in the error if it does not start.
    """
    pgserver = import_pgserver()
    folder = Path(tempfile.mkdtemp(prefix="dbci-bench-pg-")) if base is None else base
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs: no XDG_RUNTIME_DIR on CI machines
            try:
                server = pgserver.get_server(folder / "pgdata", cleanup_mode="stop")
            except Exception as err:  # pgserver raises whatever initdb or pg_ctl left it with
                raise BenchError(f"the {what} did not start: {err}") from err
        try:
            yield str(server.get_uri("postgres"))
        finally:
            server.cleanup()
    finally:
        if base is None:
            shutil.rmtree(folder, ignore_errors=True)


def server_url(
    option: str | None,
    stack: ExitStack,
    base: Path | None = None,
    *,
    what: str = "embedded server",
) -> tuple[str, str]:
    """(admin libpq URL, where it came from): --url, the env vars, or an embedded server
    (see `embedded_server`)."""
    given = url_setting(option, (PG_ENV_URL, PG_FALLBACK_ENV_URL))
    if given is not None:
        return libpq_url(given[0]), given[1]
    url = stack.enter_context(embedded_server(base, what=what))
    return libpq_url(url), "embedded pgserver"


@dataclass
class Cluster:
    """A PostgreSQL server, reached with psycopg, and the databases made on it."""

    admin_url: str
    prefix: str = "dbci_bench_"  # of the databases made: `<prefix><pid>_<n>`
    created: list[str] = field(default_factory=list)

    def execute(self, sql: str, database: str | None = None) -> list[tuple[Any, ...]]:
        """Run `sql` (one statement, or a whole script) in autocommit on `database`
        (default: the admin one); return any rows."""
        import psycopg

        url = self.admin_url if database is None else self.url(database)
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                cursor = conn.execute(sql)
                return cursor.fetchall() if cursor.description else []
        except psycopg.Error as err:
            where = database or "admin database"
            raise BenchError(f"{where}: {str(err).strip()}") from err

    def create_database(self) -> str:
        """Create a fresh empty database `<prefix><pid>_<n>`; return its name."""
        name = f"{self.prefix}{os.getpid()}_{len(self.created) + 1}"
        self.execute(f'DROP DATABASE IF EXISTS "{name}"')
        self.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return name

    def drop_database(self, name: str) -> None:
        """Drop `name`, ending any session still connected to it."""
        self.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            f" WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        )
        self.execute(f'DROP DATABASE IF EXISTS "{name}"')
        self.created.remove(name)

    def drop_all(self) -> None:
        """Drop every database still left; report (not raise) a failure to drop one."""
        drop_all(self)

    def url(self, database: str) -> str:
        """The libpq URL of `database` on this server."""
        return with_database(self.admin_url, database)


@dataclass
class PsqlCluster(Cluster):
    """A PostgreSQL server reached with psql (the reference client of the benchmarks that
    compare dbci with it), and the databases made on it."""

    psql: str = "psql"

    def execute(self, sql: str, database: str | None = None) -> str:  # type: ignore[override]
        """Run `sql` with psql on `database` (default: the admin one); return unaligned rows."""
        url = self.admin_url if database is None else self.url(database)
        cmd = [self.psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql, url]
        return run_ok(cmd).stdout.strip()


def drop_all(server: Any) -> None:
    """Drop every database `server` made and still has; report (not raise) a failure to
    drop one."""
    for name in list(server.created):
        try:
            server.drop_database(name)
        except BenchError as err:
            print(f"warning: could not drop database {name}: {err}", file=sys.stderr)


def process_cmdline(pid: int) -> str | None:
    """The command line of process `pid` (Linux /proc), or None if it is not running."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, UnicodeDecodeError):
        return None


def stop_leftover_servers(root: Path) -> None:
    """Stop any PostgreSQL still running from a data dir under `root` (a dbci killed before
    it could stop its embedded server): an immediate shutdown (SIGQUIT) of its postmaster,
    found by the pid in its `postmaster.pid` and checked against its command line."""
    for pidfile in root.rglob("postmaster.pid"):
        with suppress(OSError, ValueError, IndexError):
            pid = int(pidfile.read_text().splitlines()[0])
            cmdline = process_cmdline(pid)
            if cmdline is None or str(pidfile.parent) not in cmdline:
                continue
            print(
                f"warning: stopping the leftover server {pid} ({pidfile.parent})", file=sys.stderr
            )
            os.kill(pid, signal.SIGQUIT)
            deadline = time.monotonic() + 10
            while process_cmdline(pid) is not None and time.monotonic() < deadline:
                time.sleep(0.1)


# --- Processes -----------------------------------------------------------------------------


def dbci_env(tmp: Path | None = None) -> dict[str, str]:
    """This environment without `DBCI_*` variables (the project and the command line alone
    decide what dbci does); with `tmp`, TMPDIR in the benchmark's own folder, so whatever a
    child leaves there (an embedded server's temp dir) is deleted with that folder whatever
    happens to it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBCI_")}
    if tmp is not None:
        env["TMPDIR"] = str(tmp)
    return env


@dataclass(frozen=True)
class Finished:
    """One finished process: wall-clock s, its own CPU s (user + sys, with the children it
    waited for), peak RSS MB, its output, its exit code, and (when its stderr was read
    line by line) when each stderr line arrived (s after the start)."""

    wall: float
    cpu: float
    peak_mb: float
    stdout: str
    stderr: str
    returncode: int
    lines: tuple[tuple[float, str], ...] = ()

    def tail(self) -> str:
        """The end of its output, for an error message."""
        return (self.stdout + self.stderr)[-OUTPUT_TAIL:].strip()


def kill_process(proc: subprocess.Popen[bytes]) -> None:
    """Kill an interrupted child (SIGKILL) and reap it."""
    with suppress(OSError):
        proc.kill()
        proc.wait()


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill an interrupted child's whole process group (SIGKILL), so no worker of it is
    left behind, and reap the child."""
    with suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop an interrupted child's process group: SIGINT first, so it can clean up (dbci
    stops its embedded server and deletes its files, or rolls back and closes its
    connection), then SIGKILL if it is still running after the grace."""
    with suppress(OSError):
        os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        with suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def read_lines(stream: IO[bytes], started: float, into: list[tuple[float, str]]) -> None:
    """Read `stream` to its end, noting when each line arrived (s after `started`).

    Python's stderr is line-buffered even into a pipe, so a line arrives when dbci writes it.
    """
    for raw in iter(stream.readline, b""):
        into.append((time.perf_counter() - started, raw.decode("utf-8", errors="replace")))


def run_process(
    cmd: Sequence[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    stdin: Path | None = None,
    group: bool = False,
    stop: Callable[[subprocess.Popen[bytes]], None] = kill_process,
    stderr_lines: bool = False,
    watch: Callable[[int, float], Callable[[], None]] | None = None,
) -> Finished:
    """Run `cmd` (stdin from the file `stdin`, else empty) and time it, whatever its exit.

    stdout goes to a temporary file (not a pipe), so the timing is the process's alone;
    stderr too, unless `stderr_lines`: then to a pipe that a thread reads line by line as it
    comes, to time the process's phases from its progress lines. Neither can make the
    process wait. `os.wait4` gives this one child's own CPU time (with its workers' and
    helpers', not the servers' work) and maximum resident set size. With `group` the child
    leads a process group of its own. On an error, Ctrl-C or SIGTERM, `stop(proc)` ends it.
    `watch(pid, started)`, if given, is called once the child is started and returns what
    to call once it has ended.
    """
    lines: list[tuple[float, str]] = []
    with ExitStack() as files:
        out = files.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace"))
        err: Any = subprocess.PIPE
        if not stderr_lines:
            err = files.enter_context(
                tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")
            )
        source: Any = files.enter_context(stdin.open("rb")) if stdin else subprocess.DEVNULL
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=err,
            stdin=source,
            cwd=cwd,
            env=env,
            start_new_session=group,
        )
        reader = None
        if stderr_lines:
            assert proc.stderr is not None
            reader = threading.Thread(
                target=read_lines, args=(proc.stderr, started, lines), daemon=True
            )
            reader.start()
        done = watch(proc.pid, started) if watch is not None else None
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            stop(proc)
            raise
        finally:
            if done is not None:
                done()
        wall = time.perf_counter() - started
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if reader is not None:
            assert proc.stderr is not None
            reader.join(READER_GRACE_S)  # a worker left behind may still hold the pipe
            if not reader.is_alive():
                proc.stderr.close()
            stderr = "".join(line for _, line in lines)
        else:
            err.seek(0)
            stderr = err.read()
        out.seek(0)
        stdout = out.read()
    cpu = usage.ru_utime + usage.ru_stime
    peak_mb = usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux
    return Finished(wall, cpu, peak_mb, stdout, stderr, code, tuple(lines))


def run_ok(
    cmd: Sequence[str],
    *,
    cwd: Path | None = None,
    stdin: Path | None = None,
    env: dict[str, str] | None = None,
    watch: Callable[[int, float], Callable[[], None]] | None = None,
) -> Finished:
    """`run_process` (stdin from the file `stdin`, else empty); raise if it fails, naming
    it dbci when it is `python -m dbci`, else by its program."""
    timing = run_process(cmd, cwd=cwd, env=env, stdin=stdin, watch=watch)
    if timing.returncode != 0:
        name = "dbci" if list(cmd[1:3]) == ["-m", "dbci"] else Path(cmd[0]).name
        raise BenchError(f"{name} exited with {timing.returncode}:\n{timing.tail()}")
    return timing


def run_child(
    what: str, cmd: Sequence[str], *, cwd: Path, tmp: Path, ok: Sequence[int] | None = (0,)
) -> Finished:
    """Run `cmd` (`what`, for messages) as dbci's benchmarks of whole stages do, and time
    it. Raise BenchError if it exits with a code not in `ok` (None: the caller looks at the
    exit code itself).

    Its environment is `dbci_env(tmp)`; its stderr is read line by line as it comes, to time
    the process's phases from its progress lines; it leads a process group of its own: on
    an error, Ctrl-C or SIGTERM the group is stopped (see `stop_group`).
    """
    env = dbci_env(tmp)
    timing = run_process(cmd, cwd=cwd, env=env, group=True, stop=stop_group, stderr_lines=True)
    if ok is not None and timing.returncode not in ok:
        raise BenchError(f"{what} exited with {timing.returncode}:\n{timing.tail()}")
    return timing


def spawn_floor_mb() -> float:
    """The peak RSS `os.wait4` reports for a process that does nothing, MB.

    On Linux a child's maximum RSS starts at its parent's peak RSS (subprocess spawns it
    with vfork, and exec keeps the old memory's high-water mark), so each figure is at
    least this much; dbci's real peak is its figure when that is above the floor.
    """
    return run_process([sys.executable, "-S", "-c", "pass"]).peak_mb


# --- Figures -------------------------------------------------------------------------------


def median(values: Iterable[float]) -> float:
    """The median of `values`."""
    return statistics.median(values)


@dataclass
class Series:
    """The timed runs of one side or one measurement (anything with `wall` and `cpu`
    seconds, and `peak_mb` for the memory figure)."""

    runs: list[Any] = field(default_factory=list)

    @property
    def median(self) -> float:
        """Median wall-clock seconds."""
        return statistics.median(t.wall for t in self.runs)

    @property
    def minimum(self) -> float:
        """Fastest wall-clock seconds."""
        return min(t.wall for t in self.runs)

    @property
    def cpu_median(self) -> float:
        """Median CPU seconds of the client process."""
        return statistics.median(t.cpu for t in self.runs)

    @property
    def peak_mb(self) -> float:
        """Largest peak RSS of any run, MB."""
        return max(t.peak_mb for t in self.runs)

    def as_dict(
        self, *, memory: bool = False, cpu_key: str = "client_cpu_median_s"
    ) -> dict[str, Any]:
        """The figures for the JSON line (seconds, 4 decimals; with `memory`, the peak)."""
        figures: dict[str, Any] = {
            "median_s": round(self.median, 4),
            "min_s": round(self.minimum, 4),
            "runs_s": [round(t.wall, 4) for t in self.runs],
            cpu_key: round(self.cpu_median, 4),
        }
        if memory:
            figures["peak_rss_mb"] = round(self.peak_mb, 1)
        return figures


def phases_from_lines(
    timing: Finished, phases: Sequence[tuple[str, re.Pattern[str] | None, str, str]]
) -> dict[str, float] | None:
    """How long each of `phases` (key, pattern of the stderr line that ends it, label, what
    it holds) took, from when that line arrived; the last one (no pattern) ends when the
    process does. None if a line is missing."""
    found: dict[str, float] = {}
    previous = 0.0
    lines = iter(timing.lines)
    for key, pattern, _, _ in phases:
        if pattern is None:
            ended = timing.wall
        else:
            ended = next((t for t, line in lines if pattern.search(line)), None)
            if ended is None:
                return None
        found[key] = ended - previous
        previous = ended
    return found


def print_medians(rows: Sequence[Sequence[str]]) -> None:
    """Print `medians:` and a table of rows (what, figure, detail, target; the last ones
    may be left out): the first and third columns left-aligned, the figures right-aligned."""
    table = [(*row, "", "")[:4] for row in rows]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    print("medians:")
    for row in table:
        line = f"  {row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}"
        print(line.rstrip())


def verdict(ok: bool) -> str:
    """How a median compares with its target."""
    return "ok" if ok else "MISSED"


# --- Command line --------------------------------------------------------------------------


PG_URL_HELP = (
    f"libpq URL of an admin database (default: ${PG_ENV_URL}, else ${PG_FALLBACK_ENV_URL},"
    " else an embedded pgserver)"
)


def migrations_parser(
    prog: str, description: str, *, url_help: str = PG_URL_HELP, repeat: int = 3, of: str = "side"
) -> argparse.ArgumentParser:
    """The command line of a benchmark on generated migrations: `--url`, `--migrations`
    (500), `--repeat` (runs of each `of`, alternating) and `--json`; the script adds its
    own options after them."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--url", help=url_help)
    parser.add_argument(
        "--migrations", type=positive_int, default=500, help="migrations to generate (500)"
    )
    parser.add_argument(
        "--repeat",
        type=positive_int,
        default=repeat,
        help=f"runs of each {of} ({repeat}), alternating",
    )
    parser.add_argument("--json", action="store_true", help="also print a JSON line of figures")
    return parser


def int_at_least(minimum: int) -> Callable[[str], int]:
    """argparse type: an integer >= `minimum`."""

    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        return value

    return parse


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    return int_at_least(1)(text)


def guarded(body: Callable[[ExitStack], int | None]) -> int:
    """Run a benchmark's `body(stack)` and return the script's exit code: what `body`
    returns (0 for None); on a BenchError, the error's message and its `exit_code` (1);
    130 on Ctrl-C. SIGTERM ends it as Ctrl-C does not, with SystemExit, after `stack` (the
    databases, servers and files it holds) is cleaned up either way."""
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    try:
        with ExitStack() as stack:
            code = body(stack)
    except BenchError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return code or 0


def exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM into SystemExit so the databases, servers and files are still cleaned
    up."""
    raise SystemExit(128 + signum)
