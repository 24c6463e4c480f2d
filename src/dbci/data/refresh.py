"""`dbci data refresh --from SOURCE --to TARGET`: the target environment rebuilt from the
migrations (the branch's schema, as `build` makes it) and filled with a masked subset of
the source's rows, in one swap.

The order of a refresh:

1. refuse what must not run: a protected target, a target that does not allow being
   emptied (`provisioner = "clean"` on its own url, or `[dbci.data] targets`), the source
   as its own target;
2. open the source's one read-only snapshot and read its tables;
3. make a new database beside the target and apply every migration to it;
4. plan (`plan`): how each table is reached, what is masked; refuse, naming each one, the
   columns that look personal (`personal`) and have no mask and no `keep`;
5. copy: the start tables' rows and the tables copied whole, the children (downwards,
   when asked), then parents until every foreign key's parent row is there (cycles and
   self-references included); masked on the way (`masking`);
6. put back the constraints (checking every row), carry the sequences over, and swap the
   new database into the target's place.

A failure or a cancel before the swap drops the new database: the target keeps its
previous data. The engine's bulk paths and swap are its `Engine.data_refresh()`.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from dbci import cancel
from dbci.cores import available_cores
from dbci.data.config import DataSettings, data_settings
from dbci.data.model import Catalog, Name
from dbci.data.plan import RefreshPlan, TablePlan, make_plan
from dbci.engines import open_database
from dbci.engines.base import Database
from dbci.errors import DbciError, InputError
from dbci.log import Log, quiet
from dbci.settings.config import Settings
from dbci.settings.urls import DatabaseUrl


@dataclass
class TableResult:
    """What the refresh did to one table."""

    schema: str
    name: str
    how: str  # start | parent | child | whole | empty | skipped
    rows: int = 0
    selection: str = ""  # the start table's condition or percentage
    masked: list[str] = field(default_factory=list)  # the masked columns, with their masks


@dataclass
class RefreshResult:
    """The outcome of a refresh, for the log, `--output json` and the report."""

    source: str
    target: str
    tables: list[TableResult] = field(default_factory=list)
    seconds: float = 0.0
    status: str = "success"  # success | failed | cancelled
    error: str | None = None

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)

    @property
    def masked_columns(self) -> int:
        return sum(len(t.masked) for t in self.tables)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "source": self.source,
            "target": self.target,
            "error": self.error,
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
            "tables": [dataclasses.asdict(t) for t in self.tables],
        }


def refresh(
    source_settings: Settings,
    target_settings: Settings,
    *,
    log: Log = quiet,
    connect: Callable[[Settings], Database] = open_database,
) -> RefreshResult:
    """Refresh the target environment from the source (see the module's docstring)."""
    started = time.monotonic()
    data = data_settings(target_settings)
    _check_allowed(source_settings, target_settings, data)
    engine = _engine_part(target_settings)
    source = connect(source_settings)
    try:
        engine.begin_snapshot(source)
        source_catalog = _catalog(source, source_settings)
        target = connect(target_settings)
        try:
            with engine.new_database(target) as new_url:
                fresh = dataclasses.replace(target_settings, database=new_url)
                if _schema_is_database(target_settings):
                    # A MySQL schema is a database: the new one is the build's only schema.
                    fresh = dataclasses.replace(
                        fresh, schemas=[new_url.database or ""], default_schema=None
                    )
                _migrate(fresh, log)
                new = connect(fresh)
                try:
                    result = _fill(
                        engine,
                        source,
                        new,
                        source_catalog,
                        source_settings,
                        fresh,
                        data,
                        connect,
                        log,
                    )
                finally:
                    new.close()
                result.source = source_settings.environment or source_settings.where()
                result.target = target_settings.environment or target_settings.where()
                engine.swap(target, new_url, lambda url: _connect_to(connect, fresh, url))
        finally:
            target.close()
        engine.end_snapshot(source)
    finally:
        source.close()
    result.seconds = time.monotonic() - started
    log(
        f"Refreshed {result.target} from {result.source}: {result.rows} rows in "
        f"{len([t for t in result.tables if t.rows])} tables, {result.masked_columns} columns "
        f"masked ({result.seconds:.1f} s)"
    )
    return result


def _connect_to(
    connect: Callable[[Settings], Database], settings: Settings, url: DatabaseUrl
) -> Database:
    return connect(dataclasses.replace(settings, database=url, environment=None))


def _check_allowed(source: Settings, target: Settings, data: DataSettings) -> None:
    """Refuse a protected target, one that does not allow being emptied, or the source
    itself as the target (before anything is opened)."""
    from dbci.settings.protection import database_identity, protection

    if source.environment and target.environment == source.environment:
        raise InputError(
            f"data refresh: --from and --to name the same environment {source.environment!r}"
        )
    guard = protection(target)
    refusal = guard.refusal(target)
    if refusal is not None:
        raise InputError(f"data refresh refused: {refusal}; a refresh never writes to it")
    env = (target.environment or "").lower()
    if not (guard.provisioner_allows(target) or env in data.targets):
        raise InputError(
            f"data refresh refused on {target.where()}: it replaces every row, so the target "
            f'must allow it: provisioner = "clean" in [environments.{target.environment}], or '
            f'[dbci.data] targets = ["{target.environment}"]'
        )
    target_db, source_db = target.require_database(), source.require_database()
    if target_db.dialect != source_db.dialect:
        raise InputError(
            f"data refresh: {source.where()} is {source_db.dialect} and {target.where()} is "
            f"{target_db.dialect}: both must be the same engine"
        )
    if database_identity(target_db) == database_identity(source_db):
        raise InputError(f"data refresh: {source.where()} and {target.where()} are one database")


def _schema_is_database(settings: Settings) -> bool:
    from dbci.engines.registry import engine

    return engine(settings.require_database().dialect).schema_is_database


def _engine_part(settings: Settings) -> Any:
    from dbci.engines.registry import engine

    found = engine(settings.require_database().dialect)
    part = found.data_refresh()
    if part is None:
        raise InputError(f"data refresh is not supported on {found.display_name} yet")
    return part


def _catalog(db: Database, settings: Settings) -> Catalog:
    from dbci.data.catalog import read_catalog

    schemas = settings.schemas or [db.current_schema()]
    return read_catalog(db, schemas, history_table=settings.table)


def _as_schemas_of(source: Catalog, target: Catalog) -> Catalog:
    """`source` with its tables keyed by the target's schema names, where a schema is a
    database (MySQL) and the two are one database each, named differently; the tables
    keep their own schema, which the copies read."""
    mine = sorted({s for s, _ in source.tables})
    theirs = sorted({s for s, _ in target.tables})
    if len(mine) != 1 or len(theirs) != 1:
        return source
    return Catalog(
        {(theirs[0], name): table for (_, name), table in source.tables.items()},
        source.sequences,
    )


def _migrate(settings: Settings, log: Log) -> None:
    from dbci.migrate.commands import migrate

    migrate(settings, log=lambda line: log(f"  {line}"))


def _fill(
    engine: Any,
    source: Database,
    new: Database,
    source_catalog: Catalog,
    source_settings: Settings,
    settings: Settings,
    data: DataSettings,
    connect: Callable[[Settings], Database],
    log: Log,
) -> RefreshResult:
    """Copy the subset into the new database (steps 4 to 6 of the module's docstring)."""
    from dbci.data.order import parents

    target_catalog = _catalog(new, settings)
    if _schema_is_database(settings):
        source_catalog = _as_schemas_of(source_catalog, target_catalog)
    plan = make_plan(source_catalog, target_catalog, data)
    _refuse_personal(engine, source, plan, data)
    copier = _Copier(engine, source, new, plan, data)
    restore = engine.suspend_constraints(new, target_catalog)
    engine.empty(new, [t.target for t in plan.tables if t.how != "skipped"])
    # The start tables, the tables copied whole and the parents whose rows the source can
    # select by itself, all at once, each on a connection of its own in the same snapshot.
    jobs, covered = _selections(engine, source, plan, target_catalog)
    lanes = _Lanes(engine, connect, source_settings, settings, engine.export_snapshot(source))
    step = _Steps(log)
    try:
        _run_parallel(copier, lanes, jobs, _estimates(source, plan))
    finally:
        lanes.close()
    step(f"Copied {len(jobs)} tables' selected rows")
    selected = dict(copier.rows)
    for child, key in plan.downward:
        copier.children(plan.table(child), key)
    if plan.downward:
        step(f"Copied the rows of {len(plan.downward)} tables below the start tables")
    # Parents until every foreign key of a copied row finds its row: a round copies what
    # the rows copied so far still miss (a cycle or a self-reference takes several).
    while True:
        added = 0
        for table in plan.tables:
            if not table.copies:
                continue
            # A key the parent's selection already followed needs no look while its
            # table has only the rows selected then.
            unchanged = copier.rows.get(table.name, 0) == selected.get(table.name, 0)
            for key in parents(target_catalog, table.name):
                parent = plan.table(key.parent)
                if (table.name, key.name) in covered and unchanged:
                    continue
                if parent.how != "whole" and parent.copies:
                    added += copier.parents(table, key, parent)
        if not added:
            break
    step("Copied the parents the copied rows still lacked")
    engine.restore(new, restore)
    step(f"Checked every row against the foreign keys ({len(restore)} statements)")
    both = sorted(set(source_catalog.sequences) & set(target_catalog.sequences))
    engine.carry_sequences(source, new, both)
    engine.finish(new)
    result = RefreshResult("", "")
    for table in plan.tables:
        result.tables.append(
            TableResult(
                table.target.schema,
                table.target.name,
                table.how,
                copier.rows.get(table.name, 0),
                table.start.describe() if table.start else "",
                [
                    f"{c} ({m.kind}{'' if m.value is None else ' ' + str(m.value)})"
                    for c, m in table.masks.items()
                ],
            )
        )
        log(f"  {table.display}: {copier.rows.get(table.name, 0)} rows ({table.how})")
    return result


@dataclass(frozen=True)
class _Job:
    """Rows of one table to copy: those `condition` selects (None: all of them)."""

    table: TablePlan
    condition: str | None
    what: str


def _selections(
    engine: Any, db: Database, plan: RefreshPlan, catalog: Catalog
) -> tuple[list[_Job], set[tuple[Name, str]]]:
    """What can be copied before anything is on the target: the start tables' rows, the
    tables copied whole, and the rows of their parents that the source selects itself
    (`(t.key) IN (SELECT t.fk FROM child AS t WHERE <the child's selection>)`); and the
    foreign keys (child, key name) those parents' selections followed. Parents further up,
    parents in a foreign-key cycle, and rows referenced from rows copied later get theirs
    from the closure over the target."""
    from dbci.data.order import children, copy_order

    in_cycles = {name for group in copy_order(catalog) if len(group) > 1 for name in group}
    selected: dict[Name, str | None] = {}
    covered: set[tuple[Name, str]] = set()
    jobs: list[_Job] = []
    for table in plan.tables:
        if table.how == "start" and table.start is not None:
            start = table.start
            selected[table.name] = (
                f"({start.condition})"
                if start.condition is not None
                else engine.percent_condition(db, table.source, start.percent or 0.0)
            )
            jobs.append(_Job(table, selected[table.name], start.describe()))
        elif table.how == "whole":
            selected[table.name] = None
            jobs.append(_Job(table, None, "every row"))
    for table in reversed(plan.tables):  # children before their parents
        if table.how != "parent" or table.name in in_cycles:
            continue
        parts: list[str] = []
        for child, key in children(catalog, table.name):
            # From the start tables and those copied whole only: a parent of a parent
            # would read the start table again for every level; the closure over the
            # target finds those, a small table's rows, at little cost.
            if child == table.name or plan.table(child).how not in ("start", "whole"):
                continue
            origin = plan.table(child).source
            if not all(origin.has(c) for c in key.columns) or not all(
                table.source.has(c) for c in key.parent_columns
            ):
                continue  # the source's tables lack a column of the branch's key
            condition = selected[child]
            inner = (
                f"SELECT {', '.join('t.' + db.quote(c) for c in key.columns)} FROM "
                f"{db.qualified(origin.schema, origin.name)} AS t"
                + (f" WHERE {condition}" if condition else "")
            )
            mine = ", ".join("t." + db.quote(c) for c in key.parent_columns)
            parts.append(f"({mine}) IN ({inner})")
            covered.add((child, key.name))
        if parts:
            selected[table.name] = " OR ".join(f"({p})" for p in parts)
            jobs.append(_Job(table, selected[table.name], "rows the selected rows reference"))
    return jobs, covered


def _estimates(db: Database, plan: RefreshPlan) -> dict[Name, int]:
    """The catalog's row estimate of each source table (0 when it has none)."""
    found: dict[Name, int] = {}
    for schema in sorted({t.source.schema for t in plan.tables}):
        names = [t.source.name for t in plan.tables if t.source.schema == schema]
        for name, rows in db.row_estimates(names, schema).items():
            found[(schema, name)] = rows or 0
    return found


class _Lanes:
    """One source connection (in the exported snapshot) and one on the new database per
    worker thread, opened on the thread's first job, closed at the end."""

    def __init__(
        self,
        engine: Any,
        connect: Callable[[Settings], Database],
        source: Settings,
        new: Settings,
        snapshot: str | None,
    ) -> None:
        self.engine, self.connect, self.source, self.new = engine, connect, source, new
        self.snapshot = snapshot
        self.local = threading.local()
        self.opened: list[tuple[Database, Database]] = []
        self.lock = threading.Lock()

    def lane(self) -> tuple[Database, Database]:
        pair: tuple[Database, Database] | None = getattr(self.local, "pair", None)
        if pair is None:
            source = self.connect(self.source)
            try:
                self.engine.begin_snapshot(source, self.snapshot)
                pair = (source, self.connect(self.new))
            except BaseException:
                source.close()
                raise
            with self.lock:
                self.opened.append(pair)
            self.local.pair = pair
        return pair

    def close(self) -> None:
        for source, new in self.opened:
            source.close()
            new.close()


def _run_parallel(copier: _Copier, lanes: _Lanes, jobs: list[_Job], sizes: dict[Name, int]) -> None:
    """Run `jobs`, the largest tables first, on as many lanes as there are cores (at most
    4): a large table's copy, mostly the server's work, goes on while another's masks are
    computed here."""
    ordered = sorted(jobs, key=lambda j: -sizes.get(j.table.source.key, 0))
    workers = min(available_cores(), 4, len(ordered))
    if workers < 2 or lanes.snapshot is None:  # one snapshot cannot be shared: one lane
        for job in ordered:
            copier.copy(job.table, job.condition, what=job.what)
        return

    def run(job: _Job) -> int:
        return copier.copy(job.table, job.condition, what=job.what, lane=lanes.lane())

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dbci-copy")
    try:
        for future in [pool.submit(run, job) for job in ordered]:
            future.result()
    finally:
        # A failure or a signal: the jobs not started are dropped, the running ones end
        # (a signal has cancelled their statements on the server).
        pool.shutdown(wait=True, cancel_futures=True)


class _Steps:
    """Logs each step of the copy with the seconds it took."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.since = time.monotonic()

    def __call__(self, what: str) -> None:
        now = time.monotonic()
        self.log(f"  {what} ({now - self.since:.1f} s)")
        self.since = now


def _refuse_personal(engine: Any, source: Database, plan: RefreshPlan, data: DataSettings) -> None:
    """Refuse, before a row is copied, when a copied column looks personal (by its name, or
    by a sample of its values) and has neither a mask nor `keep`; name each one."""
    from dbci.data.personal import personal_by_name, personal_by_values

    found: list[str] = []
    for table in plan.tables:
        if not table.copies:
            continue
        for name in table.columns:
            if name in table.masks or name in table.kept:
                continue
            reason = personal_by_name(name)
            column = table.source.column(name)
            if reason is None and column.kind == "text" and data.sample:
                reason = personal_by_values(engine.sample(source, table.source, name, data.sample))
            if reason is not None:
                found.append(f"{table.display}.{name} ({reason})")
    if found:
        raise InputError(
            f"data refresh refused: {len(found)} column{'s' * (len(found) != 1)} look personal "
            f"and have no mask: {', '.join(found)}; give each a mask in [dbci.data.mask], or "
            '"keep" where it is not personal'
        )


class _Copier:
    """Copies rows table by table, masking them, and remembers how many each table got
    and, for masked key columns, which source value each masked value stands for."""

    def __init__(
        self, engine: Any, source: Database, new: Database, plan: RefreshPlan, data: DataSettings
    ) -> None:
        from dbci.data.masking import make_masker

        self.engine, self.source, self.new, self.plan, self.data = engine, source, new, plan, data
        self.rows: dict[Name, int] = {}
        self.lock = threading.Lock()
        # (table, column) -> masked text -> source text, for masked columns of a foreign key
        # (either side): the closure finds missing parents by masked values on the target.
        self.reverse: dict[tuple[Name, str], dict[str, str]] = {}
        self.maskers: dict[Name, dict[str, Any]] = {}
        keyed = _key_columns(plan)
        needs_salt = [
            f"{t.display}.{c}"
            for t in plan.tables
            for c, m in t.masks.items()
            if m.kind in ("hash", "faker", "shuffle", "shift")
        ]
        if needs_salt and not data.salt:
            raise InputError(
                f"data refresh: [dbci.data] salt is not set, and {needs_salt[0]} needs one: "
                'set salt = "${env.DBCI_DATA_SALT}" (or the DBCI_DATA_SALT variable) to a secret'
            )
        for table in plan.tables:
            self.maskers[table.name] = {
                column: make_masker(
                    rule,
                    table.target.column(column),
                    # A key's columns, on both sides, are masked as unique ones are, so
                    # that a child's value and its parent's get the same masked value.
                    unique=table.target.is_unique(column) or (table.name, column) in keyed,
                    salt=data.salt or b"",
                    where=f"{table.display}.{column}",
                )
                for column, rule in table.masks.items()
            }
            for column in table.masks:
                if (table.name, column) in keyed:
                    self.reverse[(table.name, column)] = {}

    def copy(
        self,
        table: TablePlan,
        condition: str | None,
        *,
        what: str,
        limit: int | None = None,
        lane: tuple[Database, Database] | None = None,
    ) -> int:
        """Copy the rows of `table` that `condition` selects; return how many. `lane`: the
        (source, new database) connections to copy on (default: the main ones)."""
        source, new = lane or (self.source, self.new)
        maskers = self.maskers[table.name]
        masked = list(maskers)
        reverse = {
            c: self.reverse[(table.name, c)] for c in masked if (table.name, c) in self.reverse
        }
        text = self.engine.text

        def transform(values: list[list[Any]]) -> None:
            for at, column in enumerate(masked):
                before = values[at]
                after = maskers[column].mask_batch(before)
                if column in reverse:
                    remember = reverse[column]
                    for old, now in zip(before, after, strict=True):
                        if now is not None:
                            remember[text(now)] = text(old)
                values[at] = after

        try:
            count: int = self.engine.copy(
                source,
                new,
                table.source,
                table.target,
                table.columns,
                condition,
                transform if masked else None,
                masked,
                self.data.batch,
                limit,
            )
        except DbciError:
            raise
        except Exception as exc:
            if cancel.requested():  # the signal cancelled the COPY on the server
                raise cancel.cancelled(f"copying {table.display}") from None
            where = self.engine.failed_row(exc)
            raise DbciError(
                f"data refresh: copying {table.display} ({what}) failed"
                f"{f' at {where}' if where else ''}: {new.describe_error(exc).message}"
            ) from None
        with self.lock:
            self.rows[table.name] = self.rows.get(table.name, 0) + count
        return count

    def parents(self, child: TablePlan, key: Any, parent: TablePlan) -> int:
        """Copy the rows of `parent` that `child`'s rows reference and the target lacks."""
        added = 0
        columns = [parent.source.column(c) for c in key.parent_columns]
        for number, batch in enumerate(
            self.engine.missing_parents(
                self.new, child.target, key, parent.target, self.data.batch
            ),
            1,
        ):
            keys = [self._source_values(child.name, key.columns, k) for k in batch]
            condition = self.engine.keys_condition(self.source, columns, keys)
            added += self.copy(
                parent,
                condition,
                what=f"parents of {child.display} through {key.name}, batch {number}",
            )
        return added

    def children(self, child: TablePlan, key: Any) -> None:
        """Copy up to `children_limit` rows (0: all) of `child` that reference rows of its
        parent (through `key`) that the target holds."""
        parent = self.plan.table(key.parent)
        columns = [child.source.column(c) for c in key.columns]
        limit = self.data.children_limit
        left: int | None = limit or None
        for number, batch in enumerate(
            self.engine.present_keys(self.new, parent.target, key.parent_columns, self.data.batch),
            1,
        ):
            if left is not None and left <= 0:
                break
            keys = [self._source_values(parent.name, key.parent_columns, k) for k in batch]
            condition = self.engine.keys_condition(self.source, columns, keys)
            copied = self.copy(
                child, condition, what=f"children of {parent.display}, batch {number}", limit=left
            )
            if left is not None:
                left -= copied

    def _source_values(
        self, table: Name, columns: tuple[str, ...], values: tuple[str | None, ...]
    ) -> tuple[str | None, ...]:
        """Values read on the target (masked where the column is) as the source has them."""
        out: list[str | None] = []
        for column, value in zip(columns, values, strict=True):
            remember = self.reverse.get((table, column))
            out.append(
                remember.get(value, value) if remember is not None and value is not None else value
            )
        return tuple(out)


def _key_columns(plan: RefreshPlan) -> set[tuple[Name, str]]:
    """The columns of every foreign key between the target's tables, on both sides."""
    found: set[tuple[Name, str]] = set()
    for table in plan.tables:
        for key in table.target.foreign_keys:
            found.update((table.name, c) for c in key.columns)
            found.update((key.parent, c) for c in key.parent_columns)
    return found
