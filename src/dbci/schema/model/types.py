"""Schemas, extensions, user types (enums, domains, composite types) and sequences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from dbci.schema.model.base import DbObject, Grant, qualify, quote_ident, quote_literal
from dbci.schema.model.keys import Key, type_dependencies

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
    # Whether ALTER EXTENSION … SET SCHEMA can move it (pg_extension.extrelocatable).
    relocatable: bool = True

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
    """A domain over a base type. `dependencies` holds the routines and types its default
    and checks use (its base type comes from `data_type`)."""

    kind: ClassVar[str] = "domain"
    sql_keyword: ClassVar[str] = "DOMAIN"
    data_type: str
    default: str | None = None
    not_null: bool = False
    collation: str | None = None
    constraints: tuple[DomainConstraint, ...] = ()
    dependencies: tuple[Key, ...] = ()

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
        return type_dependencies(self.data_type) + self.dependencies


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
    unlogged: bool = False  # PostgreSQL 15+: CREATE UNLOGGED SEQUENCE

    def definition_sql(self) -> list[str]:
        kind = "UNLOGGED SEQUENCE" if self.unlogged else "SEQUENCE"
        return [f"CREATE {kind} {self.qualified} {self.options_sql()}"]

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
