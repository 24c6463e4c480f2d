"""What a refresh copies, decided before a row moves: how each table is reached, which
columns go across, and the mask of each column.

A table is, in the refresh's words:

* `start`: a start table of `[dbci.data]`: the rows its condition or percentage selects;
* `parent`: reached upwards through foreign keys from the start tables: only the rows
  that rows already copied reference (so every constraint holds);
* `child`: with `children = true`, below the start tables (referencing them, directly or
  further down): rows that reference rows already copied, up to `children_limit` of them
  (0: all); without it such a table is left `empty` (copied whole, it would bring every
  row of the start table back as its parents);
* `whole`, `empty`, `skipped`: a table the subset does not reach, as `unreached` says:
  copied whole, left empty, or left as the migrations made it.

Masks are checked here too: each `[dbci.data.mask]` key names one column that is copied;
a foreign key's columns and the parent columns they reference carry the same mask (else
the masked values would no longer match, and the constraint would fail).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from dbci.data.config import DataSettings, MaskRule, StartRule
from dbci.data.model import Catalog, Column, ForeignKey, Name, Table
from dbci.data.order import children, copy_order, parents
from dbci.errors import InputError

KEEP = MaskRule("keep")


@dataclass(frozen=True)
class TablePlan:
    """How one table of the target is filled."""

    source: Table
    target: Table
    how: str  # start | parent | child | whole | empty | skipped
    start: StartRule | None = None
    columns: tuple[str, ...] = ()  # copied: in both tables, not generated on the target
    masks: dict[str, MaskRule] = field(default_factory=dict)  # column -> mask (not keep)
    kept: frozenset[str] = frozenset()  # columns written `keep`: copied as they are

    @property
    def name(self) -> Name:
        return self.target.key

    @property
    def display(self) -> str:
        return f"{self.target.schema}.{self.target.name}"

    @property
    def copies(self) -> bool:
        """Whether rows are copied into it (an empty or skipped table gets none)."""
        return self.how not in ("empty", "skipped")


@dataclass(frozen=True)
class RefreshPlan:
    """Every table of the target, in the order they are filled (parents first)."""

    tables: list[TablePlan]
    # Tables of the source that the target does not have (the branch dropped them).
    source_only: list[Name] = field(default_factory=list)
    # With `children = true`: each child table reached downwards and the foreign key it
    # is reached through, in the order they are filled (a parent before its children).
    downward: list[tuple[Name, ForeignKey]] = field(default_factory=list)

    def table(self, name: Name) -> TablePlan:
        return next(t for t in self.tables if t.name == name)

    @property
    def masked(self) -> list[str]:
        """`schema.table.column` of every masked column, in order."""
        return [f"{t.display}.{c}" for t in self.tables for c in t.masks]


def make_plan(source: Catalog, target: Catalog, data: DataSettings) -> RefreshPlan:
    """The plan for copying `source`'s rows into `target` (the branch's schema) as `data`
    says; one clear line for a start table or mask that names nothing, or masks that a
    foreign key would no longer match."""
    starts = {_resolve(target, rule.table, "[dbci.data]"): rule for rule in data.start}
    how, downward = _reach(target, set(starts), data)
    masks = _masks(source, target, data)
    plans: list[TablePlan] = []
    for group in copy_order(target):
        for name in group:
            table = target.tables[name]
            origin = source.tables.get(name)
            if origin is None:
                # A table the branch adds: nothing to copy into it.
                plans.append(TablePlan(table, table, "empty"))
                continue
            kind = (
                how.get(name)
                or {"all": "whole", "empty": "empty", "skip": "skipped"}[data.unreached]
            )
            copied = tuple(
                c.name
                for c in table.columns
                if not c.generated and origin.has(c.name) and not origin.column(c.name).generated
            )
            own = {c: m for (t, c), m in masks.items() if t == name and c in copied and m != KEEP}
            kept = frozenset(c for (t, c), m in masks.items() if t == name and m == KEEP)
            plans.append(TablePlan(origin, table, kind, starts.get(name), copied, own, kept))
    _check_foreign_key_masks(target, masks)
    return RefreshPlan(plans, sorted(set(source.tables) - set(target.tables)), downward)


def _reach(
    catalog: Catalog, starts: set[Name], data: DataSettings
) -> tuple[dict[Name, str], list[tuple[Name, ForeignKey]]]:
    """How each table the start tables reach is reached, and the child tables in the order
    they are filled downwards, each with the foreign key it is filled through.

    Upwards: every parent of a start table, and of those, is `parent`. Downwards: the
    tables below the start tables (that reference them, directly or further down) are
    `child` with `children = true`, else `empty`: copied whole, they would bring every row
    of the start table back as their parents. Their own parents are reached upwards too."""
    how: dict[Name, str] = {name: "start" for name in starts}
    downward: list[tuple[Name, ForeignKey]] = []

    def upwards(tables: list[Name]) -> None:
        queue = deque(tables)
        while queue:
            for key in parents(catalog, queue.popleft()):
                if key.parent not in how:
                    how[key.parent] = "parent"
                    queue.append(key.parent)

    upwards(sorted(starts))
    below: list[Name] = []
    queue = deque(sorted(starts))
    while queue:
        parent = queue.popleft()
        for child, key in children(catalog, parent):
            if child not in how:
                how[child] = "child" if data.children else "empty"
                below.append(child)
                queue.append(child)
                if data.children:
                    downward.append((child, key))
    if data.children:
        upwards(below)
    return how, downward


def _resolve(catalog: Catalog, written: str, where: str) -> Name:
    """The table `written` names: `schema.table`, or `table` when one schema has it;
    names compare without regard to case when that is not ambiguous."""
    parts = written.split(".")
    if len(parts) > 2 or not all(parts):
        raise InputError(f"{where} {written}: write a table as table or schema.table")
    exact = [n for n in catalog.tables if list(n[-len(parts) :]) == parts]
    if len(exact) == 1:
        return exact[0]
    folded = [
        n
        for n in catalog.tables
        if [p.lower() for p in n[-len(parts) :]] == [p.lower() for p in parts]
    ]
    if len(folded) == 1:
        return folded[0]
    if not folded:
        raise InputError(f"{where} {written}: no such table in the target's schemas")
    names = ", ".join(f"{s}.{t}" for s, t in sorted(folded))
    raise InputError(f"{where} {written}: more than one table has that name ({names})")


def _masks(
    source: Catalog, target: Catalog, data: DataSettings
) -> dict[tuple[Name, str], MaskRule]:
    """(table, column) -> mask, for each `[dbci.data.mask]` key (keep included)."""
    found: dict[tuple[Name, str], MaskRule] = {}
    for written, rule in data.masks.items():
        table_part, _, column_part = written.rpartition(".")
        where = "[dbci.data.mask]"
        if not table_part:
            raise InputError(f"{where} {written}: write a column as table.column")
        name = _resolve(target, table_part, where)
        table = target.tables[name]
        column = _column(table, column_part)
        if column is None:
            raise InputError(f"{where} {written}: {table.schema}.{table.name} has no such column")
        if name not in source.tables or not source.tables[name].has(column.name):
            raise InputError(f"{where} {written}: the source has no such column to copy")
        if rule.kind == "faker" and rule.locale is None:
            rule = MaskRule("faker", rule.value, data.locale)
        found[(name, column.name)] = rule
    return found


def _column(table: Table, written: str) -> Column | None:
    """The column `written` names: exactly, else without regard to case when that is not
    ambiguous."""
    exact = [c for c in table.columns if c.name == written]
    if len(exact) == 1:
        return exact[0]
    folded = [c for c in table.columns if c.name.lower() == written.lower()]
    return folded[0] if len(folded) == 1 else None


def _check_foreign_key_masks(catalog: Catalog, masks: dict[tuple[Name, str], MaskRule]) -> None:
    """A foreign key's column must be masked as the parent column it references is: the
    same value then gives the same masked value on both sides."""
    for name, table in sorted(catalog.tables.items()):
        for key in table.foreign_keys:
            if key.parent not in catalog.tables:
                continue
            parent = catalog.tables[key.parent]
            for mine, theirs in zip(key.columns, key.parent_columns, strict=True):
                own = masks.get((name, mine), KEEP)
                other = masks.get((key.parent, theirs), KEEP)
                where = f"[dbci.data.mask] {table.schema}.{table.name}.{mine}"
                if "shuffle" in (own.kind, other.kind):
                    raise InputError(
                        f"{where}: a foreign key's columns ({key.name}) cannot be shuffled: the "
                        "rows would reference other rows; use hash (or keep)"
                    )
                lengths = (table.column(mine).max_length, parent.column(theirs).max_length)
                if own == other and own.kind in ("hash", "faker") and lengths[0] != lengths[1]:
                    raise InputError(
                        f"{where} and {key.parent[0]}.{key.parent[1]}.{theirs} ({key.name}) hold "
                        f"at most {lengths[0]} and {lengths[1]} characters: masked values cut to "
                        "different lengths would not match; give them one length, or keep them"
                    )
                if own != other and own.kind != "null":
                    raise InputError(
                        f"[dbci.data.mask] {table.schema}.{table.name}.{mine} references "
                        f"{key.parent[0]}.{key.parent[1]}.{theirs} ({key.name}) but is masked "
                        f"with {_describe(own)} and it with {_describe(other)}: give both the "
                        "same mask, so that the masked values still match"
                    )


def _describe(rule: MaskRule) -> str:
    if rule.kind == "faker":
        return f"faker {rule.value} ({rule.locale})"
    return rule.kind if rule.value is None else f"{rule.kind} {rule.value!r}"
