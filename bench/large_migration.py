#!/usr/bin/env python3
"""Measure dbci's peak memory applying one large generated migration, against psql.

One run generates a single versioned migration, `V1__large.sql`, of `--size-mb` MB
(default 200): a `CREATE TABLE`, then rows as `INSERT INTO ... VALUES (...);` statements,
one row each as `pg_dump --inserts` writes them (or, with `--style multirow`, about 1000
rows each). The data is seeded, so every run writes the same file. Then, each on a fresh
database, it applies the file

* with dbci: `python -m dbci --url <db> --project <dir> migrate`, and
* with psql: `psql -X -q -v ON_ERROR_STOP=1 -1 -f <file> <db>` (one transaction, as dbci
  runs the migration), or with `--engine mysql` the `mysql` client: `mysql <db> < <file>`,

and measures each whole process: its wall-clock time, its own CPU time and its peak
resident set size (`ru_maxrss` from `os.wait4`, cross-checked by sampling the child's
`VmHWM` in `/proc`). It checks the results (dbci's history row succeeded with the file's
Flyway checksum; both databases hold every row, their text intact) and prints dbci's peak
RSS against the file size and against the target of issue 21, "3 x the file + 150 MB",
and dbci's time against the reference client's.

The PostgreSQL server is `--url`, else `$DBCI_BENCH_POSTGRES_URL`, else
`$DBCI_TEST_POSTGRES_URL`, else an embedded server started with `pgserver`; the MySQL one
`--url`, else `$DBCI_BENCH_MYSQL_URL`, else `$DBCI_TEST_MYSQL_URL`, else
`mysql://root@127.0.0.1:3306/test`. The benchmark creates its own `dbci_bench_<pid>_<n>`
databases there and drops them all, even on failure. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from _bench import (
    HISTORY_TABLE,
    MYSQL_DEFAULT_URL,
    MYSQL_ENV_URL,
    MYSQL_FALLBACK_ENV_URL,
    PG_ENV_URL,
    PG_FALLBACK_ENV_URL,
    BenchError,
    MysqlUrl,
    PsqlCluster,
    byte_compile_in_child,
    dbci_env,
    drop_all,
    ensure_dbci_importable,
    find_psql,
    guarded,
    mysql_url,
    redact,
    run_ok,
    server_url,
    spawn_floor_mb,
)

DB_PREFIX = "dbci_bench_"
TABLE = "bench_rows"
MIGRATION = "V1__large.sql"
MB = 1024 * 1024  # every "MB" here is a MiB: file sizes, and ru_maxrss (KiB) / 1024
TARGET_FACTOR = 3  # issue 21: peak RSS <= 3 x the file + 150 MB
TARGET_EXTRA_MB = 150
MULTIROW_ROWS = 1000  # rows per INSERT with --style multirow
DEFAULT_SEED = 21
CHUNK_CHARS = 1 << 20  # the generator writes the file in pieces of about this many characters
SAMPLE_INTERVAL_S = 0.1  # how often the child's /proc/<pid>/status is read
EXIT_MISSING_CLIENT = 2

# The text columns are drawn from these words: quotes (doubled in the SQL) and accented
# Latin-1 letters, as customer data has them. They all lie within U+00FF, so Python holds the
# decoded file at one byte per character; `--text bmp|astral` adds words beyond it (README).
WORDS = tuple(
    """
    order customer invoice shipped pending refund warehouse parcel delivery address street
    account payment received returned note O'Brien it's don't l'été D'Angelo Müller café
    naïve São Paulo Zürich Ålesund Ærø Øresund crème brûlée façade jalapeño 42 7 1999 A-113
    N/A (urgent) re: 100% x and the of
    """.split()
)
# Beyond U+00FF, in the Basic Multilingual Plane: Python holds such text at 2 bytes a
# character. ASTRAL adds one beyond it (an emoji): 4 bytes a character, the whole text.
WIDE_WORDS = tuple("€ 東京 — ’s Łódź Δ".split())
ASTRAL_WORDS = ("😀",)
TEXTS = ("ascii", "bmp", "astral")


class MissingClient(BenchError):
    """The reference client is not installed: exit with 2, as bench/mysql.py does."""

    exit_code = EXIT_MISSING_CLIENT


# --- The migration -------------------------------------------------------------------------


@dataclass(frozen=True)
class Migration:
    """The generated file and what the checks expect of it."""

    path: Path
    size: int  # bytes
    rows: int
    statements: int  # the CREATE TABLE and the INSERTs
    checksum: int  # Flyway's checksum of the file
    text_bytes: int  # UTF-8 bytes of every label and note value, NULLs left out

    @property
    def size_mb(self) -> float:
        """The file's size in MB."""
        return self.size / MB


def sql_literal(text: str) -> str:
    """`text` as a standard SQL string literal: quotes doubled, as pg_dump writes them."""
    return "'" + text.replace("'", "''") + "'"


def text_pool(
    rng: random.Random, count: int, words: Sequence[str], min_words: int, max_words: int
) -> list[tuple[str, int]]:
    """`count` texts of `min_words` to `max_words` words: (SQL literal, UTF-8 bytes of the text).

    Rows pick their text from a pool: drawing every word of every row would make
    generating the file several times slower, and the pool is large enough for the
    server and dbci (neither compresses nor deduplicates anything) to see varied data.
    """
    pool = []
    for _ in range(count):
        text = " ".join(rng.choices(words, k=rng.randint(min_words, max_words)))
        pool.append((sql_literal(text), len(text.encode("utf-8"))))
    return pool


def create_table_sql(engine: str) -> str:
    """The migration's CREATE TABLE, in the engine's types."""
    if engine == "mysql":
        return (
            f"CREATE TABLE {TABLE} (\n"
            "    id integer NOT NULL PRIMARY KEY,\n"
            "    label varchar(255) NOT NULL,\n"
            "    note text,\n"
            "    amount decimal(12, 2),\n"
            "    created_at datetime,\n"
            "    active boolean NOT NULL\n"
            ");\n\n"
        )
    return (
        f"CREATE TABLE public.{TABLE} (\n"
        "    id integer NOT NULL PRIMARY KEY,\n"
        "    label text NOT NULL,\n"
        "    note text,\n"
        "    amount numeric(12, 2),\n"
        "    created_at timestamp without time zone,\n"
        "    active boolean NOT NULL\n"
        ");\n\n"
    )


class RowMaker:
    """Deterministic rows `(id, label, note, amount, created_at, active)` as SQL tuples."""

    def __init__(self, seed: int, *, text: str) -> None:
        self.rng = random.Random(seed)
        words = (
            WORDS
            + (WIDE_WORDS if text != "ascii" else ())
            + (ASTRAL_WORDS if text == "astral" else ())
        )
        self.labels = text_pool(self.rng, 4096, words, 1, 8)  # up to ~70 characters
        self.notes = text_pool(self.rng, 4096, words, 0, 30)  # up to ~230 characters
        self.base = datetime(2019, 1, 1)
        self.text_bytes = 0  # the label and note bytes of every row made so far

    def row(self, row_id: int) -> str:
        """Row `row_id`: `(1, 'label', 'note', 123.45, '2021-03-04 05:06:07', true)`."""
        rng = self.rng
        label, label_bytes = self.labels[rng.randrange(4096)]
        self.text_bytes += label_bytes
        if rng.random() < 0.1:
            note = "NULL"
        else:
            note, note_bytes = self.notes[rng.randrange(4096)]
            self.text_bytes += note_bytes
        cents = rng.randrange(-50_000, 10_000_000)
        amount = "NULL" if rng.random() < 0.05 else f"{cents / 100:.2f}"
        if rng.random() < 0.02:
            created = "NULL"
        else:
            moment = self.base + timedelta(seconds=rng.randrange(5 * 365 * 86_400))
            created = f"'{moment:%Y-%m-%d %H:%M:%S}'"
        active = "true" if rng.random() < 0.7 else "false"
        return f"({row_id}, {label}, {note}, {amount}, {created}, {active})"


def write_migration(
    project: Path, *, size_mb: float, style: str, engine: str, seed: int, text: str
) -> Migration:
    """Write `migrations/V1__large.sql` of at least `size_mb` MB; return what it holds.

    The file is written piece by piece (about 1 MB at a time) and its Flyway checksum
    (CRC32 of the UTF-8 text without line breaks) taken on the way: holding it whole here
    would raise this process's peak RSS, which every child inherits as its floor (see
    `spawn_floor_mb`).
    """
    folder = project / "migrations"
    folder.mkdir(parents=True)
    path = folder / MIGRATION
    target = int(size_mb * MB)
    insert = f"INSERT INTO {TABLE if engine == 'mysql' else 'public.' + TABLE} VALUES"
    maker = RowMaker(seed, text=text)
    kind = "single-row INSERTs" if style == "single" else f"INSERTs of {MULTIROW_ROWS} rows"
    header = (
        f"-- {MIGRATION}: generated by bench/large_migration ({kind}, seed {seed})\n\n"
        + create_table_sql(engine)
    )
    rows = size = crc = 0
    statements = 1  # the CREATE TABLE
    with path.open("wb") as out:
        pieces, chars = [header], len(header)
        while size + chars < target or pieces:
            # Fill a piece: characters <= bytes, so size + chars never overshoots the target
            # by more than the last statement (plus any multi-byte characters in the piece).
            while chars < CHUNK_CHARS and size + chars < target:
                if style == "multirow":
                    values = ",\n".join(maker.row(rows + i + 1) for i in range(MULTIROW_ROWS))
                    statement = f"{insert}\n{values};\n"
                    rows += MULTIROW_ROWS
                else:
                    rows += 1
                    statement = f"{insert} {maker.row(rows)};\n"
                statements += 1
                pieces.append(statement)
                chars += len(statement)
            data = "".join(pieces).encode("utf-8")
            out.write(data)
            crc = zlib.crc32(data.replace(b"\n", b""), crc)
            size += len(data)
            pieces, chars = [], 0
    checksum = crc - (1 << 32) if crc >= (1 << 31) else crc
    return Migration(path, size, rows, statements, checksum, maker.text_bytes)


# --- Processes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """One finished process: wall-clock s, its own CPU s, peak RSS, what /proc showed."""

    wall: float
    cpu: float
    peak_mb: float  # ru_maxrss from os.wait4
    hwm_mb: float | None  # the highest VmHWM sampled from /proc (None: no sample)
    hwm_at: float | None  # seconds after the start when that sample was taken
    trace: tuple[tuple[float, float], ...]  # (seconds, VmRSS MB), one sample a second
    output: str


class RssSampler(threading.Thread):
    """Reads a running child's VmRSS and VmHWM from /proc/<pid>/status every 0.1 s.

    `ru_maxrss` from `os.wait4` is the figure reported: the kernel's own high-water mark,
    over the child's whole life, its last instant included. But it can start from the
    parent's peak (see `spawn_floor_mb`), and it says nothing of *when*. VmHWM belongs to the
    process image after `exec` alone; sampled, it can miss the very end of the process
    (its /proc entry has no memory figures once it has exited), hence both.
    """

    def __init__(self, pid: int, started: float) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.started = started
        self.stop = threading.Event()
        self.hwm_kib = 0
        self.hwm_at: float | None = None
        self.trace: list[tuple[float, float]] = []

    def run(self) -> None:
        """Sample until stopped or the process is gone."""
        status = Path(f"/proc/{self.pid}/status")
        next_trace = 0.0
        while not self.stop.wait(SAMPLE_INTERVAL_S):
            try:
                text = status.read_text()
            except OSError:
                return
            fields = dict(line.split(":", 1) for line in text.splitlines() if line.startswith("Vm"))
            if "VmHWM" not in fields:
                return  # a zombie: the process has exited
            now = time.perf_counter() - self.started
            hwm = int(fields["VmHWM"].split()[0])
            if hwm > self.hwm_kib:
                self.hwm_kib, self.hwm_at = hwm, now
            if now >= next_trace:
                self.trace.append((now, int(fields["VmRSS"].split()[0]) / 1024))
                next_trace += 1.0

    def halt(self) -> None:
        """Stop sampling (the process has ended) and wait for the thread."""
        self.stop.set()
        self.join()


def run(
    cmd: Sequence[str],
    *,
    cwd: Path | None = None,
    stdin: Path | None = None,
    env: dict[str, str] | None = None,
    sample: bool = False,
) -> Timing:
    """Run `cmd` (stdin from the file `stdin`, else empty) and time it; raise if it fails.

    Output goes to temporary files (not pipes), so the timing is the process's alone.
    `os.wait4` gives this one child's own CPU time and maximum resident set size; with
    `sample`, a thread also samples its /proc status (see `RssSampler`).
    """
    samplers: list[RssSampler] = []

    def watch(pid: int, started: float) -> Callable[[], None]:
        sampler = RssSampler(pid, started)
        sampler.start()
        samplers.append(sampler)
        return sampler.halt

    done = run_ok(cmd, cwd=cwd, stdin=stdin, env=env, watch=watch if sample else None)
    sampler = samplers[0] if samplers else None
    hwm_mb = sampler.hwm_kib / 1024 if sampler is not None and sampler.hwm_kib else None
    return Timing(
        done.wall,
        done.cpu,
        done.peak_mb,
        hwm_mb,
        sampler.hwm_at if sampler is not None else None,
        tuple(sampler.trace) if sampler is not None else (),
        done.stdout,
    )


# --- Servers -------------------------------------------------------------------------------


class Server(Protocol):
    """What the benchmark needs of a server: fresh databases, queries, the reference."""

    engine: str  # "postgresql" or "mysql"
    reference_name: str  # "psql" or "mysql"
    created: list[str]

    def version(self) -> str:
        """The server's version string."""
        ...

    def printable_url(self) -> str:
        """The server's URL, any password as `***`."""
        ...

    def create_database(self) -> str:
        """Create a fresh empty database `dbci_bench_<pid>_<n>`; return its name."""
        ...

    def drop_database(self, name: str) -> None:
        """Drop `name`."""
        ...

    def dbci_url(self, database: str) -> str:
        """dbci's URL of `database`."""
        ...

    def row(self, sql: str, database: str) -> list[str]:
        """The first row of `sql` run on `database`, its fields as text."""
        ...

    def reference(self, database: str, file: Path) -> Timing:
        """Apply `file` to `database` with the server's own client; time it."""
        ...

    def history_sql(self) -> str:
        """(successful V1 rows, failed rows, V1's checksum) from the history table."""
        ...

    def rows_sql(self) -> str:
        """(rows, UTF-8 bytes of every label and note) of the generated table."""
        ...


# PostgreSQL


@dataclass
class PostgresServer(PsqlCluster):
    """A PostgreSQL server, reached with psql, and the databases made on it."""

    engine: str = "postgresql"
    reference_name: str = "psql"

    def version(self) -> str:
        return "PostgreSQL " + self.execute("SHOW server_version")

    def printable_url(self) -> str:
        return redact(self.admin_url)

    def dbci_url(self, database: str) -> str:
        return self.url(database)

    def row(self, sql: str, database: str) -> list[str]:
        return self.execute(sql, database).splitlines()[0].split("|")

    def reference(self, database: str, file: Path) -> Timing:
        """`psql -X -q -v ON_ERROR_STOP=1 -1 -f <file> <db>`: one transaction, as dbci."""
        cmd = [self.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", str(file)]
        # The file is UTF-8 whatever this shell's locale says.
        env = {**os.environ, "PGCLIENTENCODING": "UTF8"}
        return run([*cmd, self.dbci_url(database)], cwd=file.parent, env=env, sample=True)

    def history_sql(self) -> str:
        return (
            "SELECT count(*) FILTER (WHERE success AND version = '1'),"
            " count(*) FILTER (WHERE NOT success),"
            f" coalesce(max(checksum) FILTER (WHERE version = '1'), 0) FROM {HISTORY_TABLE}"
        )

    def rows_sql(self) -> str:
        return (
            "SELECT count(*), coalesce(sum(octet_length(label)), 0)"
            f" + coalesce(sum(octet_length(note)), 0) FROM public.{TABLE}"
        )


def postgres_server(option: str | None, psql: str | None, stack: ExitStack) -> tuple[Server, str]:
    """(the PostgreSQL server, where its URL came from): --url, the env vars, or embedded."""
    url, source = server_url(option, stack)
    return PostgresServer(url, DB_PREFIX, psql=find_psql(psql)), source


# MySQL / MariaDB


@dataclass
class MysqlServer:
    """A MySQL/MariaDB server, reached with the mysql client, and the databases made on it."""

    url: MysqlUrl
    mysql: str
    engine: str = "mysql"
    reference_name: str = "mysql"
    created: list[str] = field(default_factory=list)

    def client_args(self) -> list[str]:
        """Connection options for the mysql client: the file is UTF-8, as dbci sends it."""
        return [*self.url.client_args(), "--default-character-set=utf8mb4"]

    def query(self, sql: str, database: str | None = None) -> list[list[str]]:
        """Run `sql` with the mysql client; return its rows, tab-separated fields."""
        cmd = [self.mysql, *self.client_args(), "-N", "-B", "-e", sql]
        output = run([*cmd, database] if database else cmd, env=self.url.client_env()).output
        return [line.split("\t") for line in output.splitlines()]

    def version(self) -> str:
        return self.query("SELECT VERSION()")[0][0]

    def printable_url(self) -> str:
        return self.url.redacted()

    def create_database(self) -> str:
        name = f"{DB_PREFIX}{os.getpid()}_{len(self.created) + 1}"
        self.query(f"DROP DATABASE IF EXISTS `{name}`")
        self.query(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        self.created.append(name)
        return name

    def drop_database(self, name: str) -> None:
        self.query(f"DROP DATABASE IF EXISTS `{name}`")
        self.created.remove(name)

    def dbci_url(self, database: str) -> str:
        return self.url.with_database(database)

    def row(self, sql: str, database: str) -> list[str]:
        return self.query(sql, database)[0]

    def reference(self, database: str, file: Path) -> Timing:
        """`mysql <db> < <file>`, in autocommit: dbci runs this file statement by statement
        in autocommit too (its CREATE TABLE commits implicitly, so no transaction can hold
        the migration)."""
        cmd = [self.mysql, *self.client_args(), database]
        return run(cmd, cwd=file.parent, stdin=file, env=self.url.client_env(), sample=True)

    def history_sql(self) -> str:
        return (
            "SELECT COALESCE(SUM(success = 1 AND version = '1'), 0),"
            " COALESCE(SUM(success = 0), 0),"
            f" COALESCE(MAX(CASE WHEN version = '1' THEN checksum END), 0) FROM {HISTORY_TABLE}"
        )

    def rows_sql(self) -> str:
        return (
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(label)), 0) + COALESCE(SUM(LENGTH(note)), 0)"
            f" FROM {TABLE}"
        )


def mysql_server(option: str | None, mysql: str | None) -> tuple[Server, str]:
    """(the MySQL server, where its URL came from): --url, the env vars, or the default."""
    client = mysql if mysql and Path(mysql).is_file() else None if mysql else shutil.which("mysql")
    if client is None:
        raise MissingClient("the mysql client is not installed (or not on PATH)")
    url, source = mysql_url(option)
    return MysqlServer(url, client), source


# --- Checks --------------------------------------------------------------------------------


def check_history(server: Server, database: str, migration: Migration) -> None:
    """Require one successful V1 row with the file's checksum, and no failed row."""
    succeeded, failed, checksum = (int(v) for v in server.row(server.history_sql(), database))
    if succeeded != 1 or failed != 0:
        raise BenchError(
            f"{database}: {HISTORY_TABLE} has {succeeded} successful V1 and {failed} failed"
            " rows; expected 1 and 0"
        )
    if checksum != migration.checksum:
        raise BenchError(
            f"{database}: {HISTORY_TABLE} holds checksum {checksum} for V1; Flyway's checksum"
            f" of the file is {migration.checksum}"
        )


def check_rows(server: Server, database: str, migration: Migration) -> None:
    """Require every row, and every byte of text: quotes and accents arrived intact."""
    rows, text_bytes = (int(v) for v in server.row(server.rows_sql(), database))
    if rows != migration.rows:
        raise BenchError(f"{database}: {rows} rows in {TABLE}; expected {migration.rows}")
    if text_bytes != migration.text_bytes:
        raise BenchError(
            f"{database}: the text columns hold {text_bytes} bytes; expected"
            f" {migration.text_bytes} (quotes or encoding mangled?)"
        )


# --- Benchmark -----------------------------------------------------------------------------


def time_dbci(server: Server, project: Path, migration: Migration) -> Timing:
    """Apply the migration with dbci to a fresh database; check it; drop it."""
    database = server.create_database()
    cmd = [sys.executable, "-m", "dbci", "--url", server.dbci_url(database)]
    cmd += ["--project", str(project), "migrate"]
    timing = run(cmd, cwd=project, env=dbci_env(), sample=True)
    check_history(server, database, migration)
    check_rows(server, database, migration)
    server.drop_database(database)
    return timing


def time_reference(server: Server, migration: Migration) -> Timing:
    """Apply the file with the reference client to a fresh database; check it; drop it."""
    database = server.create_database()
    timing = server.reference(database, migration.path)
    check_rows(server, database, migration)
    server.drop_database(database)
    return timing


@dataclass(frozen=True)
class Result:
    """The figures of one run, and the verdict against the target."""

    migration: Migration
    dbci: Timing
    reference: Timing
    floor_mb: float

    @property
    def target_mb(self) -> float:
        """Issue 21's bound: 3 x the file + 150 MB."""
        return TARGET_FACTOR * self.migration.size_mb + TARGET_EXTRA_MB

    @property
    def passed(self) -> bool:
        """Whether dbci's peak RSS is within the target."""
        return self.dbci.peak_mb <= self.target_mb


def process_line(label: str, t: Timing) -> str:
    """One progress line: wall, CPU and peak RSS of a process."""
    return f"{label:<9} {t.wall:.1f} s (cpu {t.cpu:.1f} s), peak RSS {t.peak_mb:.0f} MB"


def report(result: Result, reference_label: str, *, trace: bool) -> None:
    """Print the memory and time figures."""
    m, dbci, ref = result.migration, result.dbci, result.reference
    ratio = dbci.peak_mb / m.size_mb
    verdict = "PASS" if result.passed else "FAIL"
    sampled = ""
    if dbci.hwm_mb is not None and dbci.hwm_at is not None:
        sampled = f" (/proc VmHWM {dbci.hwm_mb:.0f} MB, reached by {dbci.hwm_at:.1f} s)"
    print("memory:")
    print(f"  {'file size':<34}{m.size_mb:8.1f} MB")
    print(f"  {'dbci peak RSS':<34}{dbci.peak_mb:8.0f} MB{sampled}")
    print(f"  {'dbci peak RSS / file size':<34}{ratio:8.2f}x")
    target = f"target: {TARGET_FACTOR} x file + {TARGET_EXTRA_MB} MB"
    print(f"  {target:<34}{result.target_mb:8.0f} MB  {verdict}")
    own = ""
    if ref.hwm_mb is not None and ref.peak_mb <= result.floor_mb + 1:
        # At the floor: the figure is this script's, the client's own is the sampled one.
        own = f" (the floor; /proc VmHWM {ref.hwm_mb:.0f} MB)"
    print(f"  {f'{reference_label} peak RSS':<34}{ref.peak_mb:8.0f} MB{own}")
    print(
        f"  {'peak memory floor':<34}{result.floor_mb:8.0f} MB  (what any process started"
        " here reports)"
    )
    print("time:")
    print(f"  {'dbci migrate':<34}{dbci.wall:8.1f} s  cpu {dbci.cpu:.1f} s")
    print(f"  {reference_label:<34}{ref.wall:8.1f} s  cpu {ref.cpu:.1f} s")
    print(f"  {f'dbci / {reference_label.split()[0]}':<34}{dbci.wall / ref.wall:8.2f}x")
    if trace:
        samples = " ".join(f"{mb:.0f}" for _, mb in dbci.trace)
        print(f"dbci VmRSS, MB, once a second: {samples}")


def figures(result: Result, args: argparse.Namespace, server_version: str) -> dict[str, Any]:
    """The JSON line's figures."""
    m, dbci, ref = result.migration, result.dbci, result.reference

    def side(t: Timing) -> dict[str, Any]:
        return {
            "wall_s": round(t.wall, 3),
            "cpu_s": round(t.cpu, 3),
            "peak_rss_mb": round(t.peak_mb, 1),
            "vmhwm_sampled_mb": None if t.hwm_mb is None else round(t.hwm_mb, 1),
            "vmhwm_reached_s": None if t.hwm_at is None else round(t.hwm_at, 1),
        }

    return {
        "engine": args.engine,
        "server": server_version,
        "style": args.style,
        "seed": args.seed,
        "text": args.text,
        "file_bytes": m.size,
        "file_mb": round(m.size_mb, 2),
        "rows": m.rows,
        "statements": m.statements,
        "dbci": side(dbci),
        "reference": {"client": args.reference_name, **side(ref)},
        "rss_per_file": round(dbci.peak_mb / m.size_mb, 3),
        "target_mb": round(result.target_mb, 1),
        "target_met": result.passed,
        "time_ratio": round(dbci.wall / ref.wall, 3),
        "spawn_floor_rss_mb": round(result.floor_mb, 1),
    }


# --- Entry point ---------------------------------------------------------------------------


def positive_float(text: str) -> float:
    """argparse type: a number > 0."""
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="bench/large_migration.py",
        description="Measure dbci's peak memory and time applying one large generated"
        " migration, against psql (or the mysql client).",
    )
    parser.add_argument(
        "--url",
        help=f"server URL: for PostgreSQL an admin database (default: ${PG_ENV_URL}, else"
        f" ${PG_FALLBACK_ENV_URL}, else an embedded pgserver); for MySQL (default:"
        f" ${MYSQL_ENV_URL}, else ${MYSQL_FALLBACK_ENV_URL}, else {MYSQL_DEFAULT_URL})",
    )
    parser.add_argument(
        "--engine",
        choices=("postgresql", "mysql"),
        help="the server's engine (default: from --url's scheme, else postgresql)",
    )
    parser.add_argument(
        "--size-mb", type=positive_float, default=200.0, help="size of the migration (200 MB)"
    )
    parser.add_argument(
        "--style",
        choices=("single", "multirow"),
        default="single",
        help=f"one row per INSERT (single, the default) or {MULTIROW_ROWS} (multirow)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the data's seed (21)")
    parser.add_argument(
        "--text",
        choices=TEXTS,
        default="ascii",
        help="the text's characters: ascii (the default); bmp: also beyond U+00FF (€, 東京, "
        "…), 2 bytes a character in Python; astral: also an emoji, 4 bytes a character",
    )
    parser.add_argument(
        "--check-target",
        action="store_true",
        help=f"exit with 1 if dbci's peak RSS is over {TARGET_FACTOR} x file + {TARGET_EXTRA_MB}"
        " MB",
    )
    parser.add_argument(
        "--trace", action="store_true", help="also print dbci's VmRSS once a second"
    )
    parser.add_argument("--json", action="store_true", help="also print a JSON line of figures")
    parser.add_argument("--psql", help="psql binary (default: psql on PATH, else pgserver's)")
    parser.add_argument("--mysql", help="mysql client binary (default: mysql on PATH)")
    args = parser.parse_args(argv)
    if args.engine is None:
        scheme = urlsplit(args.url or "").scheme.split("+", 1)[0]
        args.engine = "mysql" if scheme in {"mysql", "mariadb"} else "postgresql"
    args.reference_name = "psql" if args.engine == "postgresql" else "mysql"
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 on success, 1 if anything failed (or, with --check-target, the
    target was missed), 2 without the mysql client."""
    args = parse_args(argv)

    def body(stack: ExitStack) -> int | None:
        if args.engine == "mysql":
            server, source = mysql_server(args.url, args.mysql)
            packages = ("dbci", "pymysql", "sqlalchemy")
            reference_label = "mysql < file"
        else:
            server, source = postgres_server(args.url, args.psql, stack)
            packages = ("dbci", "psycopg", "psycopg_binary")
            reference_label = "psql -1 -f"
        stack.callback(drop_all, server)
        version = server.version()
        print(f"server    {server.printable_url()} ({source}, {version})")

        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dbci-bench-")))
        started = time.perf_counter()
        migration = write_migration(
            tmp / "project",
            size_mb=args.size_mb,
            style=args.style,
            engine=args.engine,
            seed=args.seed,
            text=args.text,
        )
        inserts = (
            "single-row INSERTs" if args.style == "single" else (f"INSERTs of {MULTIROW_ROWS} rows")
        )
        print(
            f"workload  {MIGRATION}: {migration.size_mb:.1f} MB, {migration.rows:,} rows in"
            f" {migration.statements - 1:,} {inserts}, seed {args.seed}"
            f"{f', {args.text} text' if args.text != 'ascii' else ''}"
            f" (written in {time.perf_counter() - started:.1f} s, not timed)",
            flush=True,
        )
        byte_compile_in_child(packages)

        dbci = time_dbci(server, tmp / "project", migration)
        print(process_line("dbci", dbci), flush=True)
        reference = time_reference(server, migration)
        print(process_line(args.reference_name, reference), flush=True)
        print(
            f"checks    dbci: V1 succeeded, checksum {migration.checksum} as Flyway's;"
            f" both: {migration.rows:,} rows, {migration.text_bytes:,} bytes of text"
        )
        result = Result(migration, dbci, reference, spawn_floor_mb())
        report(result, reference_label, trace=args.trace)
        if args.json:
            print(json.dumps(figures(result, args, version), sort_keys=True))
        if args.check_target and not result.passed:
            print(
                f"error: dbci's peak RSS {dbci.peak_mb:.0f} MB is over the target"
                f" {result.target_mb:.0f} MB",
                file=sys.stderr,
            )
            return 1

    return guarded(body)


if __name__ == "__main__":
    ensure_dbci_importable()
    sys.exit(main())
