"""Snapshots of MySQL and MariaDB schemas, read from information_schema in one query per kind.

Eleven queries read every schema at once (tables, columns, index parts, foreign keys and
their rules, checks, views, routines, their parameters, triggers, events), whatever the
number of tables; one more reads all sequences, when there are any, and one SHOW CREATE
TABLE per partitioned table its PARTITION BY clause.
SQLAlchemy's MySQL reflection parses a SHOW CREATE TABLE per table instead: for 300 tables
(with keys, indexes, checks and foreign keys) on MariaDB 10.11 it takes 95-170 ms against
60-70 ms for this whole snapshot, and it does not see generated columns' kinds, MariaDB's
column-level checks or descending key parts, nor routines and triggers. The queries are the
files of `sql/`, one per query and named for what it reads.

The default schema (the first of `schemas`: the URL's database) is recorded as schema "",
and its name is taken out of what the server writes (a view's query names every table as
`db`.`t`; a foreign key its referenced schema): two databases built from the same
migrations under different names (a build database, production) give equal snapshots,
and the DDL written from one runs in the other. Other schemas keep their names.

What the model holds for MySQL, beyond its plain fields:

* `Column.data_type` is MySQL's column type (`int(10) unsigned`, `enum('a','b')`);
  `collation` is set on every character column (the server's choice included, since a
  column added later takes its table's default, which the snapshot does not hold);
  `identity` is the column's extra attribute, `AUTO_INCREMENT` or `ON UPDATE
  current_timestamp()`; `generated` is `(expression) VIRTUAL` or `(expression) STORED`.
* Primary and unique keys are constraints (MySQL's unique keys are indexes, but the
  model's constraints are what the key is); other indexes (FULLTEXT and SPATIAL too) are
  `Index` objects. A key part is written `` `col`(10) DESC ``.
* MariaDB's column-level checks (`a int CHECK (a > 0)`, and the `json_valid` check of a
  JSON column) belong to their column: MariaDB drops them with it and cannot drop them by
  name. They are constraints of type `column check`, named after the column.
* A routine's `definition` is its CREATE statement rebuilt from information_schema
  (parameters, return type, characteristics that differ from the defaults, body),
  without DEFINER; a trigger's likewise. A view keeps its query, with ALGORITHM and SQL
  SECURITY in `options` when they are not the defaults; DEFINER is left out.

* A table's `options` are what SHOW CREATE TABLE writes after its columns: ENGINE,
  DEFAULT CHARSET, COLLATE, the options it was created with (ROW_FORMAT, KEY_BLOCK_SIZE,
  STATS_*, …), WITH SYSTEM VERSIONING, and the PARTITION BY clause (read with SHOW CREATE
  TABLE, one statement per partitioned table). Column `identity` also holds INVISIBLE;
  an index the optimizer skips is `ignored` (a unique key's definition ends in IGNORED).
  MariaDB's sequences are `Sequence`s; events are `Event`s.

Left out: the AUTO_INCREMENT counter and a sequence's next value (data, not schema), an
index's own KEY_BLOCK_SIZE, the order of keys and checks in a table and of several
triggers on one event, an event's time zone and SQL mode, the STARTS the server gives an
EVERY event created without one (its creation time, which differs between two databases
built from the same script), and grants. MySQL 8's views
lose ALGORITHM (its information_schema has no such column).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from importlib import resources
from typing import Any

from dbci.engines.base import Database
from dbci.schema.model import (
    Column,
    Constraint,
    Function,
    Index,
    Key,
    Procedure,
    Snapshot,
    Table,
    Trigger,
    View,
)
from dbci.schema.model import Sequence as SequenceObject
from dbci.schema.model.mysql_objects import Event, literal, qualified, quote

# Foreign key rules that are InnoDB's default behaviour, left out of the definition.
_DEFAULT_RULES = ("RESTRICT", "NO ACTION")
_ON_UPDATE = re.compile(r"\bon update (\S+)", re.IGNORECASE)
# Constraints by (schema, table), real schema names.
_ByTable = dict[tuple[str, str], list[Constraint]]


# ---- how MySQL writes names and strings (shared with ddl.py) ------------------------
# `quote`, `qualified` and `literal` are the model's (`dbci.schema.model.mysql_objects`),
# imported above: events write their own DDL with them too.


def index_sql(index: Index, ignored_keyword: str = "IGNORED") -> str:
    """An index as CREATE INDEX writes it."""
    kind = {"fulltext": "FULLTEXT ", "spatial": "SPATIAL "}.get(index.method, "")
    if index.unique:
        kind = "UNIQUE "
    table = qualified(index.schema, index.table)
    tail = index_tail(index, ignored_keyword)
    return f"CREATE {kind}INDEX {quote(index.name)} ON {table} {tail}"


def index_tail(index: Index, ignored_keyword: str | None = None) -> str:
    """What follows an index's name: its key parts, method, comment and, for an index the
    optimizer leaves out, `ignored_keyword` (IGNORED on MariaDB, INVISIBLE on MySQL; None:
    the one its definition has)."""
    sql = f"({', '.join(index.columns)})"
    if index.method == "hash":
        sql += " USING HASH"
    if index.comment:
        sql += f" COMMENT {literal(index.comment)}"
    if index.ignored:
        if ignored_keyword is None:
            ignored_keyword = index.definition.rsplit(" ", 1)[-1]
        sql += f" {ignored_keyword}"
    return sql


SYSTEM_VERSIONING = "WITH SYSTEM VERSIONING"  # ALTER TABLE adds it as ADD SYSTEM VERSIONING


def partition_clause(create_table: str) -> str | None:
    """The PARTITION BY clause at the end of a SHOW CREATE TABLE statement (MySQL wraps it
    in a /*!50100 … */ comment), or None."""
    match = _PARTITION_BY.search(create_table)
    if match is None:
        return None
    clause = create_table[match.start("clause") :].strip()
    if match.group("comment"):
        clause = clause.removesuffix("*/").rstrip()
    return clause


_PARTITION_BY = re.compile(r"\n\s*(?P<comment>/\*!\d+ )?(?P<clause>PARTITION BY )")


def _table_options(
    engine: str | None, collation: str | None, charset: str | None, create_options: str | None
) -> list[str]:
    """A table's options as SHOW CREATE TABLE writes them, in its order: ENGINE, DEFAULT
    CHARSET, COLLATE, then those CREATE TABLE was given (`ROW_FORMAT=COMPRESSED`,
    `STATS_PERSISTENT=0`, MariaDB's engine-defined `` `page_compressed`=1 ``).
    `partitioned` is left to the PARTITION BY clause."""
    options = [f"ENGINE={engine}"] if engine else []
    if charset:
        options.append(f"DEFAULT CHARSET={charset}")
    if collation:
        options.append(f"COLLATE={collation}")
    for match in _CREATE_OPTION.finditer(create_options or ""):
        name, value = match.group("name"), match.group("value")
        if value is None:
            continue  # `partitioned`
        if (engine or "").upper() == "ARIA" and (name.upper(), value) == ("TRANSACTIONAL", "1"):
            # Aria's default, which information_schema writes whether it was given or
            # not (SHOW CREATE TABLE only when it was): taken as not given.
            continue
        options.append(f"{name if name.startswith('`') else name.upper()}={value}")
    return options


_CREATE_OPTION = re.compile(r"(?P<name>`(?:[^`]|``)*`|\w+)(?:=(?P<value>'(?:[^']|'')*'|\S+))?")


# ---- reading ------------------------------------------------------------------------------


def snapshot_mysql(
    db: Database, schemas: Sequence[str], *, exclude_tables: Collection[tuple[str, str]] = ()
) -> Snapshot:
    """The tables, indexes, views, routines and triggers of `schemas` (databases); the
    first is the default schema, recorded as "". `exclude_tables` holds (schema, table)
    pairs by their real names."""
    snapshot = Snapshot(db.dialect)
    if schemas:
        _Reader(db, list(schemas), set(exclude_tables)).read(snapshot)
    return snapshot


class _Reader:
    """One snapshot's queries and the mapping of real schema names to the snapshot's."""

    def __init__(self, db: Database, schemas: list[str], excluded: set[tuple[str, str]]) -> None:
        self.db = db
        self.schemas = schemas
        self.default = schemas[0]
        self.excluded = excluded
        self.listed = ", ".join(db.literal(s) for s in schemas)
        version = str(db.query("SELECT VERSION()")[0][0])
        self.mariadb = "mariadb" in version.lower()
        numbers = re.findall(r"\d+", version)[:3]
        self.version = tuple(int(n) for n in numbers)

    @property
    def ignored_keyword(self) -> str:
        """How an index the optimizer leaves out is written: IGNORED (MariaDB) or INVISIBLE."""
        return "IGNORED" if self.mariadb else "INVISIBLE"

    def key(self, schema: str) -> str:
        """The snapshot's name for a schema: "" for the default one."""
        return "" if schema == self.default else schema

    def rows(self, query: str, **parts: str) -> list[tuple[Any, ...]]:
        """The rows of `sql/<query>.sql`, its `{schemas}` the schemas' list and its other
        placeholders `parts`."""
        sql = _query(query).format(schemas=self.listed, **parts)
        return [tuple(row) for row in self.db.query(sql)]

    def read(self, snapshot: Snapshot) -> None:
        rows = self._table_rows()
        tables = {k: r for k, r in rows.items() if r[1] != "SEQUENCE"}
        columns = self._columns(tables)
        primary, uniques, indexes = self._indexes(tables)
        foreign = self._foreign_keys(tables)
        checks, column_checks = self._checks(tables)
        partitions = self._partitioning(tables)
        for schema, name in sorted(tables):
            comment, table_type, *settings = tables[(schema, name)]
            options = _table_options(*settings)
            if table_type == "SYSTEM VERSIONED":
                options.append(SYSTEM_VERSIONING)
            if (schema, name) in partitions:
                options.append(partitions[(schema, name)])
            constraints = (
                primary.get((schema, name), [])
                + sorted(uniques.get((schema, name), []), key=_by_name)
                + sorted(foreign.get((schema, name), []), key=_by_name)
                + sorted(checks.get((schema, name), []), key=_by_name)
                + sorted(column_checks.get((schema, name), []), key=_by_name)
            )
            snapshot.add(
                Table(
                    schema=self.key(schema),
                    name=name,
                    comment=comment,
                    columns=tuple(columns.get((schema, name), [])),
                    constraints=tuple(constraints),
                    options=tuple(options),
                )
            )
        for index in indexes:
            snapshot.add(index)
        relations = {(self.key(s), n) for s, n in tables}
        for view in self._views(relations):
            snapshot.add(view)
        for routine in self._routines():
            snapshot.add(routine)
        for trigger in self._triggers():
            snapshot.add(trigger)
        for sequence in self._sequences([k for k, r in rows.items() if r[1] == "SEQUENCE"]):
            snapshot.add(sequence)
        for event in self._events():
            snapshot.add(event)

    # ---- tables and their parts -----------------------------------------------------------

    def _table_rows(self) -> dict[tuple[str, str], tuple[Any, ...]]:
        """(schema, table) -> the table's comment, type (BASE TABLE, SYSTEM VERSIONED,
        SEQUENCE), engine, collation, character set and create options."""
        return {
            (schema, name): (comment or None, *rest)
            for schema, name, comment, *rest in self.rows("tables")
            if (schema, name) not in self.excluded
        }

    def _partitioning(self, tables: dict[tuple[str, str], tuple[Any, ...]]) -> dict[Any, str]:
        """The PARTITION BY clause of each partitioned table, as SHOW CREATE TABLE writes
        it: rebuilt from information_schema.partitions it could not say whether HASH
        partitions were named or counted (`PARTITIONS 4`), nor each partition's options.
        One statement per partitioned table: those are few."""
        out: dict[Any, str] = {}
        for (schema, name), row in sorted(tables.items()):
            if "partitioned" not in str(row[-1] or "").lower().split():
                continue
            text = str(self.db.query(f"SHOW CREATE TABLE {quote(schema)}.{quote(name)}")[0][1])
            clause = partition_clause(text)
            if clause is not None:
                out[(schema, name)] = clause
        return out

    def _sequences(self, names: list[tuple[str, str]]) -> list[SequenceObject]:
        """MariaDB's sequences, each read from its own one-row table in one UNION query."""
        if not names:
            return []
        selects = [
            f"SELECT {self.db.literal(s)}, {self.db.literal(n)}, start_value, minimum_value, "
            f"maximum_value, increment, cache_size, cycle_option FROM {quote(s)}.{quote(n)}"
            for s, n in sorted(names)
        ]
        return [
            SequenceObject(
                schema=self.key(str(schema)),
                name=str(name),
                data_type="bigint",
                start=int(start),
                increment=int(increment),
                minimum=int(low),
                maximum=int(high),
                cache=int(cache),
                cycle=bool(cycle),
            )
            for schema, name, start, low, high, increment, cache, cycle in self.db.query(
                " UNION ALL ".join(selects)
            )
        ]

    def _events(self) -> list[Event]:
        out: list[Event] = []
        for row in sorted(self.rows("events")):
            schema, name, event_type, at, every, unit, starts, ends, *rest = row
            completion, status, comment, body, implicit_start = rest
            if event_type == "ONE TIME":
                schedule = f"AT {literal(str(at))}"
            else:
                value = str(every)
                schedule = f"EVERY {value if value.isdigit() else literal(value)} {unit}"
                # A STARTS the server set (the time the event was created) is left out:
                # two databases built a second apart would differ by it, and CREATE
                # EVENT without it starts the event when it runs, as it did there.
                if starts is not None and not implicit_start:
                    schedule += f" STARTS {literal(str(starts))}"
                if ends is not None:
                    schedule += f" ENDS {literal(str(ends))}"
            out.append(
                Event(
                    schema=self.key(schema),
                    name=name,
                    comment=comment or None,
                    schedule=schedule,
                    preserve=completion == "PRESERVE",
                    status=_EVENT_STATUS.get(str(status), str(status)),
                    body=body or "",
                )
            )
        return out

    def _columns(self, tables: Collection[tuple[str, str]]) -> dict[tuple[str, str], list[Column]]:
        rows = self.rows("columns")
        out: dict[tuple[str, str], list[Column]] = defaultdict(list)
        for schema, table, name, column_type, nullable, default, extra, expression, *rest in rows:
            if (schema, table) not in tables:
                continue  # a view's column, or an excluded table's
            collation, comment, data_type = rest
            extra = (extra or "").strip()
            generated = None
            if expression in _ROW_PERIOD:  # a system-versioned table's ROW START / END
                generated = expression
            elif expression and "GENERATED" in extra.upper():
                kind = "VIRTUAL" if "VIRTUAL" in extra.upper() else "STORED"
                generated = f"({expression}) {kind}"
            out[(schema, table)].append(
                Column(
                    name=name,
                    data_type=column_type,
                    nullable=nullable == "YES",
                    default=None if generated else self._default(default, extra, data_type),
                    identity=_extra_attribute(extra),
                    generated=generated,
                    collation=collation or None,
                    comment=comment or None,
                )
            )
        return out

    def _default(self, value: str | None, extra: str, data_type: str) -> str | None:
        """The column default as DEFAULT takes it. MariaDB writes it so (a string quoted,
        an expression bare, `NULL` for DEFAULT NULL); MySQL gives the bare value and marks
        an expression DEFAULT_GENERATED, written in parentheses, as MySQL's DEFAULT wants
        (CURRENT_TIMESTAMP aside)."""
        if value is None:
            return None
        if self.mariadb:
            if value == "NULL":
                return None
            # MariaDB names a sequence in a default with its schema: `db`.`s`.
            return strip_qualifier(value, self.default) if "`" in value else value
        if "DEFAULT_GENERATED" in extra.upper():
            if value.upper().startswith("CURRENT_TIMESTAMP"):
                return value
            return f"({value})"
        if data_type.lower() in _NUMERIC_TYPES or value.startswith("b'"):
            return value
        return literal(value)

    def _indexes(
        self, tables: Collection[tuple[str, str]]
    ) -> tuple[_ByTable, _ByTable, list[Index]]:
        """Primary keys and unique keys (as constraints), and the other indexes."""
        expression = "expression" if not self.mariadb and self.version >= (8, 0, 13) else "NULL"
        if self.mariadb:
            ignored = "ignored" if self.version >= (10, 6) else "'NO'"
        else:
            ignored = "CASE is_visible WHEN 'NO' THEN 'YES' ELSE 'NO' END"
            ignored = ignored if self.version >= (8, 0) else "'NO'"
        rows = self.rows("index_parts", expression=expression, ignored=ignored)
        parts: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        info: dict[tuple[str, str, str], tuple[bool, str, str | None, bool]] = {}
        for schema, table, name, non_unique, column, sub_part, order, kind, *rest in rows:
            if (schema, table) not in tables:
                continue
            comment, expr, skipped = rest
            part = quote(column) if column is not None else f"({expr})"
            # MariaDB gives a SPATIAL index's part a length (32), which no statement takes.
            if sub_part and str(kind).upper() != "SPATIAL":
                part += f"({sub_part})"
            if order == "D":
                part += " DESC"
            parts[(schema, table, name)].append(part)
            info[(schema, table, name)] = (
                not non_unique,
                str(kind).lower(),
                comment or None,
                skipped == "YES",
            )
        primary: _ByTable = defaultdict(list)
        uniques: _ByTable = defaultdict(list)
        indexes: list[Index] = []
        for (schema, table, name), columns in parts.items():
            unique, method, comment, skipped = info[(schema, table, name)]
            keys = ", ".join(columns)
            tail = (" USING HASH" if method == "hash" else "") + (
                f" COMMENT {literal(comment)}" if comment else ""
            )
            if skipped:
                tail += " " + self.ignored_keyword
            if name == "PRIMARY":
                definition = f"PRIMARY KEY ({keys}){tail}"
                primary[(schema, table)].append(
                    Constraint(name=name, constraint_type="primary key", definition=definition)
                )
            elif unique:
                definition = f"UNIQUE ({keys}){tail}"
                uniques[(schema, table)].append(
                    Constraint(name=name, constraint_type="unique", definition=definition)
                )
            else:
                index = Index(
                    schema=self.key(schema),
                    name=name,
                    table=table,
                    definition="",
                    method=method,
                    columns=tuple(columns),
                    comment=comment,
                    ignored=skipped,
                )
                indexes.append(_with_definition(index, self.ignored_keyword))
        return primary, uniques, indexes

    def _foreign_keys(self, tables: Collection[tuple[str, str]]) -> _ByTable:
        # Two queries joined here: MariaDB joins these two views by materialising both,
        # which is several times slower than reading each.
        rules = {
            (schema, table, name): (update_rule, delete_rule)
            for schema, table, name, update_rule, delete_rule in self.rows("foreign_key_rules")
        }
        rows = self.rows("foreign_key_columns")
        grouped: dict[tuple[str, str, str], list[tuple[Any, ...]]] = defaultdict(list)
        for row in rows:
            if (row[0], row[1]) in tables:
                grouped[(row[0], row[1], row[2])].append(row)
        out: _ByTable = defaultdict(list)
        for (schema, table, name), group in grouped.items():
            ref_schema, ref_table = group[0][4], group[0][5]
            update_rule, delete_rule = rules.get((schema, table, name), ("", ""))
            columns = ", ".join(quote(r[3]) for r in group)
            referenced = ", ".join(quote(r[6]) for r in group)
            # The referenced table is named as this table's schema sees it: unqualified in
            # the same schema (MySQL looks there), by its real schema name elsewhere.
            target = quote(ref_table) if ref_schema == schema else qualified(ref_schema, ref_table)
            definition = f"FOREIGN KEY ({columns}) REFERENCES {target} ({referenced})"
            if delete_rule not in _DEFAULT_RULES:
                definition += f" ON DELETE {delete_rule}"
            if update_rule not in _DEFAULT_RULES:
                definition += f" ON UPDATE {update_rule}"
            out[(schema, table)].append(
                Constraint(
                    name=name,
                    constraint_type="foreign key",
                    definition=definition,
                    references=(self.key(ref_schema), ref_table),
                )
            )
        return out

    def _checks(self, tables: Collection[tuple[str, str]]) -> tuple[_ByTable, _ByTable]:
        """Table checks, and MariaDB's column-level ones."""
        if self.mariadb:
            rows = self.rows("checks_mariadb")
        elif self.version >= (8, 0, 16):
            rows = self.rows("checks_mysql")
        else:
            rows = []  # MySQL before 8.0.16 parses CHECK and ignores it
        checks: _ByTable = defaultdict(list)
        column_checks: _ByTable = defaultdict(list)
        for schema, table, name, clause, level in rows:
            if (schema, table) not in tables:
                continue
            column_level = str(level).lower() == "column"
            (column_checks if column_level else checks)[(schema, table)].append(
                Constraint(
                    name=name,
                    constraint_type="column check" if column_level else "check",
                    definition=f"CHECK ({clause})",
                )
            )
        return checks, column_checks

    # ---- views, routines, triggers --------------------------------------------------------

    def _views(self, relations: set[tuple[str, str]]) -> list[View]:
        algorithm = "algorithm" if self.mariadb else "NULL"
        rows = self.rows("views", algorithm=algorithm)
        views = {(self.key(r[0]), r[1]) for r in rows}
        out: list[View] = []
        for schema, name, text, check, security, algorithm_name in sorted(rows):
            text = text or ""
            options = []
            if algorithm_name and algorithm_name != "UNDEFINED":
                options.append(f"ALGORITHM={algorithm_name}")
            if security and security != "DEFINER":
                options.append(f"SQL SECURITY {security}")
            dependencies: list[Key] = []
            for ref_schema, ref_name in _qualified_names(text, set(self.schemas)):
                ref = (self.key(ref_schema), ref_name)
                kind = "view" if ref in views else "table" if ref in relations else None
                if kind is not None and (kind, *ref) not in dependencies:
                    dependencies.append((kind, *ref))
            if schema == self.default:
                text = strip_qualifier(text, schema)
            out.append(
                View(
                    schema=self.key(schema),
                    name=name,
                    definition=text,
                    options=tuple(options),
                    check_option=None if check in (None, "NONE") else check,
                    dependencies=tuple(sorted(dependencies)),
                )
            )
        return out

    def _routines(self) -> list[Function]:
        parameters: dict[tuple[str, str, str], list[tuple[str, str, str]]] = defaultdict(list)
        for schema, name, kind, mode, parameter, data_type in self.rows("parameters"):
            parameters[(schema, kind, name)].append((mode or "IN", parameter, data_type))
        out: list[Function] = []
        for row in sorted(self.rows("routines")):
            schema, name, kind, returns, body, deterministic, access, security, comment = row
            procedure = kind == "PROCEDURE"
            params = parameters.get((schema, kind, name), [])
            signature = ", ".join(
                (f"{mode} " if procedure else "") + f"{quote(p)} {t}" for mode, p, t in params
            )
            arguments = ", ".join(
                (f"{mode} " if procedure and mode != "IN" else "") + f"{p} {t}"
                for mode, p, t in params
            )
            header = f"CREATE {kind} {qualified(self.key(schema), name)}({signature})"
            if not procedure:
                header += f" RETURNS {returns}"
            traits = ["DETERMINISTIC"] if deterministic == "YES" else []
            if access and access != "CONTAINS SQL":
                traits.append(access)
            if security == "INVOKER":
                traits.append("SQL SECURITY INVOKER")
            if comment:
                traits.append(f"COMMENT {literal(comment)}")
            body = body or ""
            definition = header + "".join(f"\n    {t}" for t in traits) + f"\n{body}"
            cls = Procedure if procedure else Function
            out.append(
                cls(
                    schema=self.key(schema),
                    name=name,
                    comment=comment or None,
                    arguments=arguments,
                    result=None if procedure else returns,
                    security_definer=security != "INVOKER",
                    body=body,
                    definition=definition,
                )
            )
        return out

    def _triggers(self) -> list[Trigger]:
        out: list[Trigger] = []
        for schema, name, table, timing, event, statement in self.rows("triggers"):
            if (schema, table) in self.excluded:
                continue
            key = self.key(schema)
            definition = (
                f"CREATE TRIGGER {qualified(key, name)} {timing} {event} "
                f"ON {qualified(key, table)} FOR EACH ROW {statement}"
            )
            out.append(Trigger(schema=key, name=name, table=table, definition=definition))
        return out


@functools.cache
def _query(name: str) -> str:
    """The query of `sql/<name>.sql`, without its comment lines. Read once."""
    text = resources.files(__package__ or "").joinpath("sql", f"{name}.sql").read_text("utf-8")
    return "".join(line for line in text.splitlines(True) if not line.lstrip().startswith("--"))


# information_schema.events' STATUS, as CREATE EVENT writes it.
_EVENT_STATUS = {
    "ENABLED": "ENABLE",
    "DISABLED": "DISABLE",
    "SLAVESIDE_DISABLED": "DISABLE ON SLAVE",
}
# The generation expression MariaDB gives the period columns of a system-versioned table.
_ROW_PERIOD = ("ROW START", "ROW END")

# Types whose bare default MySQL's information_schema gives unquoted and DEFAULT takes so.
_NUMERIC_TYPES = frozenset(
    "tinyint smallint mediumint int integer bigint decimal numeric float double real bit "
    "year".split()
)


def _by_name(constraint: Constraint) -> str:
    return constraint.name


def _extra_attribute(extra: str) -> str | None:
    """The attributes a column definition writes after its default, from
    information_schema's EXTRA: AUTO_INCREMENT or the ON UPDATE clause, then INVISIBLE."""
    attributes = []
    if "auto_increment" in extra.lower():
        attributes.append("AUTO_INCREMENT")
    else:
        match = _ON_UPDATE.search(extra)
        if match:
            attributes.append(f"ON UPDATE {match.group(1)}")
    if "INVISIBLE" in extra.upper().replace(",", " ").split():
        attributes.append(INVISIBLE)
    return " ".join(attributes) or None


INVISIBLE = "INVISIBLE"


def _with_definition(index: Index, ignored_keyword: str) -> Index:
    """The index with its CREATE INDEX statement as `definition`."""
    return dataclasses.replace(index, definition=index_sql(index, ignored_keyword))


# ---- the text of views ---------------------------------------------------------------------

# A quoted string, a backquoted identifier, or a comment: what `_tokens` steps over whole.
_TOKEN = re.compile(
    r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.|\"\")*\"|`(?:[^`]|``)*`|/\*.*?\*/|--[^\n]*|#[^\n]*",
    re.DOTALL,
)


def _identifiers(text: str) -> Iterable[tuple[int, int, str]]:
    """(start, end, name) of each backquoted identifier outside strings and comments."""
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token.startswith("`"):
            yield match.start(), match.end(), token[1:-1].replace("``", "`")


def strip_qualifier(text: str, schema: str) -> str:
    """`text` without the `` `schema`. `` before names (MySQL writes every table of a view's
    query with its database); strings and comments are left as they are."""
    out: list[str] = []
    last = 0
    for start, end, name in _identifiers(text):
        if name == schema and text.startswith(".", end) and text.startswith("`", end + 1):
            out.append(text[last:start])
            last = end + 1
    out.append(text[last:])
    return "".join(out)


def _qualified_names(text: str, schemas: set[str]) -> list[tuple[str, str]]:
    """The (schema, name) pairs written `` `schema`.`name` `` in `text`, for `schemas`."""
    found: list[tuple[str, str]] = []
    previous: tuple[int, str] | None = None
    for start, end, name in _identifiers(text):
        if previous is not None and previous[0] == start - 1 and text[start - 1] == ".":
            if previous[1] in schemas and (previous[1], name) not in found:
                found.append((previous[1], name))
        previous = (end, name)
    return found
