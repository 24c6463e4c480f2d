"""Reading the schema model: its files applied to an empty database, in dependency order.

The files do not say in which order they must run (a view reads a function, a table's
foreign key refers to another table, two tables may refer to each other). The statements
are run folder by folder in the order objects are created (schemas, extensions, types,
sequences, tables, routines, views), and a statement that fails is tried again after the
others, as long as a pass makes progress: whatever it waited for has been created by
then. What still fails when no pass makes progress is an error in the model, reported at
its file and line with the database's message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dbci.engines.base import Database
from dbci.errors import DbciError, InputError
from dbci.schema.model_files import SCHEMA_FILE, existing_files
from dbci.sqlsplit import split_statements

# The folders in the order their objects are created; files elsewhere come last.
_ORDER = ["Extensions", "Collations", "Types", "Domains", "Sequences", "Text Search"]
_ORDER += ["Foreign Data Wrappers", "Foreign Servers", "Tables", "Foreign Tables", "Functions"]
_ORDER += ["Procedures", "Aggregates", "Operators", "Casts", "Views", "Materialized Views"]


@dataclass(frozen=True)
class ModelStatement:
    """One statement of the model, where it is written."""

    path: str  # relative to the model folder
    line: int
    sql: str


def model_statements(directory: Path, dialect: str) -> list[ModelStatement]:
    """Every statement of the model under `directory`, in the order they are first tried."""
    if not directory.is_dir():
        raise InputError(
            f"no schema model at {directory}: write one with dbci model -e ENVIRONMENT"
        )
    found: list[ModelStatement] = []
    for path in sorted(existing_files(directory), key=_rank):
        file = directory / path
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 (byte {exc.start})", file=file) from None
        try:
            statements = split_statements(text, dialect)
        except DbciError as exc:
            raise exc.located(file) from None
        found += [ModelStatement(path, s.line, s.sql) for s in statements]
    return found


def _rank(path: str) -> tuple[int, str]:
    parts = path.split("/")
    if parts[-1] == SCHEMA_FILE:
        return (0, path)
    folder = parts[-2] if len(parts) > 1 else ""
    return (1 + _ORDER.index(folder) if folder in _ORDER else len(_ORDER) + 1, path)


def apply_model(db: Database, directory: Path) -> int:
    """Run the model's statements on `db` (empty, in autocommit) until all have run;
    return how many ran. A statement that never can is an InputError at its file:line."""
    pending = model_statements(directory, db.dialect)
    total = len(pending)
    while pending:
        failed: list[tuple[ModelStatement, str]] = []
        for statement in pending:
            try:
                db.execute(statement.sql)
            except Exception as exc:
                error = db.describe_error(exc)
                if error.connection_lost:
                    raise db.lost(exc) from None
                if _already_there(statement, error.message):
                    continue
                failed.append((statement, error.message))
        if len(failed) == len(pending):
            first, message = failed[0]
            raise InputError(
                f"the schema model does not apply: {message}"
                + (f" ({len(failed) - 1} more statements wait on it)" if len(failed) > 1 else ""),
                file=directory / first.path,
                line=first.line,
            )
        pending = [statement for statement, _ in failed]
    return total


def _already_there(statement: ModelStatement, message: str) -> bool:
    """A schema every database has (public) is in the model too: creating it is a no-op."""
    return statement.path.endswith("/" + SCHEMA_FILE) and "already exists" in message
