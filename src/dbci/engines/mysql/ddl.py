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

import dataclasses
import re
from collections.abc import Iterable
from collections.abc import Sequence as Statements
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar, cast

from dbci.engines.mysql.snapshot import INVISIBLE, SYSTEM_VERSIONING, index_tail
from dbci.schema.model import (
    Column,
    Constraint,
    DbObject,
    Function,
    Index,
    Key,
    Sequence,
    Table,
    Trigger,
    View,
    constraint_adds,
    constraint_drops,
    is_foreign_key,
)
from dbci.schema.model.mysql_objects import Event, literal, qualified, quote

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
    out: list[str] = [e.drop_sql()[0] for e in _of(a, dropped, Event)]

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
    # Sequences go after the tables whose defaults may call them, and come before.
    out += [f"DROP SEQUENCE {obj_name(s)}" for s in _of(a, dropped, Sequence)]
    out += [sequence_sql(s) for s in _of(b, added, Sequence)]
    out += [
        sequence_sql(new, alter=True)
        for _, (old, new) in sorted(changed.items())
        if isinstance(old, Sequence) and isinstance(new, Sequence)
    ]

    index_drops, index_adds = _index_changes(planner, changed)
    toggled = _toggled_indexes(changed, index_drops, index_adds)
    for table in _of(b, added, Table):
        indexes = [
            i for i in _of(b, added, Index) if (i.schema, i.table) == (table.schema, table.name)
        ]
        out.append(create_table_sql(table, indexes, foreign_keys=False))
    table_keys = {o.key for o, _ in table_changes} | index_drops.keys() | index_adds.keys()
    for key in sorted(table_keys):
        old, new = cast(Table, a[key]), cast(Table, b[key])
        assert isinstance(old, Table) and isinstance(new, Table)
        out += _alter_table(
            old, new, index_drops.get(key, []), index_adds.get(key, []), toggled.get(key, [])
        )

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
    out += [e.definition_sql()[0] for e in _of(b, added, Event)]
    out += [
        f"ALTER EVENT {obj_name(new)} {new.clauses()}"
        for _, (old, new) in sorted(changed.items())
        if isinstance(new, Event)
    ]
    return out


def mysql_loses_data(old: DbObject, new: DbObject) -> bool | None:
    """Whether changing a table may lose data, as this emitter changes it: a column is
    dropped (one renamed only in case is kept: CHANGE COLUMN), replaced or retyped,
    partitions are dropped or the table repartitioned by RANGE or LIST (rows that fit no
    partition stop it), system versioning is dropped (with the history), or the engine
    becomes one that keeps no rows (BLACKHOLE) or keeps them in memory. Other kinds: the
    model's rule (None)."""
    if not (isinstance(old, Table) and isinstance(new, Table)):
        return None
    counterparts = _renamed_columns(old, new)
    after = {c.name: c for c in new.columns}
    for column in old.columns:
        other = after.get(counterparts.get(column.name, column.name))
        if other is None or _replaced(column, other) or other.data_type != column.data_type:
            return True
    before, now = _split_options(old), _split_options(new)
    if before.versioned and not now.versioned:
        return True
    if now.partitions is not None and now.partitions != before.partitions:
        statement = _partition_change(old, before.partitions, now.partitions)
        if " DROP PARTITION " in statement:
            return True
        bounded = now.partitions.startswith(("PARTITION BY RANGE", "PARTITION BY LIST"))
        if bounded and statement.endswith(now.partitions):  # rows must fit the new bounds
            return True
    engine = now.settings.get("ENGINE", "").upper()
    return engine != before.settings.get("ENGINE", "").upper() and engine in _LOSSY_ENGINES


_LOSSY_ENGINES = ("BLACKHOLE", "MEMORY")


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
    elif isinstance(obj, Sequence):
        statement = sequence_sql(obj)
    elif isinstance(obj, Event):
        statement = obj.definition_sql()[0]
    else:
        return obj.ddl()
    return mysql_script([statement])


def mysql_script(statements: Statements[str]) -> str:
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
    period = _period(table)
    if period:
        parts.append(f"PERIOD FOR SYSTEM_TIME ({quote(period[0])}, {quote(period[1])})")
    inner = ",\n  ".join(parts)
    sql = f"CREATE TABLE {qualified(table.schema, table.name)} (\n  {inner}\n)"
    options = _split_options(table)
    sql += "".join(f" {name}={value}" for name, value in options.settings.items())
    if table.comment is not None:
        sql += f" COMMENT={literal(table.comment)}"
    if options.versioned:
        sql += f" {SYSTEM_VERSIONING}"
    if options.partitions:
        sql += f"\n{options.partitions}"
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
    old: Table,
    new: Table,
    drop_indexes: list[Index],
    add_indexes: list[Index],
    toggled: list[str] | None = None,
) -> list[str]:
    """The statements for one table B keeps: one ALTER TABLE (and one for its partitions),
    or CREATE/DROP INDEX for a table whose only change is indexes added (or dropped).

    A system-versioned table is altered with system_versioning_alter_history=KEEP, which
    MariaDB wants for any change to it (dropping the versioning with its named ROW START
    and ROW END columns too); its history stays as it was."""
    target = qualified(new.schema, new.name)
    toggled = toggled or []
    if old == new and not (drop_indexes and add_indexes) and not toggled:
        if add_indexes:
            return [i.definition for i in add_indexes]
        return [f"DROP INDEX {quote(i.name)} ON {target}" for i in drop_indexes]
    before, after = _split_options(old), _split_options(new)
    clauses: list[str] = []
    if before.versioned and not after.versioned:
        clauses.append("DROP SYSTEM VERSIONING")
        if _period(old):
            clauses.append("DROP PERIOD FOR SYSTEM_TIME")
    flipped = _flipped_unique_keys(old, new)
    for constraint in constraint_drops(old, new):
        if constraint.name in flipped:
            continue
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
        if constraint.name in flipped:
            continue
        if constraint.constraint_type == "primary key":
            clauses.append(f"ADD {constraint.definition}")
        elif constraint.constraint_type in ("unique", "check"):
            clauses.append(f"ADD CONSTRAINT {quote(constraint.name)} {constraint.definition}")
    clauses += [_index_clause(i, "ADD ") for i in add_indexes]
    clauses += [f"ALTER INDEX {v}" for v in sorted(flipped.values()) + sorted(toggled)]
    clauses += _option_clauses(before.settings, after.settings)
    if old.comment != new.comment:
        clauses.append(f"COMMENT = {literal(new.comment or '')}")
    if after.versioned and not before.versioned:
        period = _period(new)
        if period:
            clauses.append(f"ADD PERIOD FOR SYSTEM_TIME ({quote(period[0])}, {quote(period[1])})")
        clauses.append("ADD SYSTEM VERSIONING")
    out: list[str] = []
    if clauses:
        keep = "SET STATEMENT system_versioning_alter_history=KEEP FOR "
        head = keep if before.versioned else ""
        out.append(f"{head}ALTER TABLE {target}\n  " + ",\n  ".join(clauses))
    if before.partitions != after.partitions:
        out.append(_partition_change(new, before.partitions, after.partitions))
    return out


# ---- table options, partitions, versioning ----------------------------------------------------


@dataclass(frozen=True)
class _TableOptions:
    """A table's `options`, apart: ENGINE=… and the like by name, system versioning, and
    the PARTITION BY clause."""

    settings: dict[str, str]
    versioned: bool
    partitions: str | None


def _split_options(table: Table) -> _TableOptions:
    settings: dict[str, str] = {}
    versioned, partitions = False, None
    for option in table.options:
        if option == SYSTEM_VERSIONING:
            versioned = True
        elif option.startswith("PARTITION BY "):
            partitions = option
        else:
            name, _, value = option.partition("=")
            settings[name] = value
    return _TableOptions(settings, versioned, partitions)


# What an option B does not have is set to: its default (the server's, or none).
_OPTION_RESET = {
    "KEY_BLOCK_SIZE": "0",
    "MAX_ROWS": "0",
    "MIN_ROWS": "0",
    "AVG_ROW_LENGTH": "0",
    "CHECKSUM": "0",
    "DELAY_KEY_WRITE": "0",
}


def _option_clauses(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """ALTER TABLE's clauses that set the options that change, and reset those B has not
    (ROW_FORMAT=DEFAULT, KEY_BLOCK_SIZE=0). A new default character set comes with its
    collation; AUTO_INCREMENT is not an option here."""
    clauses: list[str] = []
    for name, value in after.items():
        if before.get(name) != value or (
            name == "COLLATE" and before.get("DEFAULT CHARSET") != after.get("DEFAULT CHARSET")
        ):
            clauses.append(f"{name}={value}")
    for name in before:
        if name not in after:
            clauses.append(f"{name}={_OPTION_RESET.get(name.upper(), 'DEFAULT')}")
    return clauses


def _partition_change(table: Table, old: str | None, new: str | None) -> str:
    """The ALTER TABLE that takes a table from partitioning `old` to `new`: REMOVE
    PARTITIONING, ADD PARTITION for RANGE or LIST partitions added after those it keeps,
    DROP PARTITION for some taken out of them (their rows go), else PARTITION BY (MySQL
    moves the rows)."""
    target = f"ALTER TABLE {qualified(table.schema, table.name)}"
    if new is None:
        return f"{target} REMOVE PARTITIONING"
    if old is not None and new.startswith(("PARTITION BY RANGE", "PARTITION BY LIST")):
        first, second = _partition_list(old), _partition_list(new)
        if first and second and first[0] == second[0]:
            old_parts, new_parts = first[1], second[1]
            if new_parts[: len(old_parts)] == old_parts:
                return f"{target} ADD PARTITION ({', '.join(new_parts[len(old_parts) :])})"
            if _is_subsequence(new_parts, old_parts):
                gone = [_partition_name(p) for p in old_parts if p not in new_parts]
                return f"{target} DROP PARTITION {', '.join(gone)}"
    return f"{target} {new}"


def _partition_list(clause: str) -> tuple[str, list[str]] | None:
    """(what precedes the partitions' list, each partition's definition) of a PARTITION
    BY clause, or None when it lists none (`PARTITIONS 4`)."""
    depth, start, parts, head = 0, -1, [], ""
    for match in _PARTITION_TOKEN.finditer(clause):
        token = match.group()
        if token == "(":
            if depth == 0 and clause[match.end() :].startswith("PARTITION "):
                head, start = clause[: match.start()].strip(), match.end()
            depth += 1
        elif token == ")":
            depth -= 1
            if depth == 0 and start >= 0:
                parts.append(clause[start : match.start()].strip())
                return head, parts
        elif token == "," and depth == 1 and start >= 0:
            parts.append(clause[start : match.start()].strip())
            start = match.end()
    return None


_PARTITION_TOKEN = re.compile(r"'(?:[^'\\]|\\.|'')*'|`(?:[^`]|``)*`|[(),]")


def _partition_name(definition: str) -> str:
    return definition.removeprefix("PARTITION ").split(" ", 1)[0]


def _is_subsequence(short: list[str], long: list[str]) -> bool:
    rest = iter(long)
    return all(any(item == other for other in rest) for item in short)


def _period(table: Table) -> tuple[str, str] | None:
    """The ROW START and ROW END columns of a system-versioned table that names them."""
    start = next((c.name for c in table.columns if c.generated == "ROW START"), None)
    end = next((c.name for c in table.columns if c.generated == "ROW END"), None)
    return (start, end) if start and end else None


# ---- indexes the optimizer leaves out ----------------------------------------------------------

_IGNORED_KEYWORDS = {"IGNORED": "NOT IGNORED", "INVISIBLE": "VISIBLE"}


def _visibility_suffix(definition: str) -> str | None:
    word = definition.rsplit(" ", 1)[-1]
    return word if word in _IGNORED_KEYWORDS else None


def _flipped_unique_keys(old: Table, new: Table) -> dict[str, str]:
    """Unique keys whose only change is being ignored or not: name -> what ALTER INDEX
    says (`` `u` IGNORED ``, `` `u` NOT IGNORED ``)."""
    before = {c.name: c for c in old.constraints if c.constraint_type == "unique"}
    out: dict[str, str] = {}
    for constraint in new.constraints:
        previous = before.get(constraint.name)
        if previous is None or constraint.constraint_type != "unique":
            continue
        old_word = _visibility_suffix(previous.definition)
        new_word = _visibility_suffix(constraint.definition)
        if old_word == new_word:
            continue
        if previous.definition.removesuffix(f" {old_word}") == constraint.definition.removesuffix(
            f" {new_word}"
        ):
            word = new_word or _IGNORED_KEYWORDS[str(old_word)]
            out[constraint.name] = f"{quote(constraint.name)} {word}"
    return out


def _toggled_indexes(
    changed: dict[Key, tuple[DbObject, DbObject]],
    drops: dict[Key, list[Index]],
    adds: dict[Key, list[Index]],
) -> dict[Key, list[str]]:
    """Changed indexes whose only change is being ignored or not, taken out of `drops`
    and `adds`: table key -> what ALTER INDEX says of each."""
    out: dict[Key, list[str]] = {}
    for old, new in changed.values():
        if not (isinstance(old, Index) and isinstance(new, Index)) or old.ignored == new.ignored:
            continue
        if dataclasses.replace(old, ignored=new.ignored, definition=new.definition) != new:
            continue
        table: Key = ("table", new.schema, new.table)
        if table not in drops or table not in adds:
            continue
        keyword = (new if new.ignored else old).definition.rsplit(" ", 1)[-1]
        word = keyword if new.ignored else _IGNORED_KEYWORDS.get(keyword, "NOT IGNORED")
        drops[table] = [i for i in drops[table] if i.name != old.name]
        adds[table] = [i for i in adds[table] if i.name != new.name]
        out.setdefault(table, []).append(f"{quote(new.name)} {word}")
    return out


# ---- sequences (MariaDB) -----------------------------------------------------------------------


def sequence_sql(sequence: Sequence, *, alter: bool = False) -> str:
    """CREATE SEQUENCE (or ALTER SEQUENCE, which takes the same options) as MariaDB writes
    it. The next value is not the schema's: ALTER leaves it, as it leaves AUTO_INCREMENT."""
    head = "ALTER" if alter else "CREATE"
    return (
        f"{head} SEQUENCE {obj_name(sequence)} START WITH {sequence.start} "
        f"MINVALUE {sequence.minimum} MAXVALUE {sequence.maximum} "
        f"INCREMENT BY {sequence.increment} CACHE {sequence.cache} "
        + ("CYCLE" if sequence.cycle else "NOCYCLE")
    )


def _column_clauses(old: Table, new: Table) -> list[str]:
    """DROP, ADD and MODIFY COLUMN clauses, in B's column order.

    A new column is added AFTER the one B has before it (or FIRST). Kept columns whose
    order changes are moved the same way; MySQL places each positioned column in turn,
    so working through B's order leaves every column where B has it. A column that
    becomes or stops being generated, or changes its generation kind, is dropped and
    added again: MySQL alters neither.

    A column whose name changes only in case (`Name` to `name`) is the same column to
    MySQL, whose column names ignore case: it is renamed in place (CHANGE COLUMN).
    """
    # B's column name -> A's, for the columns renamed in case; other names are the same.
    renamed = {new_name: old_name for old_name, new_name in _renamed_columns(old, new).items()}
    before = {renamed.get(c.name, c.name): c for c in new.columns}  # A's name -> B's column
    earlier = {c.name: c for c in old.columns}
    old_checks, new_checks = _column_checks(old), _column_checks(new)

    def replaced(column: Column) -> bool:
        previous = earlier.get(renamed.get(column.name, column.name))
        return previous is None or _replaced(previous, column)

    clauses = [
        f"DROP COLUMN {quote(c.name)}"
        for c in old.columns
        if c.name not in before or replaced(before[c.name])
    ]
    kept_old = [c.name for c in old.columns if c.name in before and not replaced(before[c.name])]
    kept_new = [renamed.get(c.name, c.name) for c in new.columns if not replaced(c)]
    moved = set(kept_new) - _longest_common_subsequence(kept_old, kept_new)
    for position, column in enumerate(new.columns):
        place = " FIRST" if position == 0 else f" AFTER {quote(new.columns[position - 1].name)}"
        definition = column_sql(column, new_checks.get(column.name))
        was = renamed.get(column.name, column.name)
        if replaced(column):
            clauses.append(f"ADD COLUMN {definition}{place}")
        elif column.name in renamed:
            where = place if was in moved else ""
            clauses.append(f"CHANGE COLUMN {quote(was)} {definition}{where}")
        elif was in moved:
            clauses.append(f"MODIFY COLUMN {definition}{place}")
        elif earlier[was] != column or old_checks.get(was) != new_checks.get(column.name):
            clauses.append(f"MODIFY COLUMN {definition}")
    return clauses


def _replaced(old: Column, new: Column) -> bool:
    """Whether a column becomes or stops being generated, or changes its generation kind
    (VIRTUAL, STORED, ROW START, ROW END): MySQL alters none of these."""
    if (old.generated is None) != (new.generated is None):
        return True
    return (
        old.generated is not None
        and new.generated is not None
        and old.generated.rsplit(" ", 1)[1] != new.generated.rsplit(" ", 1)[1]
    )


def _renamed_columns(old: Table, new: Table) -> dict[str, str]:
    """A's column name -> B's, for the columns whose name B writes in another case only
    (and that neither side also has under the other spelling)."""
    old_names = {c.name for c in old.columns}
    new_names = {c.name for c in new.columns}
    by_lower: dict[str, list[str]] = {}
    for name in new_names - old_names:
        by_lower.setdefault(name.lower(), []).append(name)
    out: dict[str, str] = {}
    for name in old_names - new_names:
        matches = by_lower.get(name.lower(), [])
        if len(matches) == 1:
            out[name] = matches[0]
    return out


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
    return (old.data_type, old.nullable, old.collation, old.generated, _auto(old)) != (
        new.data_type,
        new.nullable,
        new.collation,
        new.generated,
        _auto(new),
    )


def _auto(column: Column) -> str | None:
    """The column's AUTO_INCREMENT or ON UPDATE attribute, without INVISIBLE (which a
    foreign key does not mind)."""
    words = (column.identity or "").split()
    return " ".join(w for w in words if w != INVISIBLE) or None


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
