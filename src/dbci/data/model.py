"""The tables of a database as `dbci data refresh` sees them: columns with what masking
must respect (type, length, nullability), keys, and the foreign keys the subset follows."""

from __future__ import annotations

from dataclasses import dataclass, field

# A table's or sequence's (schema, name), as the catalog spells them (not lower-cased).
Name = tuple[str, str]

# What a column holds, as masking cares: the kinds a mask can be checked against.
KINDS = (
    "text",  # char, varchar, text, citext, MySQL's text types, enum-less strings
    "integer",  # smallint, integer, bigint (and MySQL's tiny/medium ints)
    "numeric",  # numeric/decimal, real, double
    "boolean",
    "date",
    "timestamp",  # with or without time zone
    "time",
    "uuid",
    "json",  # json, jsonb
    "bytes",  # bytea, blob, binary
    "other",  # arrays, enums, ranges, network types, geometry, …
)


@dataclass(frozen=True)
class Column:
    """A column of a table."""

    name: str
    type_name: str  # as the catalog shows it: `character varying(255)`, `int(11)`
    kind: str  # one of KINDS
    nullable: bool
    max_length: int | None = None  # characters, for `text` kinds with a limit
    int_bits: int | None = None  # 16, 32 or 64 (MySQL: 8, 16, 24, 32, 64), for `integer`
    unsigned: bool = False  # MySQL's UNSIGNED integers
    # Computed by the database (`GENERATED ALWAYS AS (…) STORED`): never copied, the
    # target computes it again.
    generated: bool = False


@dataclass(frozen=True)
class ForeignKey:
    """A foreign key of a child table to its parent's key."""

    name: str
    columns: tuple[str, ...]  # the child's columns, in the key's order
    parent: Name
    parent_columns: tuple[str, ...]  # the parent's referenced columns, in the same order
    deferrable: bool = False


@dataclass(frozen=True)
class Table:
    """A base table (views, foreign tables and partitions of a partitioned table are not
    tables here: a partitioned table is one table, copied through its parent)."""

    schema: str
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()  # () when there is none
    # Every other set of columns whose values must stay distinct: UNIQUE constraints and
    # unique indexes without a WHERE clause or expressions.
    unique: tuple[tuple[str, ...], ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()

    @property
    def key(self) -> Name:
        return (self.schema, self.name)

    def column(self, name: str) -> Column:
        """The column called `name` (KeyError when there is none)."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def has(self, column: str) -> bool:
        """Whether the table has a column called `column`."""
        return any(c.name == column for c in self.columns)

    def is_unique(self, column: str) -> bool:
        """Whether `column` alone must hold distinct values (the key, or a unique set of
        one column)."""
        return (column,) == self.primary_key or (column,) in self.unique


@dataclass
class Catalog:
    """The tables of the schemas read, and their sequences."""

    tables: dict[Name, Table] = field(default_factory=dict)
    # Sequences (PostgreSQL; MySQL has AUTO_INCREMENT on the table instead), whose
    # positions the refresh carries over so that new rows on the target do not collide.
    sequences: list[Name] = field(default_factory=list)
