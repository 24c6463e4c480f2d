"""Objects the catalog holds whole, written as statements when they are read.

PostgreSQL has many kinds of objects that no `pg_get_*def` function writes and that dbci
changes only as a whole: policies, rules, publications, event triggers, extended
statistics, collations, casts, aggregates, operators and their classes and families,
range types, text-search objects, foreign data wrappers, servers, user mappings and
foreign tables, an object's owner, default privileges. For each, the snapshot's query
writes the statements that create it (`create`) and those that take it away again
(`drop`), as pg_dump writes them, and the diff compares those: a kind needs a query and
a class here, nothing else.

A change is made in place where the kind can say how (`change_sql`: a server's options,
a publication's members), else as its kind says (`change_by`): most are dropped and
created again, settings (an owner) are set again (`reapply`). Where a kind is created
(`phase`): "early" kinds are created with tables and routines, each after what it uses
(a collation before the table whose column uses it, an aggregate after its state
function), and dropped after the tables; "late" kinds need their relation and routines
to exist (a policy, a rule, a publication) and are created last and dropped first.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from dbci.schema.model.base import DbObject, Grant, quote_literal
from dbci.schema.model.catalog_options import (
    holds_unread,
    options_change,
    options_unknown,
    without_options,
)
from dbci.schema.model.keys import Key, relation_keys


@dataclass(frozen=True, kw_only=True)
class CatalogObject(DbObject):
    """An object written as statements: `create` makes it, `drop` takes it away.

    `identity` is the object's key name where its name alone does not tell it apart (a
    policy is one of its table's, a cast is from one type to another). `relation` is the
    table or view it belongs to, if any: it goes when that goes. `target` is what COMMENT
    ON names (`POLICY "p" ON "s"."t"`), "" for kinds without comments."""

    kind: ClassVar[str] = "catalog object"
    change_by: ClassVar[str] = "recreate"  # recreate | reapply
    phase: ClassVar[str] = "late"  # early | late
    alters_options: ClassVar[bool] = False  # ALTER … OPTIONS when only they change
    # Its drop takes along what depends on it (a shell type's `DROP TYPE … CASCADE`, its
    # base type's I/O functions): those are not dropped on their own.
    drops_dependents: ClassVar[bool] = False
    identity: str = ""
    relation: str | None = None
    create: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    target: str = ""
    dependencies: tuple[Key, ...] = ()

    @property
    def key_name(self) -> str:
        return self.identity or self.name

    @property
    def target_sql(self) -> str:
        return self.target

    def definition_sql(self) -> list[str]:
        return list(self.create)

    def drop_sql(self) -> list[str]:
        return list(self.drop)

    def comment_sql(self, *, clear: bool = False) -> list[str]:
        if not self.target:
            return []
        if self.comment is not None:
            return [f"COMMENT ON {self.target} IS {quote_literal(self.comment)}"]
        return [f"COMMENT ON {self.target} IS NULL"] if clear else []

    def grant_sql(self, grants: tuple[Grant, ...] | None = None) -> list[str]:
        return []

    def revoke_sql(self, grants: tuple[Grant, ...]) -> list[str]:
        return []

    def depends_on(self) -> tuple[Key, ...]:
        on = relation_keys(self.schema, self.relation) if self.relation else ()
        return on + self.dependencies

    def change_sql(self, old: CatalogObject) -> list[str] | None:
        """The statements that alter `old` into this object in place, or None where it is
        changed as its kind says (`change_by`). Kinds that `alters_options` (a server, on
        which user mappings and foreign tables hang) alter their options in place, when
        nothing else changed (`catalog_options`)."""
        if not self.alters_options:
            return None
        return options_change(old.create, self.create, old.drop, self.drop)

    def same_as(self, old: CatalogObject) -> bool:
        """Whether `old` is this object as far as both snapshots could read it: where one
        side could not read the options (a user mapping whose options the reading role
        may not see), they are not compared, so that no diff takes away what it did not
        see."""
        if self == old:
            return True
        if not self.alters_options or not (
            options_unknown(self.create) or options_unknown(old.create)
        ):
            return False
        return dataclasses.replace(self, create=without_options(self.create)) == (
            dataclasses.replace(old, create=without_options(old.create))
        )

    @property
    def holds_unread(self) -> bool:
        """Whether the object holds what the snapshot did not read (a user mapping's
        password, options the reader may not see): dropping it loses that, since creating
        it again cannot put it back."""
        return self.alters_options and holds_unread(self.create)


# Each kind is a plain subclass: it adds no field, only its `kind` and how it is made, so
# it keeps CatalogObject's dataclass methods (a `@dataclass` of its own would only cost
# the import, a millisecond a class, on every run of the CLI).

# ---- PostgreSQL's kinds, created with tables and routines ------------------------------------


class Collation(CatalogObject):
    """A collation (CREATE COLLATION)."""

    kind: ClassVar[str] = "collation"
    phase: ClassVar[str] = "early"


class RangeType(CatalogObject):
    """A range type (CREATE TYPE … AS RANGE)."""

    kind: ClassVar[str] = "range type"
    phase: ClassVar[str] = "early"


class Aggregate(CatalogObject):
    """An aggregate function (CREATE AGGREGATE)."""

    kind: ClassVar[str] = "aggregate"
    phase: ClassVar[str] = "early"


class Operator(CatalogObject):
    """An operator (CREATE OPERATOR)."""

    kind: ClassVar[str] = "operator"
    phase: ClassVar[str] = "early"


class OperatorFamily(CatalogObject):
    """An operator family (CREATE OPERATOR FAMILY)."""

    kind: ClassVar[str] = "operator family"
    phase: ClassVar[str] = "early"


class OperatorClass(CatalogObject):
    """An operator class (CREATE OPERATOR CLASS)."""

    kind: ClassVar[str] = "operator class"
    phase: ClassVar[str] = "early"


class Cast(CatalogObject):
    """A cast from one type to another (CREATE CAST)."""

    kind: ClassVar[str] = "cast"
    phase: ClassVar[str] = "early"


class TextSearchParser(CatalogObject):
    """A text search parser (CREATE TEXT SEARCH PARSER)."""

    kind: ClassVar[str] = "text search parser"
    phase: ClassVar[str] = "early"


class TextSearchTemplate(CatalogObject):
    """A text search template (CREATE TEXT SEARCH TEMPLATE)."""

    kind: ClassVar[str] = "text search template"
    phase: ClassVar[str] = "early"


class TextSearchDictionary(CatalogObject):
    """A text search dictionary (CREATE TEXT SEARCH DICTIONARY)."""

    kind: ClassVar[str] = "text search dictionary"
    phase: ClassVar[str] = "early"


class TextSearchConfiguration(CatalogObject):
    """A text search configuration and its mappings (CREATE TEXT SEARCH CONFIGURATION)."""

    kind: ClassVar[str] = "text search configuration"
    phase: ClassVar[str] = "early"


class ForeignDataWrapper(CatalogObject):
    """A foreign data wrapper (CREATE FOREIGN DATA WRAPPER)."""

    kind: ClassVar[str] = "foreign data wrapper"
    phase: ClassVar[str] = "early"
    alters_options: ClassVar[bool] = True


class ForeignServer(CatalogObject):
    """A foreign server (CREATE SERVER)."""

    kind: ClassVar[str] = "server"
    phase: ClassVar[str] = "early"
    alters_options: ClassVar[bool] = True


class UserMapping(CatalogObject):
    """A user mapping of a role to a foreign server (CREATE USER MAPPING)."""

    kind: ClassVar[str] = "user mapping"
    phase: ClassVar[str] = "early"
    alters_options: ClassVar[bool] = True


class ForeignTable(CatalogObject):
    """A foreign table (CREATE FOREIGN TABLE)."""

    kind: ClassVar[str] = "foreign table"
    phase: ClassVar[str] = "early"
    alters_options: ClassVar[bool] = True


class ShellType(CatalogObject):
    """`CREATE TYPE s.t`: a type with no definition yet. Every base type has one, created
    before its I/O functions (which take or return it) and dropped with it: its drop
    (`DROP TYPE … CASCADE`) takes the I/O functions along (`drops_dependents`). A shell
    type standing alone (no base type of its name) is one too."""

    kind: ClassVar[str] = "shell type"
    phase: ClassVar[str] = "early"
    drops_dependents: ClassVar[bool] = True


class BaseType(CatalogObject):
    """A base type's definition (`CREATE TYPE s.t (INPUT = …)`), made over its shell type
    once its I/O functions exist. It has no drop of its own: its shell type's drop takes it
    (and them) away."""

    kind: ClassVar[str] = "base type"
    phase: ClassVar[str] = "early"

    def change_sql(self, old: CatalogObject) -> list[str] | None:
        """`ALTER TYPE … SET (…)` where only the options PostgreSQL alters in place change
        (the binary I/O, typmod, analyze and subscript functions, the storage); None
        otherwise: the type is then created again, which PostgreSQL refuses while its I/O
        functions (and any column) use it."""
        before, after = _base_type_options(old.create), _base_type_options(self.create)
        if before is None or after is None or before == after:
            return None
        if {k: v for k, v in before.items() if k not in _ALTERABLE} != {
            k: v for k, v in after.items() if k not in _ALTERABLE
        }:
            return None
        changes = [
            f"{name} = {after.get(name, 'NONE')}"
            for name in _ALTERABLE
            if before.get(name) != after.get(name)
        ]
        return [f"ALTER {self.target} SET ({', '.join(changes)})"]


# The options of a base type ALTER TYPE … SET changes in place.
_ALTERABLE = ("RECEIVE", "SEND", "TYPMOD_IN", "TYPMOD_OUT", "ANALYZE", "SUBSCRIPT", "STORAGE")


def _base_type_options(create: tuple[str, ...]) -> dict[str, str] | None:
    """The options of a base type's `CREATE TYPE s.t (\n    NAME = value,\n    …\n)` (as
    `catalog_base_types.sql` writes it, one a line) by name; None for another form."""
    if len(create) != 1 or not create[0].endswith("\n)") or " (\n    " not in create[0]:
        return None
    body = create[0].split(" (\n    ", 1)[1][: -len("\n)")]
    found: dict[str, str] = {}
    for option in body.split(",\n    "):
        name, _, value = option.partition(" = ")
        found[name] = value
    return found


class Language(CatalogObject):
    """A procedural language (CREATE LANGUAGE)."""

    kind: ClassVar[str] = "language"
    phase: ClassVar[str] = "early"


class AccessMethod(CatalogObject):
    """An index or table access method (CREATE ACCESS METHOD)."""

    kind: ClassVar[str] = "access method"
    phase: ClassVar[str] = "early"


class Conversion(CatalogObject):
    """An encoding conversion (CREATE CONVERSION)."""

    kind: ClassVar[str] = "conversion"
    phase: ClassVar[str] = "early"


class Transform(CatalogObject):
    """A transform of a type for a language (CREATE TRANSFORM)."""

    kind: ClassVar[str] = "transform"
    phase: ClassVar[str] = "early"


# ---- PostgreSQL's kinds that need their relations and routines ----------------------------------


class Policy(CatalogObject):
    """A row-level security policy (CREATE POLICY)."""

    kind: ClassVar[str] = "policy"


class Rule(CatalogObject):
    """A rewrite rule (CREATE RULE)."""

    kind: ClassVar[str] = "rule"


class Statistics(CatalogObject):
    """Extended statistics (CREATE STATISTICS)."""

    kind: ClassVar[str] = "statistics"


class Publication(CatalogObject):
    """A publication (CREATE PUBLICATION, then one ALTER PUBLICATION … ADD per member).

    A change is made in place, as subscribers need it: dropping a publication that a
    subscriber streams from breaks its replication. Options are set again, members that
    go are dropped and new or changed ones added; only turning FOR ALL TABLES on or off
    makes it again."""

    kind: ClassVar[str] = "publication"

    def change_sql(self, old: CatalogObject) -> list[str] | None:
        head, old_head = self.create[0], old.create[0]
        before, _, options = head.partition(" WITH (")
        if before != old_head.partition(" WITH (")[0]:
            return None  # FOR ALL TABLES turned on or off
        name = before.removeprefix("CREATE PUBLICATION ").removesuffix(" FOR ALL TABLES")
        out = [f"ALTER PUBLICATION {name} SET ({options}"] if head != old_head else []
        add = f"ALTER PUBLICATION {name} ADD "
        members, old_members = self.create[1:], old.create[1:]
        for member in old_members:
            if member not in members:
                # Gone, or its column list or row filter changes: dropped (then added).
                out.append(f"ALTER PUBLICATION {name} DROP {_member(member[len(add) :])}")
        out += [m for m in members if m not in old_members]
        return out


class EventTrigger(CatalogObject):
    """An event trigger (CREATE EVENT TRIGGER)."""

    kind: ClassVar[str] = "event trigger"


class DefaultPrivileges(CatalogObject):
    """ALTER DEFAULT PRIVILEGES for one role (in one schema, or everywhere) and object
    type: read with grants."""

    kind: ClassVar[str] = "default privileges"


class Ownership(CatalogObject):
    """Who owns an object (`ALTER … OWNER TO`): read when owners are asked for. Its
    identity is the owned object's kind and key name."""

    kind: ClassVar[str] = "owner"
    change_by: ClassVar[str] = "reapply"


def _member(added: str) -> str:
    """What an ADD of a member names, as DROP takes it: `TABLE ONLY s.t` without its
    column list and row filter, `TABLES IN SCHEMA s` as it is."""
    if added.startswith("TABLE ONLY "):
        return "TABLE ONLY " + _qualified_name(added.removeprefix("TABLE ONLY "))
    return added


def _qualified_name(text: str) -> str:
    """The `schema.name` at the start of `text`, each part quoted or not, as PostgreSQL's
    `%I` writes it."""
    i, parts = 0, 0
    while i < len(text) and parts < 2:
        if text[i] == '"':
            i += 1
            while i < len(text):
                if text[i] == '"' and text[i + 1 : i + 2] == '"':
                    i += 2
                elif text[i] == '"':
                    i += 1
                    break
                else:
                    i += 1
        else:
            while i < len(text) and text[i] not in ' .("':
                i += 1
        parts += 1
        if i < len(text) and text[i] == "." and parts < 2:
            i += 1
        else:
            break
    return text[:i]


# In creation order, as `KINDS` lists them: early kinds by what each may use.
EARLY_KINDS: tuple[type[CatalogObject], ...] = (
    Collation,
    Language,
    ShellType,
    BaseType,
    RangeType,
    TextSearchParser,
    TextSearchTemplate,
    TextSearchDictionary,
    TextSearchConfiguration,
    ForeignDataWrapper,
    ForeignServer,
    UserMapping,
    ForeignTable,
    Aggregate,
    Operator,
    AccessMethod,
    OperatorFamily,
    OperatorClass,
    Cast,
    Conversion,
    Transform,
)
LATE_KINDS: tuple[type[CatalogObject], ...] = (
    Policy,
    Rule,
    Statistics,
    Publication,
    EventTrigger,
    DefaultPrivileges,
    Ownership,
)
