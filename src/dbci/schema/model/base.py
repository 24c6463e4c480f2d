"""What every model object shares: quoting, grants, `DbObject` and `assemble`.

Statements are returned without a trailing `;`. Identifiers are always double-quoted.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from dbci.schema.model.keys import Key

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
