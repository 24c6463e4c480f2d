"""The rule set of each dialect, by the engine's name (`Database.dialect`) and the other names
users write for it (mariadb, sqlserver); any other key splits by the generic ANSI rules."""

from __future__ import annotations

from dbci.sqlsplit.lexer import (
    BACKTICK,
    BLOCK_COMMENT,
    IDENT,
    LINE_COMMENT,
    SEMI,
    STRING,
    Dialect,
    lexer,
)
from dbci.sqlsplit.mysql import MYSQL
from dbci.sqlsplit.postgresql import POSTGRESQL
from dbci.sqlsplit.sqlite import SQLITE
from dbci.sqlsplit.tsql import TSQL

GENERIC = Dialect(
    lexer(SEMI, STRING, IDENT, BACKTICK, LINE_COMMENT, BLOCK_COMMENT),
    {},
)

DIALECTS: dict[str, Dialect] = {
    "postgresql": POSTGRESQL,
    "sqlite": SQLITE,
    "mysql": MYSQL,
    "mariadb": MYSQL,
    "mssql": TSQL,
    "sqlserver": TSQL,
}


def rules_for(dialect: str) -> Dialect:
    """The rules of `dialect` (a key of DIALECTS, any case), else the generic ones."""
    return DIALECTS.get(dialect.lower(), GENERIC)
