"""Run dbci's diff over PostgreSQL's own regression SQL, with pg_dump as the judge.

    python tests/corpus/pg_regress.py --results DIR [--files all|N] [--seed S] [--only a,b]

For each regression file (see `pglast_sdist.py`), on the server `DBCI_TEST_POSTGRES_URL`
(or `--url`) names:

1. a fresh database X runs the file with psql (ON_ERROR_STOP off, a statement timeout,
   the whole file under a time limit). Many statements fail by design, and files needing
   data files, C libraries or earlier files make fewer objects: X is what succeeded. The
   roles and tablespaces the files create are cluster-wide, so every `regress_` in the file
   becomes `regress_<tag>_` (a tag unique to the file's run) and those are dropped after.
2. three cases, each: snapshot both sides (all non-system schemas of either), diff, run the
   diff's statements in one transaction on a database holding the source side, snapshot it
   again and compare with dbci (a second diff must be empty) and with pg_dump
   (`support/pg_dump_oracle.py`, `--no-owner --no-privileges`: the objects in X belong to
   the regression roles, the script runs as the admin):
   * `create`: empty -> X, applied to a new empty database;
   * `drop`: X -> empty, applied to a copy of X (`CREATE DATABASE ... TEMPLATE`);
   * `vary`: X -> X', where X' is a copy of X changed by `vary()`: a NOT NULL column with a
     default and an index on it added to the first table that takes them, a table comment
     changed, and the last column dropped (without CASCADE) from the last table that
     allows it; applied to X itself.

Each case ends as one of `OUTCOMES`. The summary gives the cases, the runnable ones, the
converged share, the silent misses and, per pg_dump object type (its `Type:` header), the
number of cases where that type differed; `--results DIR` gets `results.json` (every case
in full) and `summary.txt`. Every database the run creates is dropped, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/, for `support`

from support import pg_dump_oracle, postgres  # noqa: E402

from corpus.pglast_sdist import DEFAULT_VERSION, corpus_files  # noqa: E402
from dbci.engines import open_database  # noqa: E402
from dbci.schema import introspect  # noqa: E402
from dbci.schema.diff import Diff, diff  # noqa: E402
from dbci.schema.model import Snapshot  # noqa: E402
from dbci.settings.config import Overrides, load_settings  # noqa: E402

DB_PREFIX = "dbci_corpus_"
FILE_TIMEOUT = 120  # seconds for psql to run one regression file
STATEMENT_TIMEOUT = "10s"  # for the file's statements
WORK_TIMEOUT = "120s"  # for dbci's catalog queries, pg_dump and the diff's statements
DETAIL_LINES = 80  # of a dump difference kept in the results

# How a case ends. `converged`: dbci's second diff is empty and the dumps agree.
CONVERGED = "converged"
SILENT_MISS = "silent_miss"  # the first diff found nothing, yet the dumps differ
DUMPS_DIFFER = "dumps_differ"  # dbci's second diff is empty, yet the dumps differ
NOT_CONVERGED = "not_converged"  # dbci's second diff still finds changes
FAILED_TO_APPLY = "failed_to_apply"  # a statement of the diff failed
DBCI_ERROR = "dbci_error"  # snapshot or diff raised
OUTCOMES = (CONVERGED, SILENT_MISS, DUMPS_DIFFER, NOT_CONVERGED, FAILED_TO_APPLY, DBCI_ERROR)
CASES = ("create", "drop", "vary")


@dataclass
class CaseResult:
    """One case of one file: what dbci did and what pg_dump says of it."""

    case: str
    outcome: str
    changes: int = 0
    # Dump entries that differ between the two sides before the script: the case's size,
    # and proof that pg_dump sees the difference it is asked to judge.
    differing_before: int = 0
    error: str | None = None
    second_diff: list[str] = field(default_factory=list)
    dump_types: list[str] = field(default_factory=list)  # pg_dump types that differ
    dump_difference: str = ""
    seconds: float = 0.0


@dataclass
class FileResult:
    """One regression file: how its run went, the size of X and its cases."""

    file: str
    ran: bool = False  # psql finished within the time limit
    psql_errors: int = 0  # ERROR lines psql printed (many are expected)
    entries: int = 0  # pg_dump entries of X: 0 means the file made nothing to diff
    variation: list[str] = field(default_factory=list)
    problem: str | None = None  # why the file was not runnable
    cases: list[CaseResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def runnable(self) -> bool:
        return self.ran and self.problem is None and self.entries > 0


# ---- the server -------------------------------------------------------------------------


class Server:
    """The cluster the corpus runs on, and the databases and regression roles of one run."""

    def __init__(self, cluster: postgres.PgCluster, run: str) -> None:
        self.cluster = cluster
        self.run = run
        self.counter = 0
        self.files = 0
        self.created: list[str] = []

    def new_database(self, template: str | None = None) -> str:
        """Create a database (empty, or a copy of `template`) and return its name."""
        self.counter += 1
        name = f"{DB_PREFIX}{self.run}_{self.counter}"
        conn = self.cluster.admin_connection()
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            # A template must have no other session: end what the file may have left.
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                [template],
            )
            statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
        self.created.append(name)
        conn.execute(statement)
        return name

    def url(self, database: str) -> str:
        return self.cluster.database_url(database)

    def drop_databases(self) -> list[str]:
        """Drop every database this run created; the problems met, if any."""
        problems = []
        for name in self.created:
            try:
                self._release(name)
                self.cluster.drop_database(name)
            except psycopg.Error as exc:
                problems.append(f"drop database {name}: {exc}")
        self.created = [n for n in self.created if self._exists(n)]
        return problems

    def _exists(self, name: str) -> bool:
        row = self.cluster.admin_connection().execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        )
        return row.fetchone() is not None

    def _release(self, name: str) -> None:
        """What keeps PostgreSQL from dropping a database: subscriptions, replication
        slots and prepared transactions in it."""
        if not self._exists(name):
            return
        admin = self.cluster.admin_connection()
        for (slot,) in admin.execute(
            "SELECT slot_name FROM pg_replication_slots WHERE database = %s", [name]
        ).fetchall():
            admin.execute("SELECT pg_drop_replication_slot(%s)", [slot])
        prepared = admin.execute(
            "SELECT gid FROM pg_prepared_xacts WHERE database = %s", [name]
        ).fetchall()
        subscriptions = admin.execute(
            "SELECT s.subname FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid"
            " WHERE d.datname = %s",
            [name],
        ).fetchall()
        if not prepared and not subscriptions:
            return
        with postgres.connect(self.url(name), autocommit=True) as conn:
            for (gid,) in prepared:
                conn.execute(sql.SQL("ROLLBACK PREPARED {}").format(sql.Literal(gid)))
            for (sub,) in subscriptions:
                ident = sql.Identifier(sub)
                conn.execute(sql.SQL("ALTER SUBSCRIPTION {} DISABLE").format(ident))
                conn.execute(sql.SQL("ALTER SUBSCRIPTION {} SET (slot_name = NONE)").format(ident))
                conn.execute(sql.SQL("DROP SUBSCRIPTION {}").format(ident))

    def drop_regression_globals(self, tag: str) -> list[str]:
        """Drop the tablespaces and roles named `regress_<tag>_...` (what the file made
        outside its database); the problems met, if any."""
        problems = []
        admin = self.cluster.admin_connection()
        pattern = f"regress\\_{tag}\\_%"
        for (name,) in admin.execute(
            "SELECT spcname FROM pg_tablespace WHERE spcname ILIKE %s", [pattern]
        ).fetchall():
            try:
                admin.execute(sql.SQL("DROP TABLESPACE {}").format(sql.Identifier(name)))
            except psycopg.Error as exc:
                problems.append(f"drop tablespace {name}: {exc}")
        roles = [
            name
            for (name,) in admin.execute(
                "SELECT rolname FROM pg_roles WHERE rolname ILIKE %s", [pattern]
            ).fetchall()
        ]
        if roles:
            idents = sql.SQL(", ").join(sql.Identifier(r) for r in roles)
            try:
                # Their privileges on shared objects (parameters, tablespaces) go too.
                admin.execute(sql.SQL("DROP OWNED BY {}").format(idents))
                admin.execute(sql.SQL("DROP ROLE {}").format(idents))
            except psycopg.Error as exc:
                problems.append(f"drop roles {', '.join(roles)}: {exc}")
        return problems


@contextmanager
def session_options(options: str) -> Iterator[None]:
    """PGOPTIONS for every libpq connection (psycopg, psql, pg_dump) made meanwhile."""
    before = os.environ.get("PGOPTIONS")
    os.environ["PGOPTIONS"] = options
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PGOPTIONS", None)
        else:
            os.environ["PGOPTIONS"] = before


# ---- one file ---------------------------------------------------------------------------


def with_tag(sql_text: str, tag: str) -> str:
    """The file with `regress_` names (roles, tablespaces and the rest) made unique."""
    return re.sub(r"(?i)\b(regress)_", lambda m: f"{m[1]}_{tag}_", sql_text)


def run_file(path: Path, url: str, tag: str, timeout: float) -> tuple[bool, int, str | None]:
    """Run the file with psql on `url`: (finished in time, ERROR lines, problem)."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(with_tag(path.read_text(errors="replace"), tag))
        script = handle.name
    environ = dict(os.environ, PGOPTIONS=f"-c statement_timeout={STATEMENT_TIMEOUT}")
    for variable in ("PG_ABS_SRCDIR", "PG_ABS_BUILDDIR", "PG_LIBDIR", "PG_DLSUFFIX"):
        environ.pop(variable, None)  # the files' data and C libraries are not here
    command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=0", "-d", postgres.libpq_url(url)]
    process = subprocess.Popen(
        [*command, "-f", script],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=environ,
        start_new_session=True,  # so a timeout ends psql and anything it started
    )
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return False, 0, f"psql ran past {timeout:.0f} s"
    finally:
        os.unlink(script)
    errors = stderr.decode(errors="replace").count("ERROR:")
    return True, errors, None


def user_schemas(url: str) -> set[str]:
    """The database's schemas other than PostgreSQL's own."""
    with postgres.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace"
            " WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'"
        ).fetchall()
    return {name for (name,) in rows}


def take_snapshot(url: str, schemas: list[str], project: Path, grants: bool) -> Snapshot:
    """dbci's snapshot of `schemas`, read as `dbci diff` reads a database."""
    db = open_database(load_settings(Overrides(url=url, project=project), environ={}))
    try:
        return introspect.snapshot(db, schemas, include_grants=grants)
    finally:
        db.close()


def change_lines(result: Diff) -> list[str]:
    return sorted(f"{c.change} {c.type} {c.schema}.{c.name}" for c in result.changes)


def apply(url: str, statements: list[str]) -> str | None:
    """Run the statements in one transaction: None, or which one failed and why."""
    with postgres.connect(url) as conn:
        for number, statement in enumerate(statements, start=1):
            try:
                conn.execute(statement)
            except psycopg.Error as exc:
                conn.rollback()
                message = " ".join(str(exc).split())
                return f"statement {number}/{len(statements)}: {message}\n{statement[:2000]}"
        conn.commit()
    return None


def vary(url: str) -> list[str]:
    """Change the database (X into X'): the statements that took effect, in order.

    Each is tried in a transaction of its own; one the database refuses (a typed table, a
    column a view reads) is skipped and the next table tried.
    """
    done: list[str] = []
    with postgres.connect(url, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
            " AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'"
            " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid"
            "   AND d.classid = 'pg_class'::regclass AND d.deptype = 'e')"
            " ORDER BY n.nspname, c.relname"
        ).fetchall()
        names = [name for (name,) in tables]

        def attempt(*statements: str) -> bool:
            try:
                with conn.transaction():
                    for statement in statements:
                        conn.execute(statement)
            except psycopg.Error:
                return False
            done.extend(statements)
            return True

        if not names:
            attempt(
                "CREATE SCHEMA dbci_corpus_variation",
                "CREATE TABLE dbci_corpus_variation.t (id integer PRIMARY KEY, note text)",
            )
            return done
        for name in names:
            if attempt(
                f"ALTER TABLE {name} ADD COLUMN dbci_corpus_added integer DEFAULT 7 NOT NULL",
                f"CREATE INDEX dbci_corpus_added_idx ON {name} (dbci_corpus_added)",
                f"COMMENT ON TABLE {name} IS 'changed by the corpus runner'",
            ):
                break
        for name in reversed(names):
            columns = conn.execute(
                "SELECT quote_ident(attname) FROM pg_attribute WHERE attrelid = %s::regclass"
                " AND attnum > 0 AND NOT attisdropped AND attname <> 'dbci_corpus_added'"
                " ORDER BY attnum DESC LIMIT 3",
                [name],
            ).fetchall()
            if any(attempt(f"ALTER TABLE {name} DROP COLUMN {col}") for (col,) in columns):
                break
    return done


@dataclass(frozen=True)
class Side:
    """One side of a case: a database, its snapshot and its dump entries."""

    url: str
    snapshot: Snapshot
    dump: list[pg_dump_oracle.DumpEntry]


def read_side(url: str, schemas: list[str], project: Path, grants: bool) -> Side:
    return Side(url, take_snapshot(url, schemas, project, grants), read_dump(url, grants))


def read_dump(url: str, grants: bool) -> list[pg_dump_oracle.DumpEntry]:
    text = pg_dump_oracle.dump_schema(url, privileges=grants)
    return pg_dump_oracle.parse_dump(text, database=pg_dump_oracle.database_name(url))


def run_case(
    case: str, source: Side, target: Side, apply_to: str, schemas: list[str], options: Options
) -> CaseResult:
    """Diff source -> target, run the diff on `apply_to` (holding the source's schema),
    then judge `apply_to` against the target with dbci and with pg_dump."""
    started = time.monotonic()
    result = CaseResult(case=case, outcome=DBCI_ERROR)
    before = pg_dump_oracle.compare(source.dump, target.dump)
    result.differing_before = len(before.only_a) + len(before.only_b)
    try:
        first = diff(source.snapshot, target.snapshot)
        result.changes = len(first.changes)
        failure = apply(apply_to, first.statements)
        if failure is not None:
            result.outcome, result.error = FAILED_TO_APPLY, failure
            return result
        after = take_snapshot(apply_to, schemas, options.project, options.grants)
        second = diff(after, target.snapshot)
        result.second_diff = change_lines(second)
        difference = pg_dump_oracle.compare(read_dump(apply_to, options.grants), target.dump)
    except Exception as exc:  # noqa: BLE001 - any failure of dbci is a finding to record
        result.error = "".join(traceback.format_exception_only(exc)).strip()[:4000]
        return result
    finally:
        result.seconds = round(time.monotonic() - started, 2)
    result.dump_types = difference.types()
    result.dump_difference = difference.describe("applied", "target", limit=DETAIL_LINES)
    if result.second_diff:
        result.outcome = NOT_CONVERGED
    elif not difference:
        result.outcome = CONVERGED
    elif not first.changes:
        result.outcome = SILENT_MISS
    else:
        result.outcome = DUMPS_DIFFER
    return result


@dataclass(frozen=True)
class Options:
    """How the run goes."""

    project: Path  # an empty directory for dbci's settings
    grants: bool = False
    file_timeout: float = FILE_TIMEOUT


def run_one(path: Path, server: Server, empty: str, options: Options) -> FileResult:
    """Everything for one regression file; its databases and roles are gone afterwards."""
    started = time.monotonic()
    result = FileResult(file=path.name)
    server.files += 1
    tag = f"{server.run}f{server.files}"  # the run's id starts it: see `leftovers`
    try:
        x = server.new_database()
        result.ran, result.psql_errors, result.problem = run_file(
            path, server.url(x), tag, options.file_timeout
        )
        if not result.ran:
            return result
        with session_options(f"-c statement_timeout={WORK_TIMEOUT}"):
            _cases(result, server, x, empty, options)
    except Exception as exc:  # noqa: BLE001 - one file's trouble must not end the run
        result.problem = "".join(traceback.format_exception_only(exc)).strip()[:4000]
    finally:
        problems = server.drop_databases() + server.drop_regression_globals(tag)
        if problems:
            result.problem = "; ".join(filter(None, [result.problem, *problems]))
        result.seconds = round(time.monotonic() - started, 2)
    return result


def _cases(result: FileResult, server: Server, x: str, empty: str, options: Options) -> None:
    url = server.url
    x_dump = read_dump(url(x), options.grants)
    result.entries = len(x_dump)
    if not x_dump:
        return
    x_copy = server.new_database(template=x)  # the `drop` case's target of the script
    varied = server.new_database(template=x)
    result.variation = vary(url(varied))
    fresh = server.new_database()  # the `create` case's
    schemas = sorted(user_schemas(url(x)) | user_schemas(url(varied)) | user_schemas(url(empty)))
    project, grants = options.project, options.grants
    side_x = Side(url(x), take_snapshot(url(x), schemas, project, grants), x_dump)
    side_empty = read_side(url(empty), schemas, project, grants)
    side_varied = read_side(url(varied), schemas, project, grants)
    result.cases = [
        run_case("create", side_empty, side_x, url(fresh), schemas, options),
        run_case("drop", side_x, side_empty, url(x_copy), schemas, options),
        run_case("vary", side_x, side_varied, url(x), schemas, options),
    ]


# ---- a run --------------------------------------------------------------------------------


def choose(files: list[Path], count: int | None, seed: int, only: list[str]) -> list[Path]:
    """The files to run: those named in `only`, else `count` of them drawn with `seed`
    (all when `count` is None), in name order."""
    if only:
        wanted = {name.removesuffix(".sql") for name in only}
        return [f for f in files if f.stem in wanted]
    if count is None or count >= len(files):
        return list(files)
    return sorted(random.Random(seed).sample(files, count))


def run_corpus(
    cluster: postgres.PgCluster,
    files: list[Path],
    *,
    budget: float | None = None,
    grants: bool = False,
    file_timeout: float = FILE_TIMEOUT,
    progress: Any = None,
    run: str | None = None,
) -> list[FileResult]:
    """Run the files in order, starting no new one once `budget` seconds have passed.

    `run`: the id the run's databases and regression roles are named after (by default a
    new random one), which `leftovers` takes."""
    server = Server(cluster, run or secrets.token_hex(3))
    started = time.monotonic()
    results: list[FileResult] = []
    with tempfile.TemporaryDirectory(prefix="dbci-corpus-") as project:
        options = Options(project=Path(project), grants=grants, file_timeout=file_timeout)
        empty_server = Server(cluster, f"{server.run}e")
        empty = empty_server.new_database()
        try:
            for path in files:
                if budget is not None and time.monotonic() - started > budget:
                    break
                result = run_one(path, server, empty, options)
                results.append(result)
                if progress is not None:
                    progress(result)
        finally:
            empty_server.drop_databases()
    return results


def leftovers(cluster: postgres.PgCluster, run: str) -> list[str]:
    """The databases, roles and tablespaces of the run `run` still on the server."""
    databases = DB_PREFIX.replace("_", "\\_") + run + "%"
    regression = f"regress\\_{run}%"
    rows = (
        cluster.admin_connection()
        .execute(
            "SELECT 'database ' || datname FROM pg_database WHERE datname LIKE %(databases)s"
            " UNION ALL SELECT 'role ' || rolname FROM pg_roles WHERE rolname ILIKE %(regression)s"
            " UNION ALL SELECT 'tablespace ' || spcname FROM pg_tablespace"
            "   WHERE spcname ILIKE %(regression)s",
            {"databases": databases, "regression": regression},
        )
        .fetchall()
    )
    return [name for (name,) in rows]


# ---- the summary ----------------------------------------------------------------------------


def summarise(results: list[FileResult]) -> dict[str, Any]:
    """The counts of the summary table."""
    cases = [case for result in results for case in result.cases]
    outcomes = Counter(case.outcome for case in cases)
    types: Counter[str] = Counter()
    for case in cases:
        types.update(case.dump_types)
    per_case = {name: Counter(c.outcome for c in cases if c.case == name) for name in CASES}
    return {
        "files": len(results),
        "files_ran": sum(r.ran for r in results),
        "files_runnable": sum(r.runnable for r in results),
        "cases": len(cases),
        "converged": outcomes[CONVERGED],
        "converged_percent": round(100 * outcomes[CONVERGED] / len(cases), 1) if cases else 0.0,
        "outcomes": {name: outcomes[name] for name in OUTCOMES},
        "by_case": {name: dict(counts) for name, counts in per_case.items()},
        "dump_types": dict(types.most_common()),
    }


def render_summary(summary: dict[str, Any]) -> str:
    """The summary as a plain-text table."""
    lines = [
        f"files: {summary['files']} (psql finished: {summary['files_ran']}, "
        f"made objects: {summary['files_runnable']})",
        f"cases: {summary['cases']} (3 per runnable file: create, drop, vary)",
        f"converged: {summary['converged']} ({summary['converged_percent']} %)",
        "",
        f"{'outcome':<18}" + "".join(f"{name:>8}" for name in CASES) + f"{'all':>8}",
    ]
    for outcome in OUTCOMES:
        row = [summary["by_case"][name].get(outcome, 0) for name in CASES]
        lines.append(
            f"{outcome:<18}"
            + "".join(f"{n:>8}" for n in row)
            + f"{summary['outcomes'][outcome]:>8}"
        )
    lines += ["", "pg_dump object types differing (cases):"]
    lines += [f"  {name:<28}{count:>6}" for name, count in summary["dump_types"].items()]
    return "\n".join(lines)


def write_results(directory: Path, results: list[FileResult], summary: dict[str, Any]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    payload = {"summary": summary, "files": [asdict(r) for r in results]}
    (directory / "results.json").write_text(json.dumps(payload, indent=1))
    (directory / "summary.txt").write_text(render_summary(summary) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get(postgres.ENV_URL), help="admin URL")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "dbci-corpus")
    parser.add_argument("--results", type=Path, required=True, help="directory for the results")
    parser.add_argument("--version", default=DEFAULT_VERSION, help="pglast sdist version")
    parser.add_argument("--files", default="all", help="'all' or how many files to draw")
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--only", default="", help="comma-separated file names")
    parser.add_argument("--budget", type=float, default=None, help="seconds; then stop")
    parser.add_argument("--file-timeout", type=float, default=FILE_TIMEOUT)
    parser.add_argument("--grants", action="store_true", help="compare privileges too")
    args = parser.parse_args(argv)
    if not args.url:
        parser.error(f"--url or {postgres.ENV_URL} is needed")
    files = choose(
        corpus_files(args.cache, args.version),
        None if args.files == "all" else int(args.files),
        args.seed,
        [n for n in args.only.split(",") if n],
    )
    cluster = postgres.PgCluster(args.url, source="--url")

    def progress(result: FileResult) -> None:
        outcomes = " ".join(f"{c.case}={c.outcome}" for c in result.cases)
        note = result.problem or ("" if result.entries else "no objects")
        print(f"{result.file:<32} {result.seconds:>7.1f}s {outcomes} {note}", flush=True)

    try:
        results = run_corpus(
            cluster,
            files,
            budget=args.budget,
            grants=args.grants,
            file_timeout=args.file_timeout,
            progress=progress,
        )
    finally:
        cluster.close()
    summary = summarise(results)
    write_results(args.results, results, summary)
    print(render_summary(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
