"""Tables with their columns and constraints, the helpers that alter them part by part,
and indexes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from dbci.schema.model.base import DbObject, Grant, quote_ident, quote_literal
from dbci.schema.model.keys import Key, _split_qualified, relation_keys, type_dependencies
from dbci.schema.model.types import SEQUENCE_TYPE_RANGE

# ---- tables, columns, constraints, indexes ----------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Column:
    """A table column."""

    name: str
    data_type: str
    nullable: bool = True
    default: str | None = None
    identity: str | None = None  # "ALWAYS" | "BY DEFAULT"
    generated: str | None = None  # the expression of GENERATED ALWAYS AS (…) STORED
    collation: str | None = None
    comment: str | None = None
    grants: tuple[Grant, ...] = ()  # column privileges: GRANT UPDATE ("a") ON TABLE …
    # What PostgreSQL keeps beside the definition, each None at its default: the storage
    # where it is not the type's ("PLAIN", "MAIN", "EXTERNAL", "EXTENDED"), the compression
    # method ("pglz", "lz4"), the statistics target.
    storage: str | None = None
    compression: str | None = None
    statistics: int | None = None
    # An identity's sequence options that differ from PostgreSQL's defaults for the type,
    # in `IDENTITY_OPTIONS` order: ("START WITH 10", "INCREMENT BY 5", "CYCLE").
    identity_options: tuple[str, ...] = ()
    # Only inherited from a parent table (INHERITS), not declared by the table itself.
    inherited: bool = False

    def definition_sql(self) -> str:
        """The column as CREATE TABLE and ADD COLUMN write it."""
        sql = f"{quote_ident(self.name)} {self.data_type}"
        if self.collation:
            sql += f" COLLATE {self.collation}"
        if self.generated is not None:
            sql += f" GENERATED ALWAYS AS ({self.generated}) STORED"
        elif self.identity:
            sql += f" GENERATED {self.identity} AS IDENTITY"
            if self.identity_options:
                sql += f" ({' '.join(self.identity_options)})"
        elif self.default is not None:
            sql += f" DEFAULT {self.default}"
        if not self.nullable:
            sql += " NOT NULL"
        return sql

    def options_sql(self) -> str | None:
        """The column as a typed table (CREATE TABLE … OF) writes it: its default or
        generation and NOT NULL, without the type, which is the composite type's; None
        when it has none of these."""
        sql = ""
        if self.generated is not None:
            sql += f" GENERATED ALWAYS AS ({self.generated}) STORED"
        elif self.identity:
            sql += f" GENERATED {self.identity} AS IDENTITY"
            if self.identity_options:
                sql += f" ({' '.join(self.identity_options)})"
        elif self.default is not None:
            sql += f" DEFAULT {self.default}"
        if not self.nullable:
            sql += " NOT NULL"
        return f"{quote_ident(self.name)} WITH OPTIONS{sql}" if sql else None

    def attribute_sql(self, table: str) -> list[str]:
        """ALTER COLUMN statements for the storage, compression and statistics target that
        CREATE TABLE cannot write (pg_dump writes them the same way)."""
        column = f"ALTER TABLE {table} ALTER COLUMN {quote_ident(self.name)}"
        out: list[str] = []
        if self.storage is not None:
            out.append(f"{column} SET STORAGE {self.storage}")
        if self.compression is not None:
            out.append(f"{column} SET COMPRESSION {self.compression}")
        if self.statistics is not None:
            out.append(f"{column} SET STATISTICS {self.statistics}")
        return out


# The options of an identity's sequence, in the order `Column.identity_options` keeps them.
IDENTITY_OPTIONS = ("START WITH", "INCREMENT BY", "MINVALUE", "MAXVALUE", "CACHE", "CYCLE")


def identity_defaults(data_type: str, increment: int) -> dict[str, int | bool]:
    """What PostgreSQL gives an identity's sequence of `data_type` and `increment` when
    no option says otherwise."""
    # Its sequence has the column's type.
    lowest, highest = SEQUENCE_TYPE_RANGE.get(data_type, SEQUENCE_TYPE_RANGE["bigint"])
    low, high = (1, highest) if increment > 0 else (lowest, -1)
    return {
        "START WITH": low if increment > 0 else high,
        "INCREMENT BY": 1,
        "MINVALUE": low,
        "MAXVALUE": high,
        "CACHE": 1,
        "CYCLE": False,
    }


def identity_options(
    data_type: str, start: int, increment: int, low: int, high: int, cache: int, cycle: bool
) -> tuple[str, ...]:
    """An identity sequence's options that are not the defaults, as `Column` keeps them."""
    values: dict[str, int | bool] = {
        "START WITH": start,
        "INCREMENT BY": increment,
        "MINVALUE": low,
        "MAXVALUE": high,
        "CACHE": cache,
        "CYCLE": cycle,
    }
    defaults = identity_defaults(data_type, increment)
    out: list[str] = []
    for name in IDENTITY_OPTIONS:
        if values[name] != defaults[name]:
            out.append(name if name == "CYCLE" else f"{name} {values[name]}")
    return tuple(out)


def identity_values(column: Column) -> dict[str, int | bool]:
    """Every option of a column's identity sequence, defaults filled in."""
    given: dict[str, int | bool] = {"CYCLE": "CYCLE" in column.identity_options}
    for option in column.identity_options:
        name, _, value = option.rpartition(" ")
        if name:
            given[name] = int(value)
    increment = int(given.get("INCREMENT BY", 1))
    return identity_defaults(column.data_type, increment) | given


CONSTRAINT_KINDS = ("primary key", "unique", "check", "foreign key", "exclude")


@dataclass(frozen=True, kw_only=True)
class Constraint:
    """A table constraint, its definition as the database renders it."""

    name: str
    constraint_type: str  # one of CONSTRAINT_KINDS
    definition: str  # "PRIMARY KEY (id)", "FOREIGN KEY (a) REFERENCES s.t(id)", …
    references: tuple[str, str] | None = None  # (schema, table) of a foreign key
    comment: str | None = None
    # PostgreSQL: the comment on the index of a primary key, unique or exclusion
    # constraint (COMMENT ON INDEX), which has the constraint's name.
    index_comment: str | None = None


@dataclass(frozen=True, kw_only=True)
class Table(DbObject):
    """A table with its columns and constraints (indexes and triggers are objects of
    their own, so that they diff and order on their own).

    `dependencies` holds the routines and types its column defaults, generated columns
    and constraints use (column types come from `data_type`)."""

    kind: ClassVar[str] = "table"
    sql_keyword: ClassVar[str] = "TABLE"
    columns: tuple[Column, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    partition_by: str | None = None  # "RANGE (created)"
    partition_of: str | None = None  # the parent, qualified, for a partition
    partition_bound: str | None = None  # "FOR VALUES FROM (…) TO (…)"
    unlogged: bool = False
    dependencies: tuple[Key, ...] = ()
    # MySQL: what follows CREATE TABLE's column list, as the server writes it (ENGINE=…,
    # DEFAULT CHARSET=…, ROW_FORMAT=…, WITH SYSTEM VERSIONING, PARTITION BY …).
    options: tuple[str, ...] = ()
    # PostgreSQL: storage parameters as pg_class.reloptions writes them ("fillfactor=70"),
    # those of its TOAST table after them as "toast.autovacuum_enabled=false".
    storage_parameters: tuple[str, ...] = ()
    row_security: bool = False  # ENABLE ROW LEVEL SECURITY
    force_row_security: bool = False  # FORCE ROW LEVEL SECURITY
    replica_identity: str | None = None  # "NOTHING", "FULL", "INDEX" (replica_index); None: DEFAULT
    replica_index: str | None = None
    clustered_on: str | None = None  # the index of CLUSTER ON
    inherits: tuple[str, ...] = ()  # the parent tables (INHERITS), qualified, in order
    # PostgreSQL: the composite type of a typed table (CREATE TABLE … OF type), qualified;
    # its columns are the type's attributes, the table adds only defaults and NOT NULL.
    of_type: str | None = None
    # PostgreSQL: the table access method (CREATE TABLE … USING) where it is not `heap`.
    access_method: str | None = None

    def definition_sql(self, *, foreign_keys: bool = True) -> list[str]:
        """CREATE TABLE, then the settings it cannot write (columns' storage, row level
        security, replica identity but USING INDEX, which `index_settings_sql` writes once
        the index exists); without `foreign_keys` the constraints CREATE TABLE cannot
        write (`added_after`: foreign keys, …) are left for `foreign_key_sql`.
        A child table leaves out the columns it only inherits (`Column.inherited`)."""
        kind = "UNLOGGED TABLE" if self.unlogged else "TABLE"
        own_columns = [c for c in self.columns if not (self.inherits and c.inherited)]
        parts = [c.definition_sql() for c in own_columns]
        parts += [
            f"CONSTRAINT {quote_ident(c.name)} {c.definition}"
            for c in self.constraints
            if foreign_keys or not self.added_after(c)
        ]
        if self.of_type:
            # A typed table takes its columns from the type: it writes only their options.
            own = [o for c in own_columns if (o := c.options_sql())]
            own += [p for p in parts if p.startswith("CONSTRAINT ")]
            body = " (\n    " + ",\n    ".join(own) + "\n)" if own else ""
            sql = f"CREATE {kind} {self.qualified} OF {self.of_type}{body}"
        elif self.partition_of:
            # A partition takes its columns from the parent; only constraints are its own.
            own = [p for p in parts if p.startswith("CONSTRAINT ")]
            body = f" ({', '.join(own)})" if own else ""
            sql = f"CREATE {kind} {self.qualified} PARTITION OF {self.partition_of}{body} "
            sql += self.partition_bound or "DEFAULT"
        elif parts:
            inner = ",\n    ".join(parts)
            sql = f"CREATE {kind} {self.qualified} (\n    {inner}\n)"
        else:
            sql = f"CREATE {kind} {self.qualified} ()"
        if self.inherits:
            sql += f" INHERITS ({', '.join(self.inherits)})"
        if self.partition_by:
            sql += f" PARTITION BY {self.partition_by}"
        if self.access_method:
            sql += f" USING {quote_ident(self.access_method)}"
        if self.storage_parameters:
            sql += f" WITH ({storage_parameters_sql(self.storage_parameters)})"
        out = [sql]
        if not self.partition_of:  # a partition's columns are its parent's
            for column in own_columns:
                out += column.attribute_sql(self.qualified)
        out += self.security_sql()
        if self.replica_identity in ("NOTHING", "FULL"):
            out += self.replica_identity_sql()
        return out

    def security_sql(self, old: Table | None = None) -> list[str]:
        """ALTER TABLE for row level security where it differs from `old`'s (or is on)."""
        out: list[str] = []
        if self.row_security != (old.row_security if old else False):
            enable = "ENABLE" if self.row_security else "DISABLE"
            out.append(f"ALTER TABLE {self.qualified} {enable} ROW LEVEL SECURITY")
        if self.force_row_security != (old.force_row_security if old else False):
            force = "FORCE" if self.force_row_security else "NO FORCE"
            out.append(f"ALTER TABLE {self.qualified} {force} ROW LEVEL SECURITY")
        return out

    def replica_identity_sql(self) -> list[str]:
        """ALTER TABLE … REPLICA IDENTITY; USING INDEX needs the index to exist."""
        identity = self.replica_identity or "DEFAULT"
        if identity == "INDEX":
            identity = f"USING INDEX {quote_ident(self.replica_index or '')}"
        return [f"ALTER TABLE {self.qualified} REPLICA IDENTITY {identity}"]

    def cluster_sql(self) -> list[str]:
        """ALTER TABLE … CLUSTER ON (which needs the index), or SET WITHOUT CLUSTER."""
        if self.clustered_on is None:
            return [f"ALTER TABLE {self.qualified} SET WITHOUT CLUSTER"]
        return [f"ALTER TABLE {self.qualified} CLUSTER ON {quote_ident(self.clustered_on)}"]

    def index_settings_sql(self) -> list[str]:
        """For a new table, once its indexes exist: REPLICA IDENTITY USING INDEX and
        CLUSTER ON, where it has them."""
        out = self.replica_identity_sql() if self.replica_identity == "INDEX" else []
        return out + (self.cluster_sql() if self.clustered_on is not None else [])

    def foreign_key_sql(self) -> list[str]:
        """ALTER TABLE … ADD CONSTRAINT for each foreign key and other constraint that
        CREATE TABLE cannot write (`added_after`), each with its comment."""
        out: list[str] = []
        for constraint in self.constraints:
            if self.added_after(constraint):
                out.append(self.add_constraint_sql(constraint))
                if constraint.comment is not None:
                    out.append(constraint_comment_sql(self, constraint))
                out += index_comment_sql(self, constraint)
        return out

    def added_after(self, constraint: Constraint) -> bool:
        """Whether a new table's constraint is added once the table exists (as pg_dump
        adds them all): a foreign key, as the table it references may come later; a
        NOT VALID one, which CREATE TABLE would mark valid; a key the same as one written
        before it (a unique key over the primary key's columns), of which CREATE TABLE
        would keep only one."""
        if constraint.constraint_type == "foreign key":
            return True
        if constraint.definition.endswith(" NOT VALID"):
            return True
        if constraint.constraint_type not in ("primary key", "unique"):
            return False
        same = _as_unique(constraint.definition)
        return any(
            _as_unique(c.definition) == same and not self.added_after(c)
            for c in self.constraints[: self.constraints.index(constraint)]
            if c.constraint_type in ("primary key", "unique")
        )

    def add_constraint_sql(self, constraint: Constraint) -> str:
        name = quote_ident(constraint.name)
        return f"ALTER TABLE {self.qualified} ADD CONSTRAINT {name} {constraint.definition}"

    def drop_constraint_sql(self, constraint: Constraint) -> str:
        return f"ALTER TABLE {self.qualified} DROP CONSTRAINT {quote_ident(constraint.name)}"

    def comment_sql(self, *, clear: bool = False, added_after: bool = True) -> list[str]:
        """COMMENT ON the table, its columns and constraints; without `added_after`, not on
        the constraints `foreign_key_sql` adds (and comments on)."""
        statements = super().comment_sql(clear=clear)
        for column in self.columns:
            statements += column_comment_sql(self, column, clear=clear)
        for constraint in self.constraints:
            if added_after or not self.added_after(constraint):
                if constraint.comment is not None:
                    statements.append(constraint_comment_sql(self, constraint))
                statements += index_comment_sql(self, constraint)
        return statements

    def grant_sql(self, grants: tuple[Grant, ...] | None = None) -> list[str]:
        """GRANT statements for `grants`; by default all, the columns' too."""
        statements = super().grant_sql(grants)
        if grants is None:
            for column in self.columns:
                statements += column_grant_sql(self, column, column.grants)
        return statements

    def depends_on(self) -> tuple[Key, ...]:
        keys = [k for c in self.columns for k in type_dependencies(c.data_type)]
        keys += type_dependencies(self.of_type) if self.of_type else ()
        keys += [("access method", "", self.access_method)] if self.access_method else []
        return tuple(keys) + self.parent_keys() + self.dependencies

    def parent_keys(self) -> tuple[Key, ...]:
        """The keys of the tables it takes columns from: a partition's parent, or those
        it inherits from (INHERITS)."""
        parents = (self.partition_of,) if self.partition_of else self.inherits
        return tuple(("table", *_split_qualified(p)[::2]) for p in parents)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def _as_unique(definition: str) -> str:
    """A key's definition with PRIMARY KEY written as UNIQUE: the index is the same."""
    return (
        "UNIQUE" + definition.removeprefix("PRIMARY KEY")
        if definition.startswith("PRIMARY KEY")
        else definition
    )


def storage_parameters_sql(parameters: Iterable[str]) -> str:
    """Storage parameters for WITH (…) and SET (…): `name='value'`."""
    pairs = (p.partition("=") for p in parameters)
    return ", ".join(f"{name}={quote_literal(value)}" for name, _, value in pairs)


def constraint_differs(old: Constraint, new: Constraint) -> bool:
    """Whether a constraint of the same name is another constraint (type or definition)."""
    return (old.constraint_type, old.definition) != (new.constraint_type, new.definition)


def constraint_drops(old: Table, new: Table) -> list[Constraint]:
    """`old`'s constraints that `new` does not have as they are."""
    after = {c.name: c for c in new.constraints}
    return [
        c for c in old.constraints if c.name not in after or constraint_differs(c, after[c.name])
    ]


def constraint_adds(old: Table, new: Table) -> list[Constraint]:
    """`new`'s constraints that `old` does not have as they are."""
    before = {c.name: c for c in old.constraints}
    return [
        c for c in new.constraints if c.name not in before or constraint_differs(before[c.name], c)
    ]


def is_foreign_key(constraint: Constraint) -> bool:
    return constraint.constraint_type == "foreign key"


def column_grant_sql(table: Table, column: Column, grants: Iterable[Grant]) -> list[str]:
    """GRANT statements for privileges on one column."""
    columns = f" ({quote_ident(column.name)})"
    return [g.apply_sql(table.grant_target_sql, columns) for g in grants]


def column_revoke_sql(table: Table, column: Column, grants: Iterable[Grant]) -> list[str]:
    """REVOKE statements for privileges on one column."""
    columns = f" ({quote_ident(column.name)})"
    return [g.undo_sql(table.grant_target_sql, columns) for g in grants]


def column_comment_sql(table: Table, column: Column, *, clear: bool = False) -> list[str]:
    """COMMENT ON COLUMN for one column."""
    target = f"COLUMN {table.qualified}.{quote_ident(column.name)}"
    if column.comment is not None:
        return [f"COMMENT ON {target} IS {quote_literal(column.comment)}"]
    return [f"COMMENT ON {target} IS NULL"] if clear else []


def index_comment_sql(table: Table, constraint: Constraint, *, clear: bool = False) -> list[str]:
    """COMMENT ON INDEX for the index of a key or exclusion constraint (named as the
    constraint), where it has a comment (or, with `clear`, to remove it)."""
    if constraint.index_comment is None and not clear:
        return []
    if constraint.constraint_type not in ("primary key", "unique", "exclude"):
        return []
    target = f"INDEX {quote_ident(table.schema)}.{quote_ident(constraint.name)}"
    value = "NULL" if constraint.index_comment is None else quote_literal(constraint.index_comment)
    return [f"COMMENT ON {target} IS {value}"]


def constraint_comment_sql(table: Table, constraint: Constraint) -> str:
    target = f"CONSTRAINT {quote_ident(constraint.name)} ON {table.qualified}"
    value = "NULL" if constraint.comment is None else quote_literal(constraint.comment)
    return f"COMMENT ON {target} IS {value}"


@dataclass(frozen=True, kw_only=True)
class Index(DbObject):
    """An index that no constraint owns; `definition` is the full CREATE INDEX statement.
    `dependencies` holds the routines and types its expressions and predicate use."""

    kind: ClassVar[str] = "index"
    sql_keyword: ClassVar[str] = "INDEX"
    table: str
    definition: str
    unique: bool = False
    method: str = "btree"
    columns: tuple[str, ...] = ()  # key columns or expressions, as written
    include: tuple[str, ...] = ()
    predicate: str | None = None
    dependencies: tuple[Key, ...] = ()
    ignored: bool = False  # MariaDB's IGNORED, MySQL's INVISIBLE: the optimizer skips it

    def definition_sql(self) -> list[str]:
        return [self.definition]

    def depends_on(self) -> tuple[Key, ...]:
        return relation_keys(self.schema, self.table) + self.dependencies

    def grant_sql(self, grants: tuple[Grant, ...] | None = None) -> list[str]:
        return []
