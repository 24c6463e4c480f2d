"""The build's results as JUnit XML (`junit.xml` in the report directory), for the test
views of GitLab and Azure: a test case per migration, per undo verification and per SQL
test, in the suites `build.migrations`, `build.undo` and `build.sql-tests`. The report
stage (`dbci report`, `dbci.report.junit`) writes the full file from report.json later,
gates and findings too; this is what the build alone can say, with the same test cases."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dbci.report.junit import (
    MIGRATIONS,
    SQL_TESTS,
    UNDO,
    JUnitDocument,
    add_migration_cases,
    add_sql_test_cases,
    add_undo_cases,
    junit_timestamp,
)


def build_junit(build: dict[str, Any], *, started_at: str | None = None) -> str:
    """JUnit XML for report.json's `build` section (`started_at`, ISO 8601, is the suites'
    timestamp: now when not given)."""
    when = started_at or datetime.now(UTC).isoformat(timespec="seconds")
    document = JUnitDocument(timestamp=junit_timestamp(when))
    add_migration_cases(document.suite(f"build.{MIGRATIONS}"), build)
    add_undo_cases(document.suite(f"build.{UNDO}"), build)
    add_sql_test_cases(document.suite(f"build.{SQL_TESTS}"), build)
    return document.to_xml()


def write_build_junit(build: dict[str, Any], directory: Path) -> Path:
    """Write `directory/junit.xml` for the build section; return its path."""
    path = directory / "junit.xml"
    path.write_text(build_junit(build), encoding="utf-8")
    return path
