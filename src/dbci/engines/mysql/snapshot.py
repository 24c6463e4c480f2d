"""Snapshots of MySQL and MariaDB schemas, read from information_schema in one query per kind.

Ten queries read every schema at once (tables, columns, index parts, foreign keys and their
rules, checks, views, routines, their parameters, triggers), whatever the number of tables.
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

Left out: table options (engine, default character set and collation, row format,
partitioning, AUTO_INCREMENT counter), invisible columns' invisibility, ignored or
invisible indexes, the order of several triggers on one event, events, MariaDB sequences
and system versioning, and grants. MySQL 8's views lose ALGORITHM (its information_schema
has no such column).
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

# Foreign key rules that are InnoDB's default behaviour, left out of the definition.
_DEFAULT_RULES = ("RESTRICT", "NO ACTION")
_ON_UPDATE = re.compile(r"\bon update (\S+)", re.IGNORECASE)
# Constraints by (schema, table), real schema names.
_ByTable = dict[tuple[str, str], list[Constraint]]


# ---- how MySQL writes names and strings (shared with ddl.py) ------------------------


def quote(name: str) -> str:
    """A backquoted identifier."""
    return "`" + name.replace("`", "``") + "`"


def qualified(schema: str, name: str) -> str:
    """`` `schema`.`name` ``, or `` `name` `` in the default schema (schema "")."""
    return f"{quote(schema)}.{quote(name)}" if schema else quote(name)


def literal(text: str) -> str:
    """A MySQL string literal. Backslashes are escaped, as MySQL's default SQL mode reads
    them (a server in NO_BACKSLASH_ESCAPES mode would keep them doubled)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def index_sql(index: Index) -> str:
    """An index as CREATE INDEX writes it."""
    kind = {"fulltext": "FULLTEXT ", "spatial": "SPATIAL "}.get(index.method, "")
    if index.unique:
        kind = "UNIQUE "
    table = qualified(index.schema, index.table)
    return f"CREATE {kind}INDEX {quote(index.name)} ON {table} {index_tail(index)}"


def index_tail(index: Index) -> str:
    """What follows an index's name: its key parts, method and comment."""
    sql = f"({', '.join(index.columns)})"
    if index.method == "hash":
        sql += " USING HASH"
    if index.comment:
        sql += f" COMMENT {literal(index.comment)}"
    return sql


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

    def key(self, schema: str) -> str:
        """The snapshot's name for a schema: "" for the default one."""
        return "" if schema == self.default else schema

    def rows(self, query: str, **parts: str) -> list[tuple[Any, ...]]:
        """The rows of `sql/<query>.sql`, its `{schemas}` the schemas' list and its other
        placeholders `parts`."""
        sql = _query(query).format(schemas=self.listed, **parts)
        return [tuple(row) for row in self.db.query(sql)]

    def read(self, snapshot: Snapshot) -> None:
        tables = self._table_names()
        columns = self._columns(tables)
        primary, uniques, indexes = self._indexes(tables)
        foreign = self._foreign_keys(tables)
        checks, column_checks = self._checks(tables)
        for schema, name in sorted(tables):
            comment = tables[(schema, name)]
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

    # ---- tables and their parts -----------------------------------------------------------

    def _table_names(self) -> dict[tuple[str, str], str | None]:
        """(schema, table) -> the table's comment."""
        return {
            (schema, name): (comment or None)
            for schema, name, comment in self.rows("tables")
            if (schema, name) not in self.excluded
        }

    def _columns(self, tables: Collection[tuple[str, str]]) -> dict[tuple[str, str], list[Column]]:
        rows = self.rows("columns")
        out: dict[tuple[str, str], list[Column]] = defaultdict(list)
        for schema, table, name, column_type, nullable, default, extra, expression, *rest in rows:
            if (schema, table) not in tables:
                continue  # a view's column, or an excluded table's
            collation, comment, data_type = rest
            extra = (extra or "").strip()
            generated = None
            if expression and "GENERATED" in extra.upper():
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
            return None if value == "NULL" else value
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
        rows = self.rows("index_parts", expression=expression)
        parts: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        info: dict[tuple[str, str, str], tuple[bool, str, str | None]] = {}
        for schema, table, name, non_unique, column, sub_part, order, kind, comment, expr in rows:
            if (schema, table) not in tables:
                continue
            part = quote(column) if column is not None else f"({expr})"
            if sub_part:
                part += f"({sub_part})"
            if order == "D":
                part += " DESC"
            parts[(schema, table, name)].append(part)
            info[(schema, table, name)] = (not non_unique, str(kind).lower(), comment or None)
        primary: _ByTable = defaultdict(list)
        uniques: _ByTable = defaultdict(list)
        indexes: list[Index] = []
        for (schema, table, name), columns in parts.items():
            unique, method, comment = info[(schema, table, name)]
            keys = ", ".join(columns)
            tail = (" USING HASH" if method == "hash" else "") + (
                f" COMMENT {literal(comment)}" if comment else ""
            )
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
                )
                indexes.append(_with_definition(index))
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


# Types whose bare default MySQL's information_schema gives unquoted and DEFAULT takes so.
_NUMERIC_TYPES = frozenset(
    "tinyint smallint mediumint int integer bigint decimal numeric float double real bit "
    "year".split()
)


def _by_name(constraint: Constraint) -> str:
    return constraint.name


def _extra_attribute(extra: str) -> str | None:
    """AUTO_INCREMENT, or the ON UPDATE clause, from information_schema's EXTRA."""
    if "auto_increment" in extra.lower():
        return "AUTO_INCREMENT"
    match = _ON_UPDATE.search(extra)
    return f"ON UPDATE {match.group(1)}" if match else None


def _with_definition(index: Index) -> Index:
    """The index with its CREATE INDEX statement as `definition`."""
    return dataclasses.replace(index, definition=index_sql(index))


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
