"""The statements that turn one MySQL/MariaDB schema into another, and DDL to read.

Each changed table gets one ALTER TABLE holding all its changes (keys, indexes, checks,
columns, comment), because MySQL checks the table only once the whole statement is
done: a primary key can move while an AUTO_INCREMENT column needs one, an index a
foreign key needs can be replaced by another, a check on a dropped column goes with it.
A table whose only change is new indexes, or only dropped ones, gets CREATE INDEX or
DROP INDEX … ON instead. Columns take their place in B's order (AFTER / FIRST).

The phases, in order: drop triggers, views and routines that change or go; drop foreign
keys that change or go, and those that must let a column or a key change under them
(MySQL refuses to retype a column a foreign key uses, and to drop a key it needs); drop
tables; create tables (without foreign keys); alter tables; add foreign keys; create
routines, views (each after the views it reads) and triggers. Routines, views and
triggers are dropped and created again rather than altered: MySQL binds none of them to
the tables they read, so nothing else has to move around them.

A routine's or trigger's body keeps its `;`s: each is one statement to the server. A
script for the mysql client wraps those in DELIMITER (`mysql_script`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, TypeVar, cast

from dbci.engines.mysql.snapshot import index_tail, literal, qualified, quote
from dbci.schema.model import (
    Column,
    Constraint,
    DbObject,
    Function,
    Index,
    Key,
    Table,
    Trigger,
    View,
    constraint_adds,
    constraint_drops,
    is_foreign_key,
)

if TYPE_CHECKING:
    from dbci.schema.diff import _Planner

_Object = TypeVar("_Object", bound=DbObject)

_ROUTINE_KEYWORD = {"function": "FUNCTION", "procedure": "PROCEDURE"}
# A backquoted identifier, and a list of them, as the snapshot writes foreign keys.
_IDENT = r"`(?:[^`]|``)*`"
_LIST = rf"{_IDENT}(?:, {_IDENT})*"
_FOREIGN_KEY = re.compile(
    rf"FOREIGN KEY \((?P<columns>{_LIST})\) REFERENCES (?:{_IDENT}\.)?{_IDENT} "
    rf"\((?P<referenced>{_LIST})\)"
)


def emit_mysql(planner: _Planner) -> list[str]:
    """Statements in dependency order for the planner's changes."""
    a, b = planner.a.objects, planner.b.objects
    dropped, added = planner.dropped_keys, planner.added_keys
    changed = {old.key: (old, new) for old, new in planner.changed}
    # Views, routines and triggers that B has and that are (re)created: new ones, changed
    # ones, and those the planner recreates because something they use is.
    renewed = {k for k in changed.keys() | planner.recreate if k in b and k in a}
    out: list[str] = []

    dropped_tables = {k for k in dropped if k[0] == "table"}
    for obj in _of(a, dropped | renewed, Trigger):
        if ("table", obj.schema, obj.table) not in dropped_tables:
            out.append(f"DROP TRIGGER IF EXISTS {qualified(obj.schema, obj.name)}")
    for obj in reversed(_view_order(_of(a, dropped, View))):
        out.append(f"DROP VIEW IF EXISTS {qualified(obj.schema, obj.name)}")
    for obj in _of(a, dropped | renewed, Function):
        out.append(f"DROP {_ROUTINE_KEYWORD[obj.kind]} IF EXISTS {obj_name(obj)}")

    table_changes = [
        (old, new)
        for key, (old, new) in sorted(changed.items())
        if isinstance(old, Table) and isinstance(new, Table)  # one key: one kind on both sides
    ]
    refreshed = _refreshed_foreign_keys(planner, table_changes)
    for table in _of(a, dropped, Table):
        out += [_drop_foreign_key(table, c) for c in table.constraints if is_foreign_key(c)]
    for old, new in table_changes:
        out += [_drop_foreign_key(old, c) for c in constraint_drops(old, new) if is_foreign_key(c)]
    for table_key, name in sorted(refreshed):
        table = cast(Table, a[table_key])  # refreshed: tables' keys
        assert isinstance(table, Table)
        out += [_drop_foreign_key(table, c) for c in table.constraints if c.name == name]
    for table in _of(a, dropped, Table):
        out.append(f"DROP TABLE {qualified(table.schema, table.name)}")

    index_drops, index_adds = _index_changes(planner, changed)
    for table in _of(b, added, Table):
        indexes = [
            i for i in _of(b, added, Index) if (i.schema, i.table) == (table.schema, table.name)
        ]
        out.append(create_table_sql(table, indexes, foreign_keys=False))
    table_keys = {o.key for o, _ in table_changes} | index_drops.keys() | index_adds.keys()
    for key in sorted(table_keys):
        old, new = cast(Table, a[key]), cast(Table, b[key])
        assert isinstance(old, Table) and isinstance(new, Table)
        out += _alter_table(old, new, index_drops.get(key, []), index_adds.get(key, []))

    for table in _of(b, added, Table):
        out += [_add_foreign_key(table, c) for c in table.constraints if is_foreign_key(c)]
    for old, new in table_changes:
        out += [_add_foreign_key(new, c) for c in constraint_adds(old, new) if is_foreign_key(c)]
    for table_key, name in sorted(refreshed):
        table = cast(Table, b[table_key])
        assert isinstance(table, Table)
        out += [_add_foreign_key(table, c) for c in table.constraints if c.name == name]

    for obj in _of(b, added | renewed, Function):
        out.append(obj.definition)
    for obj in _view_order(_of(b, added | renewed, View)):
        out.append(view_sql(obj, replace=obj.key in a))
    for obj in _of(b, added | renewed, Trigger):
        out.append(obj.definition)
    return out


# ---- DDL for people to read -------------------------------------------------------------------


def create_ddl(obj: DbObject) -> str:
    """One object's creation script, as the mysql client runs it."""
    if isinstance(obj, Table):
        statement = create_table_sql(obj, [], foreign_keys=True)
    elif isinstance(obj, Index):
        statement = obj.definition
    elif isinstance(obj, View):
        statement = view_sql(obj, replace=False)
    elif isinstance(obj, Function | Trigger):
        statement = obj.definition
    else:
        return obj.ddl()
    return mysql_script([statement])


def mysql_script(statements: Sequence[str]) -> str:
    """The statements as a script for the mysql client (and Flyway): each ends in `;`,
    except those with a `;` of their own (a routine's or trigger's body), which the
    client would cut there: they are wrapped in DELIMITER $$ … $$ DELIMITER ; (another
    delimiter where `$$` appears in them)."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            delimiter = next(d for d in _DELIMITERS if not any(d in s for s in pending))
            out.append(f"DELIMITER {delimiter}\n")
            out.extend(f"{s}{delimiter}\n" for s in pending)
            out.append("DELIMITER ;\n")
            pending.clear()

    for statement in statements:
        text = statement.rstrip().rstrip(";").rstrip()
        if _has_semicolon(text):
            pending.append(text)
        else:
            flush()
            out.append(f"{text};\n")
    flush()
    return "".join(out)


_DELIMITERS = ("$$", "//", ";;", "$$$$", "@@@@")
_QUOTED = re.compile(
    r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.|\"\")*\"|`(?:[^`]|``)*`|/\*.*?\*/|--[^\n]*|#[^\n]*",
    re.DOTALL,
)


def _has_semicolon(statement: str) -> bool:
    """Whether a `;` stands outside the statement's strings, identifiers and comments."""
    return ";" in _QUOTED.sub("", statement)


# ---- tables ------------------------------------------------------------------------------------


def column_sql(column: Column, check: Constraint | None = None) -> str:
    """A column as CREATE TABLE, ADD COLUMN and MODIFY COLUMN write it, with its
    column-level check (MariaDB) when it has one."""
    sql = f"{quote(column.name)} {column.data_type}"
    if column.collation:
        sql += f" COLLATE {column.collation}"
    if column.generated is not None:
        sql += f" GENERATED ALWAYS AS {column.generated}"
    if not column.nullable:
        sql += " NOT NULL"
    elif column.data_type.lower().startswith("timestamp"):
        # Without explicit_defaults_for_timestamp, a bare TIMESTAMP is NOT NULL.
        sql += " NULL"
    if column.default is not None and column.generated is None:
        sql += f" DEFAULT {column.default}"
    if column.identity:
        sql += f" {column.identity}"
    if column.comment is not None:
        sql += f" COMMENT {literal(column.comment)}"
    if check is not None:
        sql += f" {check.definition}"
    return sql


def create_table_sql(table: Table, indexes: Iterable[Index], *, foreign_keys: bool) -> str:
    """CREATE TABLE with its keys, checks and `indexes`; foreign keys when asked."""
    checks = _column_checks(table)
    parts = [column_sql(c, checks.get(c.name)) for c in table.columns]
    for constraint in table.constraints:
        if constraint.constraint_type == "primary key":
            parts.append(constraint.definition)
        elif constraint.constraint_type == "column check" or (
            is_foreign_key(constraint) and not foreign_keys
        ):
            continue
        else:
            parts.append(f"CONSTRAINT {quote(constraint.name)} {constraint.definition}")
    parts += [_index_clause(i) for i in sorted(indexes, key=lambda i: i.name)]
    inner = ",\n  ".join(parts)
    sql = f"CREATE TABLE {qualified(table.schema, table.name)} (\n  {inner}\n)"
    if table.comment is not None:
        sql += f" COMMENT={literal(table.comment)}"
    return sql


def _index_clause(index: Index, prefix: str = "") -> str:
    """An index inside CREATE TABLE (`INDEX i (…)`) or ALTER TABLE (`ADD INDEX i (…)`)."""
    kind = (
        "UNIQUE "
        if index.unique
        else {"fulltext": "FULLTEXT ", "spatial": "SPATIAL "}.get(index.method, "")
    )
    return f"{prefix}{kind}INDEX {quote(index.name)} {index_tail(index)}"


def _alter_table(
    old: Table, new: Table, drop_indexes: list[Index], add_indexes: list[Index]
) -> list[str]:
    """The statements for one table B keeps: one ALTER TABLE, or CREATE/DROP INDEX for a
    table whose only change is indexes added (or dropped)."""
    target = qualified(new.schema, new.name)
    if old == new and not (drop_indexes and add_indexes):
        if add_indexes:
            return [i.definition for i in add_indexes]
        return [f"DROP INDEX {quote(i.name)} ON {target}" for i in drop_indexes]
    clauses: list[str] = []
    for constraint in constraint_drops(old, new):
        if constraint.constraint_type == "primary key":
            clauses.append("DROP PRIMARY KEY")
        elif constraint.constraint_type == "unique":
            clauses.append(f"DROP INDEX {quote(constraint.name)}")
        elif constraint.constraint_type == "check":
            # DROP CONSTRAINT: MariaDB has no DROP CHECK, MySQL 8.0.19 and later take both.
            clauses.append(f"DROP CONSTRAINT {quote(constraint.name)}")
        # foreign keys went before; a column check goes with its column's new definition
    clauses += [f"DROP INDEX {quote(i.name)}" for i in drop_indexes]
    clauses += _column_clauses(old, new)
    for constraint in constraint_adds(old, new):
        if constraint.constraint_type == "primary key":
            clauses.append(f"ADD {constraint.definition}")
        elif constraint.constraint_type in ("unique", "check"):
            clauses.append(f"ADD CONSTRAINT {quote(constraint.name)} {constraint.definition}")
    clauses += [_index_clause(i, "ADD ") for i in add_indexes]
    if old.comment != new.comment:
        clauses.append(f"COMMENT = {literal(new.comment or '')}")
    if not clauses:
        return []
    return [f"ALTER TABLE {target}\n  " + ",\n  ".join(clauses)]


def _column_clauses(old: Table, new: Table) -> list[str]:
    """DROP, ADD and MODIFY COLUMN clauses, in B's column order.

    A new column is added AFTER the one B has before it (or FIRST). Kept columns whose
    order changes are moved the same way; MySQL places each positioned column in turn,
    so working through B's order leaves every column where B has it. A column that
    becomes or stops being generated, or changes its generation kind, is dropped and
    added again: MySQL alters neither.
    """
    before = {c.name: c for c in old.columns}
    old_checks, new_checks = _column_checks(old), _column_checks(new)

    def replaced(column: Column) -> bool:
        previous = before.get(column.name)
        return (
            previous is None
            or (previous.generated is None) != (column.generated is None)
            or (
                previous.generated is not None
                and column.generated is not None
                and previous.generated.rsplit(" ", 1)[1] != column.generated.rsplit(" ", 1)[1]
            )
        )

    after = {c.name: c for c in new.columns}
    clauses = [
        f"DROP COLUMN {quote(c.name)}"
        for c in old.columns
        if c.name not in after or replaced(after[c.name])
    ]
    kept_old = [c.name for c in old.columns if c.name in after and not replaced(after[c.name])]
    kept_new = [c.name for c in new.columns if c.name in before and not replaced(c)]
    moved = set(kept_new) - _longest_common_subsequence(kept_old, kept_new)
    for position, column in enumerate(new.columns):
        place = " FIRST" if position == 0 else f" AFTER {quote(new.columns[position - 1].name)}"
        definition = column_sql(column, new_checks.get(column.name))
        if replaced(column):
            clauses.append(f"ADD COLUMN {definition}{place}")
        elif column.name in moved:
            clauses.append(f"MODIFY COLUMN {definition}{place}")
        elif before[column.name] != column or old_checks.get(column.name) != new_checks.get(
            column.name
        ):
            clauses.append(f"MODIFY COLUMN {definition}")
    return clauses


def _longest_common_subsequence(first: list[str], second: list[str]) -> set[str]:
    """The names of a longest run of `second` that `first` has in the same order."""
    if first == second:
        return set(first)
    lengths = [[0] * (len(second) + 1) for _ in range(len(first) + 1)]
    for i in range(len(first) - 1, -1, -1):
        for j in range(len(second) - 1, -1, -1):
            lengths[i][j] = (
                lengths[i + 1][j + 1] + 1
                if first[i] == second[j]
                else max(lengths[i + 1][j], lengths[i][j + 1])
            )
    common: set[str] = set()
    i = j = 0
    while i < len(first) and j < len(second):
        if first[i] == second[j]:
            common.add(first[i])
            i, j = i + 1, j + 1
        elif lengths[i + 1][j] >= lengths[i][j + 1]:
            i += 1
        else:
            j += 1
    return common


def _column_checks(table: Table) -> dict[str, Constraint]:
    """MariaDB's column-level checks by column (each is named after its column)."""
    return {c.name: c for c in table.constraints if c.constraint_type == "column check"}


def _drop_foreign_key(table: Table, constraint: Constraint) -> str:
    target = qualified(table.schema, table.name)
    return f"ALTER TABLE {target} DROP FOREIGN KEY {quote(constraint.name)}"


def _add_foreign_key(table: Table, constraint: Constraint) -> str:
    target = qualified(table.schema, table.name)
    return f"ALTER TABLE {target} ADD CONSTRAINT {quote(constraint.name)} {constraint.definition}"


def _refreshed_foreign_keys(
    planner: _Planner, table_changes: list[tuple[Table, Table]]
) -> set[tuple[Key, str]]:
    """Foreign keys both sides have unchanged that are dropped first and added again last:
    those the planner finds on a key that is dropped or changed, and those on a column
    (theirs or the referenced one) whose type, nullability, collation, generation or
    AUTO_INCREMENT changes, which MySQL refuses under a foreign key."""
    refreshed = set(planner.refreshed)
    reshaped: dict[tuple[str, str], set[str]] = {}
    for old, new in table_changes:
        after = {c.name: c for c in new.columns}
        names = {c.name for c in old.columns if c.name in after and _reshaped(c, after[c.name])}
        if names:
            reshaped[(old.schema, old.name)] = names
    if not reshaped:
        return refreshed
    changing = {(o.key, c.name) for o, n in table_changes for c in constraint_drops(o, n)}
    for key, table in planner.a.objects.items():
        if not isinstance(table, Table) or key not in planner.b.objects:
            continue
        for constraint in table.constraints:
            if not is_foreign_key(constraint) or (key, constraint.name) in changing:
                continue
            match = _FOREIGN_KEY.match(constraint.definition)
            if match is None or constraint.references is None:
                continue
            own = reshaped.get((table.schema, table.name), set())
            theirs = reshaped.get(constraint.references, set())
            if own & set(_names(match["columns"])) or theirs & set(_names(match["referenced"])):
                refreshed.add((key, constraint.name))
    return refreshed


def _reshaped(old: Column, new: Column) -> bool:
    return (old.data_type, old.nullable, old.collation, old.generated, old.identity) != (
        new.data_type,
        new.nullable,
        new.collation,
        new.generated,
        new.identity,
    )


def _names(column_list: str) -> list[str]:
    return [n[1:-1].replace("``", "`") for n in re.findall(_IDENT, column_list)]


def _index_changes(
    planner: _Planner, changed: dict[Key, tuple[DbObject, DbObject]]
) -> tuple[dict[Key, list[Index]], dict[Key, list[Index]]]:
    """Indexes dropped and added on tables both sides have, by table key: a changed index
    is both (dropped and added in the same ALTER TABLE)."""
    a, b = planner.a.objects, planner.b.objects
    drops: dict[Key, list[Index]] = {}
    adds: dict[Key, list[Index]] = {}
    gone = planner.dropped_keys | {k for k in changed if k[0] == "index"}
    come = planner.added_keys | {k for k in changed if k[0] == "index"}
    for obj in _of(a, gone, Index):
        table: Key = ("table", obj.schema, obj.table)
        if table in a and table in b:
            drops.setdefault(table, []).append(obj)
    for obj in _of(b, come, Index):
        table = ("table", obj.schema, obj.table)
        if table in a and table in b:
            adds.setdefault(table, []).append(obj)
    return drops, adds


# ---- views and routines -----------------------------------------------------------------------


def view_sql(view: View, *, replace: bool) -> str:
    """CREATE [OR REPLACE] VIEW with the view's algorithm, security and check option."""
    head = "CREATE OR REPLACE" if replace else "CREATE"
    options = "".join(f" {o}" for o in view.options)
    sql = f"{head}{options} VIEW {qualified(view.schema, view.name)} AS {view.definition}"
    if view.check_option:
        sql += f" WITH {view.check_option} CHECK OPTION"
    return sql


def obj_name(obj: DbObject) -> str:
    """The object's name as MySQL's statements write it."""
    return qualified(obj.schema, obj.name)


def _view_order(views: list[View]) -> list[View]:
    from dbci.schema.diff import _view_order as order

    return order(views)


def _of(objects: dict[Key, DbObject], keys: Iterable[Key], kind: type[_Object]) -> list[_Object]:
    """The objects of `kind` among `keys`, sorted by key."""
    found = (objects[k] for k in keys if k in objects)
    return sorted((o for o in found if isinstance(o, kind)), key=lambda o: o.key)
