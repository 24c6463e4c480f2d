"""DB303 column-in-use, from the build: the columns the pending migrations drop or rename,
and the objects that still use them by their old name.

One file cannot show it: the function that reads `customers.fax` was applied months ago,
or comes in another pending migration. The check has both builds: the applied migrations
(A, what the target holds) and all of them (B, what deploy makes of it). A column of a
table in both that B no longer has is gone (dropped, or renamed: the catalog cannot tell
them apart, the migration can). Its users are found in B's functions, procedures,
triggers and views (still there, and failing when they run) and in A's views that B no
longer has (dropped with the column by CASCADE).

Where the engine keeps a kind of object in step with the columns it uses
(`Engine.keeps_column_users`: a PostgreSQL view follows a rename and blocks a drop), that
kind is not read. Elsewhere the object's text is: it uses the column when it names it and
names its table (or is a trigger on the table, or a trigger's function on it, or a view
the catalog says reads the table). Comments are left out; strings are read, as dynamic
SQL names columns in them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from dbci.analysis.findings import OFF, CodeResult, Finding
from dbci.analysis.rules import RULES_BY_ID
from dbci.analysis.suppression import ignored_rules
from dbci.errors import DbciError
from dbci.schema.model import Snapshot
from dbci.schema.model.base import DbObject
from dbci.schema.model.keys import Key
from dbci.schema.model.routines import Function, Trigger
from dbci.schema.model.tables import Table
from dbci.schema.model.views import View
from dbci.settings.config import Settings
from dbci.sqlsplit import Statement, split_statements

RULE = "DB303"
DROPS, RENAMES = "DB103", "DB301"  # the rules that flag the statement that does it
_WORD = re.compile(r'"((?:[^"]|"")+)"|`((?:[^`]|``)+)`|\[([^\]]+)\]|([^\W\d][\w$]*)')
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
# What a statement that drops or renames a column starts with or says.
_ALTERS = frozenset({"alter", "rename", "change", "drop", "sp_rename"})
# (schema, table lower-cased) -> the keys of the functions its triggers run.
_TriggerFunctions = dict[tuple[str, str], set[Key]]


@dataclass(frozen=True)
class GoneColumn:
    """A column of a table that the applied build has and the full build has not."""

    schema: str
    table: str
    column: str

    @property
    def shown(self) -> str:
        return f"{self.table}.{self.column}"


@dataclass(frozen=True)
class ColumnUse:
    """An object that uses a gone column: still there (fails when it runs) or dropped
    with the column."""

    column: GoneColumn
    user: DbObject
    dropped_with_it: bool = False

    @property
    def user_shown(self) -> str:
        # MySQL's objects have no schema of their own (the database is the schema).
        schema = f"{self.user.schema}." if self.user.schema else ""
        return f"{self.user.kind} {schema}{self.user.key_name}"


def gone_columns(before: Snapshot, after: Snapshot) -> list[GoneColumn]:
    """The columns of tables in both snapshots that `after` no longer has."""
    gone: list[GoneColumn] = []
    for key, table in after.objects.items():
        old = before.objects.get(key)
        if not isinstance(table, Table) or not isinstance(old, Table):
            continue
        kept = {c.name.lower() for c in table.columns}
        gone += [
            GoneColumn(table.schema, table.name, c.name)
            for c in old.columns
            if c.name.lower() not in kept
        ]
    return gone


def column_uses(before: Snapshot, after: Snapshot, kept: frozenset[str]) -> list[ColumnUse]:
    """Every object of `after` that still uses a column gone since `before`, and every view
    of `before` that used one and `after` no longer has; `kept`: the kinds the engine
    keeps in step itself (not read)."""
    gone = gone_columns(before, after)
    if not gone:
        return []
    trigger_functions = _trigger_functions(before, after)
    uses: list[ColumnUse] = []
    for column in gone:
        for obj in after.objects.values():
            if obj.kind not in kept and _uses(obj, column, trigger_functions):
                uses.append(ColumnUse(column, obj))
        for key, obj in before.objects.items():
            if key not in after.objects and isinstance(obj, View):
                if _uses(obj, column, trigger_functions):
                    uses.append(ColumnUse(column, obj, dropped_with_it=True))
    return uses


def column_use_findings(
    uses: Sequence[ColumnUse],
    findings: Sequence[Finding],
    scripts: Sequence[str],
    project_dir: Path,
    dialect: str,
    severity: str,
) -> list[Finding]:
    """A DB303 finding for each use, at the statement that drops or renames its column:
    the DB103/DB301 finding about it, else the first statement of the pending `scripts`
    (display paths) that alters its table and names it, else the last script's first line.
    A view gone with its column is reported only where that statement says CASCADE (else
    a migration dropped it on purpose). A `dbci:ignore` of DB303 (or of every rule) on
    the statement makes the finding an info note, as for any rule."""
    texts = _Scripts(project_dir, dialect)
    out: list[Finding] = []
    for use in uses:
        column = use.column
        place = _anchor(column, findings, scripts, texts)
        if use.dropped_with_it:
            if place is None or "cascade" not in words(place.sql):
                continue
        if place is None:
            place = _Place(scripts[-1] if scripts else "", 1, "", "")
        does = {DROPS: "drops", RENAMES: "renames"}.get(place.rule, "drops or renames")
        if use.dropped_with_it:
            message = (
                f"{use.user_shown} reads {column.shown}, which this {does}: the view is "
                "dropped with it (CASCADE)"
            )
        else:
            message = (
                f"{use.user_shown} still uses {column.shown}, which this {does}: it fails "
                "when it runs"
            )
        ignored = texts.ignored(place.file, place.line)
        if ignored is not None and (not ignored or RULE in ignored):
            message = f"(column-in-use) suppressed by dbci:ignore: {message}"
            out.append(Finding(RULE, "info", place.file, place.line, 1, message, "dbci", True))
        else:
            out.append(Finding(RULE, severity, place.file, place.line, 1, message, "dbci"))
    return out


@dataclass(frozen=True)
class _Place:
    """Where a column is dropped or renamed, and the rule that flagged it ("": none)."""

    file: str
    line: int
    rule: str
    sql: str  # the statement's text ("": not found)


def _anchor(
    column: GoneColumn, findings: Sequence[Finding], scripts: Sequence[str], texts: _Scripts
) -> _Place | None:
    """The statement of the pending scripts that drops or renames `column`."""
    names = {column.table.lower(), column.column.lower()}
    for finding in findings:
        if finding.rule in (DROPS, RENAMES) and finding.source == "dbci":
            statement = texts.statement_at(finding.file, finding.line)
            if statement is not None and names <= words(statement.sql):
                return _Place(finding.file, finding.line, finding.rule, statement.sql)
    for script in scripts:
        for statement in texts.statements(script):
            said = words(statement.sql)
            if names <= said and said & _ALTERS:
                return _Place(script, statement.line, "", statement.sql)
    return None


@lru_cache(maxsize=4096)  # an object's text is read once for every gone column
def words(text: str) -> frozenset[str]:
    """The identifiers and words of SQL text, lower-cased and unquoted ("Fax", `fax`,
    [fax] and fax are one), comments left out."""
    found: set[str] = set()
    for match in _WORD.finditer(_COMMENT.sub(" ", text)):
        quoted = next(g for g in match.groups() if g is not None)
        found.add(quoted.replace('""', '"').replace("``", "`").lower())
    return frozenset(found)


def _uses(obj: DbObject, column: GoneColumn, trigger_functions: _TriggerFunctions) -> bool:
    """Whether `obj`'s text uses `column` (see the module's docstring)."""
    if isinstance(obj, Trigger):
        text, on_table = obj.definition, obj.table.lower() == column.table.lower()
    elif isinstance(obj, Function):
        text = obj.definition or obj.body
        on_table = obj.key in trigger_functions.get((column.schema, column.table.lower()), ())
    elif isinstance(obj, View):
        text = obj.definition
        on_table = any(
            kind in ("table", "view", "materialized view")
            and schema == column.schema
            and name.lower() == column.table.lower()
            for kind, schema, name in obj.dependencies
        )
    else:
        return False
    said = words(text)
    return column.column.lower() in said and (on_table or column.table.lower() in said)


def _trigger_functions(*snapshots: Snapshot) -> _TriggerFunctions:
    """(schema, table lower-cased) -> the keys of the functions its triggers run."""
    found: _TriggerFunctions = {}
    for snapshot in snapshots:
        for obj in snapshot.objects.values():
            if isinstance(obj, Trigger) and obj.function is not None:
                found.setdefault((obj.schema, obj.table.lower()), set()).add(obj.function)
    return found


class _Scripts:
    """The pending scripts' statements, split once each."""

    def __init__(self, project_dir: Path, dialect: str) -> None:
        self.project_dir = project_dir
        self.dialect = dialect
        self._split: dict[str, tuple[list[str], list[Statement]]] = {}

    def _read(self, display: str) -> tuple[list[str], list[Statement]]:
        if display not in self._split:
            try:
                text = (self.project_dir / display).read_text(encoding="utf-8")
                self._split[display] = (text.splitlines(), split_statements(text, self.dialect))
            except (OSError, UnicodeDecodeError, DbciError):
                # A script that cannot be read or split was reported by the analysis.
                self._split[display] = ([], [])
        return self._split[display]

    def statements(self, display: str) -> Iterable[Statement]:
        return self._read(display)[1]

    def statement_at(self, display: str, line: int) -> Statement | None:
        """The statement that `line` is in."""
        found = None
        for statement in self._read(display)[1]:
            if statement.line > line:
                break
            found = statement
        return found

    def ignored(self, display: str, line: int) -> set[str] | None:
        """The rules a `dbci:ignore` names for the statement at `line`: in it, or in a
        comment on a line of its own before it (as `suppression` reads them); an empty
        set: every rule; None: none there."""
        lines, statements = self._read(display)
        statement = self.statement_at(display, line)
        if statement is None:
            return None
        index = statements.index(statement)
        first = 0
        if index:
            before = statements[index - 1]
            first = before.line + before.sql.count("\n")  # the line after its last (0-based)
        own_lines = [t for t in lines[first : statement.line - 1] if t.lstrip().startswith("--")]
        return ignored_rules("\n".join([*own_lines, statement.sql]))


def report_column_uses(
    code: CodeResult, before: Snapshot, after: Snapshot, settings: Settings
) -> None:
    """Add DB303's findings to `code` (in order), with the severity
    `[dbci.check.code.severity]` gives it (`off`: none)."""
    from dbci.analysis.settings import code_settings
    from dbci.engines.registry import find

    config_name = settings.config_file.name if settings.config_file else "dbci.toml"
    severity = code_settings(settings.dbci, config_name=config_name).severity.get(
        RULE, RULES_BY_ID[RULE].severity
    )
    if severity == OFF:
        return
    engine = find(after.dialect)
    kept = engine.keeps_column_users if engine is not None else frozenset()
    uses = column_uses(before, after, kept)
    if not uses:
        return
    found = column_use_findings(
        uses, code.findings, code.files_checked, settings.project_dir, after.dialect, severity
    )
    code.findings = sorted([*code.findings, *found], key=Finding.sort_key)
