"""Views and materialized views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from dbci.schema.model.base import DbObject, quote_ident, quote_literal
from dbci.schema.model.keys import Key
from dbci.schema.model.tables import Column

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
    # PostgreSQL: the table access method (USING) where it is not `heap`.
    access_method: str | None = None
    # The columns whose storage, compression or statistics target is set (only those
    # fields of each count: the query gives the rest).
    column_attributes: tuple[Column, ...] = ()

    def definition_sql(self) -> list[str]:
        with_options = f" WITH ({', '.join(self.options)})" if self.options else ""
        using = f" USING {quote_ident(self.access_method)}" if self.access_method else ""
        query = self.definition.rstrip().rstrip(";")
        out = [f"CREATE MATERIALIZED VIEW {self.qualified}{using}{with_options} AS\n{query}"]
        # ALTER TABLE sets them on a materialized view too, as pg_dump writes them.
        for column in self.column_attributes:
            out += column.attribute_sql(self.qualified)
        return out

    def depends_on(self) -> tuple[Key, ...]:
        method = (("access method", "", self.access_method),) if self.access_method else ()
        return tuple(self.dependencies) + method
