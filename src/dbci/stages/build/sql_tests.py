"""SQL unit tests, run against the built database.

Each `.sql` file under `[dbci] tests` (default `tests/sql/`) is one test. It runs in a
transaction that is rolled back afterwards, so tests do not see each other's data. It
passes when none of its statements fails and every `-- expect: <query>` comment's query
returns true (its first column of its first row). A pgTAP file (one that calls `plan(` or
`no_plan(`) runs when the `pgtap` extension is available, and fails on any `not ok` line;
without the extension it is reported as skipped.

A test file is refused, before it is read, as a migration is (`dbci.settings.containment`): one that
resolves outside the project (unless `[dbci] tests` names a folder outside it), into a
version-control folder, or that is not a regular file.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dbci.engines import open_database
from dbci.engines.registry import find
from dbci.errors import InputError
from dbci.log import Log, quiet
from dbci.migrate.discovery import DEFAULT_TESTS, display_path, sql_test_files
from dbci.settings.config import Settings

__all__ = ["DEFAULT_TESTS", "SqlTestResult", "run_sql_tests", "test_files"]
_EXPECT = re.compile(r"^\s*--\s*expect:\s*(.+?)\s*;?\s*$", re.MULTILINE | re.IGNORECASE)
_PGTAP = re.compile(r"\b(no_)?plan\s*\(", re.IGNORECASE)
_TRUE = (True, 1, "t", "true", "TRUE", "1")


@dataclass
class SqlTestResult:
    """One test file's outcome."""

    name: str  # the file, relative to the project
    status: str  # passed | failed | skipped
    message: str
    duration_ms: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def test_files(settings: Settings) -> list[Path]:
    """The test files, in name order (none when the folder does not exist); a file that
    resolves outside the project, into a version-control folder, or is no regular file is
    refused (`InputError`) before anything reads it."""
    return sql_test_files(settings)


def run_sql_tests(settings: Settings, *, log: Log = quiet) -> list[SqlTestResult]:
    """Run every test file against the settings' database."""
    files = test_files(settings)
    if not files:
        return []
    results: list[SqlTestResult] = []
    db = open_database(settings)
    try:
        pgtap = _pgtap_available(db)
        for path in files:
            name = display_path(path, settings.project_dir)  # a folder outside: as it is
            started = time.perf_counter()
            status, message = _run_one(db, _read_test(path, name), pgtap)
            elapsed = int(round((time.perf_counter() - started) * 1000))
            results.append(SqlTestResult(name, status, message, elapsed))
            log(f"SQL test {name}: {status}{': ' + message if message else ''}")
    finally:
        db.close()
    return results


def _read_test(path: Path, name: str) -> str:
    """A test file's text (checked by `test_files` before: no link out of the project)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read SQL test: {exc.strerror}", file=name) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"is not valid UTF-8 (byte 0x{data[exc.start]:02x})",
            file=name,
            line=data.count(b"\n", 0, exc.start) + 1,
        ) from None


def _pgtap_available(db: Any) -> bool:
    engine = find(db.dialect)
    return engine is not None and engine.pgtap_available(db)


def _run_one(db: Any, text: str, pgtap: bool) -> tuple[str, str]:
    is_pgtap = bool(_PGTAP.search(text))
    if is_pgtap and not pgtap:
        return "skipped", "pgTAP test, and the pgtap extension is not available"
    db.begin()
    try:
        if is_pgtap:
            db.execute("CREATE EXTENSION IF NOT EXISTS pgtap")
        failures: list[str] = []
        for statement in db.split(text):
            try:
                rows = db.query(statement.sql) if is_pgtap else None
                if rows is None:
                    db.execute(statement.sql)
            except Exception as exc:
                return "failed", f"line {statement.line}: {db.describe_error(exc).message}"
            for row in rows or []:
                line = str(row[0]) if row else ""
                if line.startswith("not ok"):
                    failures.append(line)
        for match in _EXPECT.finditer(text):
            query = match.group(1)
            at = text.count("\n", 0, match.start()) + 1
            try:
                rows = db.query(query if query.lower().startswith("select") else f"SELECT {query}")
            except Exception as exc:
                return (
                    "failed",
                    f"line {at}: expect query failed: {db.describe_error(exc).message}",
                )
            if not rows or rows[0][0] not in _TRUE:
                failures.append(f"line {at}: expected true: {query}")
        return ("failed", "; ".join(failures)) if failures else ("passed", "")
    finally:
        db.rollback()
