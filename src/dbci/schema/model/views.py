"""Views and materialized views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from dbci.schema.model.base import DbObject, quote_ident, quote_literal
from dbci.schema.model.keys import Key

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
