"""Splitting scripts into statements: one scanner, one rule set per dialect.

`scanner.py` walks a script with one shared lexer (`lexer.py`); the rules of each dialect
are a module of their own (`postgresql.py`, `mysql.py`, `tsql.py`, `sqlite.py`), registered
by their dialect key in `dialects.py`. Callers import from here.
"""

from dbci.sqlsplit.postgresql import copy_row_line
from dbci.sqlsplit.scanner import (
    WINDOW_BYTES,
    leading_words,
    split_statements,
    split_windows,
    terminated,
)
from dbci.sqlsplit.statement import Statement

__all__ = [
    "WINDOW_BYTES",
    "Statement",
    "copy_row_line",
    "leading_words",
    "split_statements",
    "split_windows",
    "terminated",
]
