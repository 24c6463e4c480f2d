"""`migrate --dry-run`: the SQL that migrate would execute, written out, nothing executed.

The script holds, in order, what `migrate` sends: the schemas and history table it
would create (with their first rows), the callbacks, and for each pending migration its
transaction with the statements (placeholders replaced) and its history row. It reads
the database (the history, whether the schemas hold objects) and changes nothing. The
check stage's dry-run report is built on `dry_run`.

Differences from a live run, by necessity: a history row's `execution_time` is written as
0 (measured at run time), and on PostgreSQL a live run may send several migrations' SQL
in one round trip, each still its own transaction as shown here.

Placeholders are replaced with the values the run would use, secrets included (`migrate
--dry-run` is run by hand, and its script is meant to be run); the check stage's dry run,
which goes into reports and comments, leaves its secret placeholders as they are written
(`unreplaced`), while the migrations are still read, checked and planned with their values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from dbci.engines.base import Database
from dbci.log import Log, quiet
from dbci.migrate.commands import plan_migrations, prepare_pending, validate_before_migrate
from dbci.migrate.discovery import discover
from dbci.migrate.history import BASELINE_MARKER, SCHEMA_MARKER, AppliedMigration
from dbci.migrate.prepare import Hooks, PreparedScript, prepare
from dbci.migrate.runner import history_insert_sql
from dbci.migrate.session import HistoryPlan, Session, open_session, plan_history
from dbci.migrate.version import Version
from dbci.settings.config import Settings
from dbci.settings.placeholders import Placeholders
from dbci.sqlsplit import Statement


@dataclass
class DryRunResult:
    """The dry-run script and what it would apply."""

    database: str
    schema: str
    sql: str
    pending: list[str] = field(default_factory=list)  # script names, in order
    warnings: list[str] = field(default_factory=list)


class _Script:
    """SQL text built statement by statement, each ended so that the file runs in a client."""

    def __init__(self, db: Database, shown: Placeholders | None = None) -> None:
        self.db = db
        self.lines: list[str] = []
        # The placeholders the script is written with, when they are not the ones the
        # scripts were prepared with (secret ones left as written).
        self.shown = shown
        self._shown_statements: dict[int, list[Statement]] = {}

    def comment(self, text: str) -> None:
        """A `--` comment, one line whatever `text` holds: a newline or a carriage return
        (a migration's file name may hold one) would end the comment, and the rest of the
        text would be SQL the script runs."""
        from dbci.logtext import visible_controls

        self.lines.append("-- " + visible_controls(text).replace("\n", "\\n"))

    def blank(self) -> None:
        self.lines.append("")

    def statement(self, sql: str) -> None:
        self.lines.append(self.db.script_statement(sql))

    def written(self, statement: Statement) -> None:
        """A statement of a script: a COPY … FROM STDIN as written, with its `;`, its data
        and its `\\.` line, which psql reads as they are; any other one ended as usual."""
        if statement.is_copy:
            self.lines.append(statement.written)
        else:
            self.statement(statement.sql)

    def statements(self, script: PreparedScript) -> None:
        for statement in self.shown_statements(script):
            self.written(statement)

    def shown_statements(self, script: PreparedScript) -> list[Statement]:
        """A prepared script's statements as the script shows them: prepared again with the
        shown placeholders when there are such (its checksum and transaction stay those of
        the script as it runs)."""
        if self.shown is None:
            return script.statements
        key = id(script)
        if key not in self._shown_statements:
            self._shown_statements[key] = prepare(script.script, self.shown, self.db).statements
        return self._shown_statements[key]

    def callbacks(self, scripts: list[PreparedScript], *, transaction: bool) -> None:
        for script in scripts:
            self.comment(f"callback {script.script.display_path}")
            wrap = transaction and script.in_transaction
            if wrap:
                self.statement(self.db.begin_sql)
            self.statements(script)
            if wrap:
                self.statement("COMMIT")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def dry_run(
    settings: Settings, *, log: Log = quiet, unreplaced: Iterable[str] = ()
) -> DryRunResult:
    """Write the SQL `migrate` would run against the settings' database, running none of it.
    `unreplaced` names placeholders the script shows as they are written (`${name}`)."""
    found = discover(settings)
    with open_session(settings, found, lock=False, log=log, run_callbacks=False) as session:
        history_plan = plan_history(session, baseline_on_migrate=settings.baseline_on_migrate)
        validate_before_migrate(session, log)
        ready = prepare_pending(session)
        db, callbacks = session.db, session.callbacks
        hidden = set(unreplaced)
        out = _Script(db, session.placeholders.keeping(hidden) if hidden else None)
        out.comment(f"dbci migrate --dry-run: {session.database_text}")
        out.comment(f'schema "{session.schema}", history table {session.history.qualified}')
        out.comment("nothing below has been executed")
        out.blank()
        out.callbacks(callbacks.get("afterConnect"), transaction=True)
        _history_creation(session, history_plan, out)
        plan = plan_migrations(session, ready)
        current = session.status.current_version
        out.comment(f"current version: {current.text if current else '<< Empty Schema >>'}")
        out.callbacks(callbacks.get("beforeMigrate"), transaction=True)
        hooks = callbacks.hooks("Migrate")
        installed_by = session.installed_by
        versioned = [p for p in plan if p.script.version is not None]
        repeatable = [p for p in plan if p.script.version is None]
        for step in versioned:
            _migration(session, step, hooks, installed_by, out)
        if versioned:
            out.callbacks(callbacks.get("afterVersioned"), transaction=True)
        for step in repeatable:
            _migration(session, step, hooks, installed_by, out)
        if plan:
            out.callbacks(callbacks.get("afterMigrateApplied"), transaction=True)
        out.callbacks(callbacks.get("afterMigrate"), transaction=True)
        if not plan:
            out.comment(f'schema "{session.schema}" is up to date: no migration to apply')
        return DryRunResult(
            session.database_text,
            session.schema,
            out.text(),
            [p.script.script for p in plan],
            found.warnings,
        )


def _history_creation(session: Session, plan: HistoryPlan, out: _Script) -> None:
    """What `ensure_history` would run, and the rows it would write, simulated in memory."""
    db, history = session.db, session.history
    if not plan.create_table:
        use = db.use_schema_sql(session.schema)
        if use:
            out.statement(use)
        return
    if plan.create_schemas:
        out.callbacks(session.callbacks.get("beforeCreateSchema"), transaction=True)
    for schema in plan.create_schemas:
        out.statement(db.create_schema_sql(schema))
    use = db.use_schema_sql(session.schema)
    if use:
        out.statement(use)
    out.comment(f"create the schema history table {history.qualified}")
    out.statement(db.begin_sql)
    for statement in db.history_table_ddl(session.schema, session.settings.table):
        out.statement(statement)
    out.statement("COMMIT")
    history.assume_empty()
    installed_by = session.installed_by
    rows: list[AppliedMigration] = []
    if plan.create_schemas:
        script = ",".join(db.quote(s) for s in plan.create_schemas)
        rows.append(_row(0, None, SCHEMA_MARKER, "SCHEMA", script, installed_by))
        out.statement(
            history.insert_sql(
                version=None,
                description=SCHEMA_MARKER,
                type="SCHEMA",
                script=script,
                checksum=None,
                installed_by=installed_by,
                execution_time_sql="0",
            )
        )
    if plan.baseline is not None:
        description = session.settings.baseline_description
        rows.append(
            _row(
                history.next_rank(),
                plan.baseline,
                description,
                "BASELINE",
                BASELINE_MARKER,
                installed_by,
            )
        )
        out.comment(f"baselineOnMigrate: the existing schema becomes version {plan.baseline}")
        out.statement(
            history.insert_sql(
                version=plan.baseline.text,
                description=description,
                type="BASELINE",
                script=BASELINE_MARKER,
                checksum=None,
                installed_by=installed_by,
                execution_time_sql="0",
            )
        )
    out.blank()
    session.rebuild(rows)


def _row(
    rank: int,
    version: Version | None,
    description: str,
    type_: str,
    script: str,
    installed_by: str,
) -> AppliedMigration:
    return AppliedMigration(
        installed_rank=rank,
        version=version,
        description=description,
        type=type_,
        script=script,
        checksum=None,
        installed_by=installed_by,
        installed_on=None,
        execution_time=0,
        success=True,
    )


def _migration(
    session: Session, step: PreparedScript, hooks: Hooks, installed_by: str, out: _Script
) -> None:
    s = step.script
    out.comment(f'migrating schema "{session.schema}" to {step.name}: {s.display_path}')
    if step.in_transaction:
        out.statement(session.db.begin_sql)
    out.callbacks(hooks.before, transaction=False)
    if hooks.before_statement or hooks.after_statement:
        for statement in out.shown_statements(step):
            out.callbacks(hooks.before_statement, transaction=False)
            out.written(statement)
            out.callbacks(hooks.after_statement, transaction=False)
    else:
        out.statements(step)
    out.callbacks(hooks.after, transaction=False)
    out.statement(history_insert_sql(session.history, step, installed_by, "0"))
    if step.in_transaction:
        out.statement("COMMIT")
    out.blank()
