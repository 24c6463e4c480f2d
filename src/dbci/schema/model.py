"""The schema model: every database object as a typed value that knows its own DDL.

A snapshot is a set of these objects, keyed by identity (`kind`, schema, name). Each
object compares by value, serialises to plain JSON (`to_dict` / `object_from_dict`),
and writes its own create and drop statements. The model is dialect-neutral in shape;
definitions the database itself renders (a view's query, a function's full definition,
a constraint's or an index's definition) are kept as the database writes them, so that
two snapshots of the same schema compare equal and the DDL runs as written.

Statements are returned without a trailing `;`. Identifiers are always double-quoted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

Key = tuple[str, str, str]  # (kind, schema, name as the key writes it)

_T = TypeVar("_T")
_new = object.__new__
_set = object.__setattr__


def assemble(cls: type[_T], values: dict[str, Any]) -> _T:
    """`cls(**values)` without the dataclass's `__init__`, for the readers that make tens of
    thousands of columns and keys: a frozen dataclass's `__init__` sets each field through
    `object.__setattr__` (2.6 µs for a column; 0.9 µs this way). `values` must name every
    field, defaults included; the snapshot tests check that the readers' objects do.
    """
    obj = _new(cls)
    _set(obj, "__dict__", values)
    return obj


def quote_ident(name: str) -> str:
    """A double-quoted identifier."""
    return '"' + name.replace('"', '""') + '"'


def qualify(schema: str, name: str) -> str:
    """`"schema"."name"`, or `"name"` when the engine has no schemas (schema "")."""
    return f"{quote_ident(schema)}.{quote_ident(name)}" if schema else quote_ident(name)


def quote_literal(value: str) -> str:
    """A standard SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


@dataclass(frozen=True, kw_only=True)
class Grant:
    """One privilege on an object, as `GRANT privilege ON … TO grantee`.

    A `revoked` grant is the other way round: a privilege the object has by default
    (PostgreSQL's `acldefault`: PUBLIC's EXECUTE on a routine, the owner's own) that has
    been taken away, as `REVOKE privilege ON … FROM grantee`. Applying it revokes, and
    undoing it grants the privilege back.
    """

    grantee: str  # a role name, or "PUBLIC"
    privilege: str  # SELECT, INSERT, USAGE, EXECUTE, …
    grantable: bool = False
    revoked: bool = False

    def grantee_sql(self) -> str:
        return "PUBLIC" if self.grantee == "PUBLIC" else quote_ident(self.grantee)

    def apply_sql(self, target: str, columns: str = "") -> str:
        """The statement that makes this so on `target` (`TABLE "s"."t"`); `columns` is
        a column list (`("a")`) for a column privilege."""
        privilege = f"{self.privilege}{columns}"
        if self.revoked:
            return f"REVOKE {privilege} ON {target} FROM {self.grantee_sql()}"
        option = " WITH GRANT OPTION" if self.grantable else ""
        return f"GRANT {privilege} ON {target} TO {self.grantee_sql()}{option}"

    def undo_sql(self, target: str, columns: str = "") -> str:
        """The statement that takes it back: REVOKE a grant, GRANT a revoked default again."""
        privilege = f"{self.privilege}{columns}"
        if self.revoked:
            return f"GRANT {privilege} ON {target} TO {self.grantee_sql()}"
        return f"REVOKE {privilege} ON {target} FROM {self.grantee_sql()}"


@dataclass(frozen=True, kw_only=True)
class DbObject:
    """What every object has: where it lives, its comment and (when asked) its grants."""

    kind: ClassVar[str] = "object"
    # The keyword that COMMENT ON and GRANT … ON use for this kind ("" = not supported).
    sql_keyword: ClassVar[str] = ""
    # The keyword GRANT … ON uses, where it differs from COMMENT ON's (views: TABLE).
    grant_keyword: ClassVar[str | None] = None

    schema: str
    name: str
    comment: str | None = None
    grants: tuple[Grant, ...] = ()

    @property
    def key_name(self) -> str:
        """The name as the object's identity writes it (functions add their signature)."""
        return self.name

    @property
    def key(self) -> Key:
        return (self.kind, self.schema, self.key_name)

    @property
    def qualified(self) -> str:
        return qualify(self.schema, self.name)

    @property
    def target_sql(self) -> str:
        """What COMMENT ON and GRANT name: `TABLE "s"."t"`."""
        return f"{self.sql_keyword} {self.qualified}"

    @property
    def grant_target_sql(self) -> str:
        """What GRANT and REVOKE name: `target_sql`, with the grant keyword if it differs."""
        if self.grant_keyword is None:
            return self.target_sql
        return self.grant_keyword + self.target_sql.removeprefix(self.sql_keyword)

    def depends_on(self) -> tuple[Key, ...]:
        """Keys of objects this one needs to exist first (beyond its schema)."""
        return ()

    def create_sql(self) -> list[str]:
        """The statements that create the object, its comment and its grants."""
        return self.definition_sql() + self.comment_sql() + self.grant_sql()

    def definition_sql(self) -> list[str]:
        """The statements that create the object itself."""
        raise NotImplementedError

    def drop_sql(self) -> list[str]:
        """The statements that drop the object."""
        return [f"DROP {self.sql_keyword} {self.qualified}"]

    def comment_sql(self, *, clear: bool = False) -> list[str]:
        """COMMENT ON for the object (and its parts); `clear` sets a removed comment to NULL."""
        if self.comment is not None:
            return [f"COMMENT ON {self.target_sql} IS {quote_literal(self.comment)}"]
        return [f"COMMENT ON {self.target_sql} IS NULL"] if clear else []

    def grant_sql(self, grants: tuple[Grant, ...] | None = None) -> list[str]:
        """GRANT (and, for revoked defaults, REVOKE) statements for `grants` (default: all
        of the object's)."""
        target = self.grant_target_sql
        return [g.apply_sql(target) for g in (self.grants if grants is None else grants)]

    def revoke_sql(self, grants: tuple[Grant, ...]) -> list[str]:
        """The statements that take `grants` back (a revoked default is granted again)."""
        target = self.grant_target_sql
        return [g.undo_sql(target) for g in grants]

    def ddl(self) -> str:
        """The create statements as one script, for people to read."""
        return "".join(statement + ";\n" for statement in self.create_sql())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, with the kind first."""
        data: dict[str, Any] = {"type": self.kind}
        data.update(_plain(dataclasses.asdict(self)))
        return data


def _plain(value: Any) -> Any:
    """Tuples as lists, for JSON."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# ---- schemas and extensions ------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Schema(DbObject):
    """A schema (namespace). Its `schema` and `name` are both the schema's name."""

    kind: ClassVar[str] = "schema"
    sql_keyword: ClassVar[str] = "SCHEMA"

    @property
    def qualified(self) -> str:
        return quote_ident(self.name)

    def definition_sql(self) -> list[str]:
        return [f"CREATE SCHEMA {self.qualified}"]


@dataclass(frozen=True, kw_only=True)
class Extension(DbObject):
    """An installed extension, in the schema that holds its objects."""

    kind: ClassVar[str] = "extension"
    sql_keyword: ClassVar[str] = "EXTENSION"
    version: str | None = None

    @property
    def qualified(self) -> str:
        return quote_ident(self.name)

    def definition_sql(self) -> list[str]:
        schema = quote_ident(self.schema)
        sql = f"CREATE EXTENSION IF NOT EXISTS {self.qualified} WITH SCHEMA {schema}"
        if self.version:
            sql += f" VERSION {quote_literal(self.version)}"
        return [sql]

    def drop_sql(self) -> list[str]:
        return [f"DROP EXTENSION {self.qualified}"]

    def grant_sql(self, grants: tuple[Grant, ...] | None = None) -> list[str]:
        return []


# ---- types --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Enum(DbObject):
    """An enum type and its labels, in order."""

    kind: ClassVar[str] = "enum"
    sql_keyword: ClassVar[str] = "TYPE"
    labels: tuple[str, ...] = ()

    def definition_sql(self) -> list[str]:
        labels = ", ".join(quote_literal(label) for label in self.labels)
        return [f"CREATE TYPE {self.qualified} AS ENUM ({labels})"]


@dataclass(frozen=True, kw_only=True)
class DomainConstraint:
    """A domain's CHECK constraint."""

    name: str
    definition: str  # "CHECK (VALUE > 0)"


@dataclass(frozen=True, kw_only=True)
class Domain(DbObject):
    """A domain over a base type."""

    kind: ClassVar[str] = "domain"
    sql_keyword: ClassVar[str] = "DOMAIN"
    data_type: str
    default: str | None = None
    not_null: bool = False
    collation: str | None = None
    constraints: tuple[DomainConstraint, ...] = ()

    def definition_sql(self) -> list[str]:
        sql = f"CREATE DOMAIN {self.qualified} AS {self.data_type}"
        if self.collation:
            sql += f" COLLATE {self.collation}"
        if self.default is not None:
            sql += f" DEFAULT {self.default}"
        if self.not_null:
            sql += " NOT NULL"
        for constraint in self.constraints:
            sql += f" CONSTRAINT {quote_ident(constraint.name)} {constraint.definition}"
        return [sql]

    def depends_on(self) -> tuple[Key, ...]:
        return type_dependencies(self.data_type)


@dataclass(frozen=True, kw_only=True)
class Attribute:
    """A field of a composite type."""

    name: str
    data_type: str
    collation: str | None = None


@dataclass(frozen=True, kw_only=True)
class CompositeType(DbObject):
    """A composite (row) type."""

    kind: ClassVar[str] = "composite type"
    sql_keyword: ClassVar[str] = "TYPE"
    attributes: tuple[Attribute, ...] = ()

    def definition_sql(self) -> list[str]:
        fields = ", ".join(
            f"{quote_ident(a.name)} {a.data_type}"
            + (f" COLLATE {a.collation}" if a.collation else "")
            for a in self.attributes
        )
        return [f"CREATE TYPE {self.qualified} AS ({fields})"]

    def depends_on(self) -> tuple[Key, ...]:
        return tuple(k for a in self.attributes for k in type_dependencies(a.data_type))


# ---- sequences ----------------------------------------------------------------------------


# The values each sequence type holds.
SEQUENCE_TYPE_RANGE: dict[str, tuple[int, int]] = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}


@dataclass(frozen=True, kw_only=True)
class Sequence(DbObject):
    """A sequence; `owned_by` is (table, column) when a column owns it (serial)."""

    kind: ClassVar[str] = "sequence"
    sql_keyword: ClassVar[str] = "SEQUENCE"
    data_type: str = "bigint"
    start: int = 1
    increment: int = 1
    minimum: int | None = None
    maximum: int | None = None
    cache: int = 1
    cycle: bool = False
    owned_by: tuple[str, str] | None = None

    def definition_sql(self) -> list[str]:
        return [f"CREATE SEQUENCE {self.qualified} {self.options_sql()}"]

    def options_sql(self, *, explicit_bounds: bool = False) -> str:
        """The options as CREATE SEQUENCE and ALTER SEQUENCE write them.

        ALTER SEQUENCE wants `explicit_bounds`: when it changes both the type and the
        direction, PostgreSQL resolves NO MAXVALUE by the old direction.
        """
        parts = [f"AS {self.data_type}", f"INCREMENT BY {self.increment}"]
        if explicit_bounds:
            low, high = self.bounds()
            parts += [f"MINVALUE {low}", f"MAXVALUE {high}"]
        else:
            parts.append(f"MINVALUE {self.minimum}" if self.minimum is not None else "NO MINVALUE")
            parts.append(f"MAXVALUE {self.maximum}" if self.maximum is not None else "NO MAXVALUE")
        parts += [f"START WITH {self.start}", f"CACHE {self.cache}"]
        parts.append("CYCLE" if self.cycle else "NO CYCLE")
        return " ".join(parts)

    def bounds(self) -> tuple[int, int]:
        """The lowest and highest value, with NO MINVALUE / NO MAXVALUE resolved as
        PostgreSQL resolves them (by the type, and the direction of the increment)."""
        lowest, highest = SEQUENCE_TYPE_RANGE.get(self.data_type, SEQUENCE_TYPE_RANGE["bigint"])
        default_low, default_high = (1, highest) if self.increment > 0 else (lowest, -1)
        return (
            default_low if self.minimum is None else self.minimum,
            default_high if self.maximum is None else self.maximum,
        )

    def ownership_sql(self) -> list[str]:
        """ALTER SEQUENCE … OWNED BY, run once the owning table exists."""
        if self.owned_by is None:
            return []
        table, column = self.owned_by
        owner = f"{qualify(self.schema, table)}.{quote_ident(column)}"
        return [f"ALTER SEQUENCE {self.qualified} OWNED BY {owner}"]


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

    def definition_sql(self) -> str:
        """The column as CREATE TABLE and ADD COLUMN write it."""
        sql = f"{quote_ident(self.name)} {self.data_type}"
        if self.collation:
            sql += f" COLLATE {self.collation}"
        if self.generated is not None:
            sql += f" GENERATED ALWAYS AS ({self.generated}) STORED"
        elif self.identity:
            sql += f" GENERATED {self.identity} AS IDENTITY"
        elif self.default is not None:
            sql += f" DEFAULT {self.default}"
        if not self.nullable:
            sql += " NOT NULL"
        return sql


CONSTRAINT_KINDS = ("primary key", "unique", "check", "foreign key", "exclude")


@dataclass(frozen=True, kw_only=True)
class Constraint:
    """A table constraint, its definition as the database renders it."""

    name: str
    constraint_type: str  # one of CONSTRAINT_KINDS
    definition: str  # "PRIMARY KEY (id)", "FOREIGN KEY (a) REFERENCES s.t(id)", …
    references: tuple[str, str] | None = None  # (schema, table) of a foreign key
    comment: str | None = None


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

    def definition_sql(self, *, foreign_keys: bool = True) -> list[str]:
        """CREATE TABLE; without `foreign_keys` they are left for `foreign_key_sql`."""
        kind = "UNLOGGED TABLE" if self.unlogged else "TABLE"
        parts = [c.definition_sql() for c in self.columns]
        parts += [
            f"CONSTRAINT {quote_ident(c.name)} {c.definition}"
            for c in self.constraints
            if foreign_keys or c.constraint_type != "foreign key"
        ]
        if self.partition_of:
            # A partition takes its columns from the parent; only constraints are its own.
            own = [p for p in parts if p.startswith("CONSTRAINT ")]
            body = f" ({', '.join(own)})" if own else ""
            sql = f"CREATE {kind} {self.qualified} PARTITION OF {self.partition_of}{body} "
            sql += self.partition_bound or "DEFAULT"
        else:
            inner = ",\n    ".join(parts)
            sql = f"CREATE {kind} {self.qualified} (\n    {inner}\n)"
        if self.partition_by:
            sql += f" PARTITION BY {self.partition_by}"
        return [sql]

    def foreign_key_sql(self) -> list[str]:
        """ALTER TABLE … ADD CONSTRAINT for each foreign key."""
        return [
            self.add_constraint_sql(c)
            for c in self.constraints
            if c.constraint_type == "foreign key"
        ]

    def add_constraint_sql(self, constraint: Constraint) -> str:
        name = quote_ident(constraint.name)
        return f"ALTER TABLE {self.qualified} ADD CONSTRAINT {name} {constraint.definition}"

    def drop_constraint_sql(self, constraint: Constraint) -> str:
        return f"ALTER TABLE {self.qualified} DROP CONSTRAINT {quote_ident(constraint.name)}"

    def comment_sql(self, *, clear: bool = False) -> list[str]:
        statements = super().comment_sql(clear=clear)
        for column in self.columns:
            statements += column_comment_sql(self, column, clear=clear)
        for constraint in self.constraints:
            if constraint.comment is not None:
                statements.append(constraint_comment_sql(self, constraint))
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
        if self.partition_of:
            schema, _, name = _split_qualified(self.partition_of)
            keys.append(("table", schema, name))
        return tuple(keys) + self.dependencies

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


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

    def definition_sql(self) -> list[str]:
        return [self.definition]

    def depends_on(self) -> tuple[Key, ...]:
        return relation_keys(self.schema, self.table) + self.dependencies

    def grant_sql(self, grants: tuple[Grant, ...] | None = None) -> list[str]:
        return []


# ---- views --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class View(DbObject):
    """A view: its query as the database renders it, and what it reads."""

    kind: ClassVar[str] = "view"
    sql_keyword: ClassVar[str] = "VIEW"
    grant_keyword: ClassVar[str | None] = "TABLE"  # GRANT has no ON VIEW
    definition: str
    options: tuple[str, ...] = ()  # "security_barrier=true", …
    check_option: str | None = None  # "LOCAL" | "CASCADED"
    dependencies: tuple[tuple[str, str, str], ...] = ()
    column_comments: tuple[tuple[str, str], ...] = ()

    def definition_sql(self) -> list[str]:
        with_options = f" WITH ({', '.join(self.options)})" if self.options else ""
        sql = (
            f"CREATE VIEW {self.qualified}{with_options} AS\n{self.definition.rstrip().rstrip(';')}"
        )
        if self.check_option:
            sql += f"\n WITH {self.check_option} CHECK OPTION"
        return [sql]

    def comment_sql(self, *, clear: bool = False) -> list[str]:
        statements = super().comment_sql(clear=clear)
        for column, text in self.column_comments:
            target = f"COLUMN {self.qualified}.{quote_ident(column)}"
            statements.append(f"COMMENT ON {target} IS {quote_literal(text)}")
        return statements

    def depends_on(self) -> tuple[Key, ...]:
        return tuple(self.dependencies)


@dataclass(frozen=True, kw_only=True)
class MaterializedView(View):
    """A materialized view (its indexes are objects of their own)."""

    kind: ClassVar[str] = "materialized view"
    sql_keyword: ClassVar[str] = "MATERIALIZED VIEW"

    def definition_sql(self) -> list[str]:
        with_options = f" WITH ({', '.join(self.options)})" if self.options else ""
        query = self.definition.rstrip().rstrip(";")
        return [f"CREATE MATERIALIZED VIEW {self.qualified}{with_options} AS\n{query}"]


# ---- routines and triggers ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Function(DbObject):
    """A function; `definition` is the complete CREATE OR REPLACE statement."""

    kind: ClassVar[str] = "function"
    sql_keyword: ClassVar[str] = "FUNCTION"
    arguments: str  # identity arguments: "a integer, b text"
    result: str | None = None  # "integer", "SETOF t", "TABLE(…)"; None for procedures
    language: str = "sql"
    volatility: str = "volatile"  # immutable | stable | volatile
    security_definer: bool = False
    body: str = ""
    definition: str = ""
    dependencies: tuple[tuple[str, str, str], ...] = ()

    @property
    def key_name(self) -> str:
        return f"{self.name}({self.arguments})"

    @property
    def target_sql(self) -> str:
        return f"{self.sql_keyword} {self.qualified}({self.arguments})"

    def definition_sql(self) -> list[str]:
        return [self.definition.rstrip().rstrip(";")]

    def drop_sql(self) -> list[str]:
        return [f"DROP {self.target_sql}"]

    def depends_on(self) -> tuple[Key, ...]:
        return tuple(self.dependencies)


@dataclass(frozen=True, kw_only=True)
class Procedure(Function):
    """A procedure (CALL-able routine)."""

    kind: ClassVar[str] = "procedure"
    sql_keyword: ClassVar[str] = "PROCEDURE"


@dataclass(frozen=True, kw_only=True)
class Trigger(DbObject):
    """A trigger on a table or view; `definition` is the full CREATE TRIGGER statement."""

    kind: ClassVar[str] = "trigger"
    sql_keyword: ClassVar[str] = "TRIGGER"
    table: str
    definition: str
    function: tuple[str, str, str] | None = None  # key of the trigger function
    enabled: str = "O"  # pg_trigger.tgenabled: O, D, R, A

    @property
    def key_name(self) -> str:
        return f"{self.table}.{self.name}"

    @property
    def target_sql(self) -> str:
        return f"TRIGGER {quote_ident(self.name)} ON {qualify(self.schema, self.table)}"

    def definition_sql(self) -> list[str]:
        statements = [self.definition.rstrip().rstrip(";")]
        if self.enabled == "D":
            table = qualify(self.schema, self.table)
            statements.append(f"ALTER TABLE {table} DISABLE TRIGGER {quote_ident(self.name)}")
        return statements

    def drop_sql(self) -> list[str]:
        return [f"DROP TRIGGER {quote_ident(self.name)} ON {qualify(self.schema, self.table)}"]

    def depends_on(self) -> tuple[Key, ...]:
        keys = list(relation_keys(self.schema, self.table))
        if self.function is not None:
            keys.append(self.function)
        return tuple(keys)

    def grant_sql(self, grants: tuple[Grant, ...] | None = None) -> list[str]:
        return []


# ---- the snapshot ------------------------------------------------------------------------

# Object kinds in creation order; drops go the other way. Within it, `dependency_order`
# puts an object after those it depends on (a table after the function its default calls).
KINDS: tuple[type[DbObject], ...] = (
    Schema,
    Extension,
    Enum,
    Domain,
    CompositeType,
    Sequence,
    Table,
    Function,
    Procedure,
    View,
    MaterializedView,
    Index,
    Trigger,
)
KIND_BY_NAME: dict[str, type[DbObject]] = {cls.kind: cls for cls in KINDS}
KIND_ORDER: dict[str, int] = {cls.kind: i for i, cls in enumerate(KINDS)}


def _same_fields(self: Any, other: Any) -> Any:
    """Whether two model objects of one class have the same fields."""
    if other.__class__ is self.__class__:
        return self.__dict__ == other.__dict__
    return NotImplemented


# A dataclass's own `__eq__` builds a tuple of every field on each side before comparing;
# a diff compares every object of two snapshots, and comparing their instance dictionaries
# is a loop in C instead (four times faster for the columns `assemble` makes). A model
# object's dictionary holds its fields and nothing else, so the two agree, and so does the
# generated `__hash__`, which stays.
MODEL_CLASSES: tuple[type, ...] = (
    Grant,
    DomainConstraint,
    Attribute,
    Column,
    Constraint,
    DbObject,
    *KINDS,
)
for _cls in MODEL_CLASSES:
    _cls.__eq__ = _same_fields  # type: ignore[method-assign,assignment]

FORMAT = "dbci-snapshot/1"


@dataclass
class Snapshot:
    """A database's schema: its objects by key, and the dialect that wrote them."""

    dialect: str
    objects: dict[Key, DbObject] = field(default_factory=dict)

    def add(self, obj: DbObject) -> None:
        self.objects[obj.key] = obj

    def sorted_objects(self) -> list[DbObject]:
        """Objects in a stable order: by kind (creation order), schema, name."""
        return sorted(self.objects.values(), key=lambda o: (KIND_ORDER[o.kind], o.key[1], o.key[2]))

    def get(self, key: Key) -> DbObject | None:
        return self.objects.get(key)


def without_column_order(snapshot: Snapshot) -> Snapshot:
    """`snapshot` with each table's columns in name order, for comparisons in which a
    column's position does not count: PostgreSQL cannot move a column, so an undo script
    that restores a dropped column adds it last, and the schema is otherwise the same."""
    objects = {
        key: dataclasses.replace(obj, columns=tuple(sorted(obj.columns, key=lambda c: c.name)))
        if isinstance(obj, Table)
        else obj
        for key, obj in snapshot.objects.items()
    }
    return Snapshot(snapshot.dialect, objects)


def dependency_order(objects: Iterable[DbObject]) -> list[DbObject]:
    """`objects` in the order given, except that each comes after those of them it depends
    on (`depends_on`, however far down); a cycle is broken where it closes."""
    listed = list(objects)
    by_key = {o.key: o for o in listed}
    done: set[Key] = set()
    ordered: list[DbObject] = []
    for first in listed:
        # Depth first without recursion: (object, its dependencies still to visit).
        stack = [(first, iter(first.depends_on()))] if first.key not in done else []
        visiting = {first.key}
        while stack:
            obj, pending = stack[-1]
            for key in pending:
                needed = by_key.get(key)
                if needed is not None and key not in done and key not in visiting:
                    visiting.add(key)
                    stack.append((needed, iter(needed.depends_on())))
                    break
            else:
                stack.pop()
                done.add(obj.key)
                ordered.append(obj)
    return ordered


def object_from_dict(data: dict[str, Any]) -> DbObject:
    """Rebuild an object from `to_dict` output; raises KeyError/TypeError/ValueError on bad data."""
    cls = KIND_BY_NAME[data["type"]]
    values = {k: v for k, v in data.items() if k != "type"}
    nested: dict[str, type] = {
        "grants": Grant,
        "constraints": DomainConstraint if cls is Domain else Constraint,
        "attributes": Attribute,
    }
    for name, item_type in nested.items():
        if name in values:
            values[name] = tuple(item_type(**item) for item in values[name])
    for name in ("labels", "options", "include"):
        if name in values:
            values[name] = tuple(values[name])
    if cls is Index and "columns" in data:
        values["columns"] = tuple(data["columns"])
    if cls is Table and "columns" in values:  # an index's are plain names or expressions
        values["columns"] = tuple(_column_from_dict(item) for item in values["columns"])
    for name in ("dependencies", "column_comments"):
        if name in values:
            values[name] = tuple(tuple(item) for item in values[name])
    for name in ("owned_by", "function"):
        if values.get(name) is not None:
            values[name] = tuple(values[name])
    if cls is Table:
        values["constraints"] = tuple(
            dataclasses.replace(c, references=tuple(c.references) if c.references else None)
            for c in values.get("constraints", ())
        )
    return cls(**values)


def _column_from_dict(data: dict[str, Any]) -> Column:
    grants = data.get("grants")
    if not grants:
        return Column(**data) if grants is None else Column(**{**data, "grants": ()})
    return Column(**{**data, "grants": tuple(Grant(**g) for g in grants)})


# Tables, views and materialized views share one namespace per schema: the relation an
# index (table or materialized view) or a trigger (table or view) is on is whichever of
# these keys exists.
RELATION_KINDS = ("table", "view", "materialized view")


def relation_keys(schema: str, name: str) -> tuple[Key, ...]:
    """The keys the relation `schema.name` may have, one per relation kind."""
    return tuple((kind, schema, name) for kind in RELATION_KINDS)


def type_dependencies(data_type: str) -> tuple[Key, ...]:
    """Keys of user types a column or attribute type may name (`"s"."t"`, `s.t`, `s.t[]`).

    Only schema-qualified names are recognised: PostgreSQL renders a type from a schema
    outside the search path qualified, and the snapshot reads with an empty search path.
    """
    if "." not in data_type:
        return ()  # the common case (integer, text, numeric(10,2)), decided without parsing
    text = data_type.strip()
    while text.endswith("[]"):
        text = text[:-2]
    schema, sep, name = _split_qualified(text)
    if not sep:
        return ()
    return tuple((kind, schema, name) for kind in ("enum", "domain", "composite type"))


def _split_qualified(text: str) -> tuple[str, str, str]:
    """Split `"s"."n"` or `s.n` into (s, ".", n); ("", "", text) when unqualified."""
    parts: list[str] = []
    current, quoted, i = "", False, 0
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == '"' and text[i + 1 : i + 2] == '"':
                current += '"'
                i += 1
            elif ch == '"':
                quoted = False
            else:
                current += ch
        elif ch == '"':
            quoted = True
        elif ch == ".":
            parts.append(current)
            current = ""
        elif ch in "( ":
            break  # type modifiers: numeric(10,2), character varying(20)
        else:
            current += ch
        i += 1
    parts.append(current)
    if len(parts) == 2:
        return parts[0], ".", parts[1]
    return "", "", text
