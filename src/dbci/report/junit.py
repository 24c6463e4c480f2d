"""report.json as JUnit XML (`junit.xml`), for the test views of GitLab and Azure DevOps.

One `<testsuite>` per part of the run that reported something:

* **gates**: one test case per gate: the build, the undo verification, the SQL tests,
  drift, code analysis;
* **build**: one test case per migration, per undo verification and per SQL test;
* **code**: one test case per code-analysis finding (`dbci.code.<source>.<rule>`,
  `<file>:<line>:<column>`): a failure for an error or a warning, skipped for an info;
* **deploy**: per target (`dbci.deploy.<environment>`), one test case per migration it
  applied, with its time, and for a target that failed or was refused one failed case
  with its error line (skipped: a target not started because another failed).

The gates suite has a case per deploy target too (`deploy to <environment>`).

The document follows the windyroad JUnit schema (`tests/data/junit.xsd`, the XSD usually
cited for what these views read): every suite has its counts, a timestamp, a hostname,
properties, system-out and system-err; every test case a class name and a time. Text is
made safe for XML 1.0 first: characters it cannot hold (control characters, lone
surrogates) are removed, as SQL and messages may contain anything.

The build stage writes `junit.xml` with the build's suites alone (`dbci.stages.build.junit`,
through `JUnitDocument` and the `add_*_cases` helpers here) before the report stage
renders the whole file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dbci import __version__
from dbci.analysis.findings import SEVERITIES

# Every character XML 1.0 cannot hold: C0 controls other than tab, LF and CR, lone
# surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_EPOCH = "1970-01-01T00:00:00"
_MESSAGE_LIMIT = 1000  # characters of a message attribute; the element's text has it all
_LISTED = 100  # findings a failed code-analysis gate lists in its text
_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}

MIGRATIONS = "migrations"
UNDO = "undo"
SQL_TESTS = "sql-tests"


def xml_text(value: object) -> str:
    """`value` as a string XML 1.0 can hold: the characters it cannot hold are removed."""
    return _NOT_XML.sub("", value if isinstance(value, str) else str(value))


def junit_timestamp(value: str | None) -> str:
    """An ISO 8601 time as the schema wants it: UTC, to the second, without a zone
    (`2024-05-01T12:00:00`); the epoch when `value` is missing or not a time."""
    if not isinstance(value, str) or not value:
        return _EPOCH
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return _EPOCH
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _ms(value: object) -> float:
    """A duration in ms from report.json: 0 when missing, negative or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return 0.0
    try:
        number = float(value)
    except ValueError:
        return 0.0
    return number if number > 0 and number != float("inf") else 0.0


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.3f}"


@dataclass
class Suite:
    """One `<testsuite>` being filled: its element, and the counts its attributes get."""

    element: ET.Element
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    ms: float = 0.0

    def passed(self, classname: str, name: str, ms: object = 0) -> ET.Element:
        """Add a test case that passed; return it."""
        duration = _ms(ms)
        case = ET.SubElement(
            self.element,
            "testcase",
            name=xml_text(name),
            classname=xml_text(classname),
            time=_seconds(duration),
        )
        self.tests += 1
        self.ms += duration
        return case

    def failed(
        self,
        classname: str,
        name: str,
        ms: object = 0,
        *,
        message: str,
        kind: str,
        text: str | None = None,
    ) -> ET.Element:
        """Add a failed test case: `message` (cut short) as its failure's message, `kind`
        as its type, `text` (or the whole message) as its text."""
        case = self.passed(classname, name, ms)
        failure = ET.SubElement(
            case, "failure", message=_short(message), type=xml_text(kind) or "failure"
        )
        failure.text = xml_text(message if text is None else text)
        self.failures += 1
        return case

    def skip(self, classname: str, name: str, ms: object = 0, *, message: str) -> ET.Element:
        """Add a skipped test case, with why in its `<skipped message=…>`."""
        case = self.passed(classname, name, ms)
        ET.SubElement(case, "skipped", message=_short(message))
        self.skipped += 1
        return case


@dataclass
class JUnitDocument:
    """A `<testsuites>` document being built, suite by suite."""

    timestamp: str = _EPOCH
    properties: Mapping[str, object] = field(default_factory=dict)
    suites: list[Suite] = field(default_factory=list)

    def suite(self, name: str) -> Suite:
        """Start a new `<testsuite>` named `name` (after the ones already started)."""
        element = ET.Element(
            "testsuite",
            name=xml_text(name) or "dbci",
            package="dbci",
            id=str(len(self.suites)),
            timestamp=self.timestamp,
            hostname="localhost",  # the schema's word for "not known": report.json has none
        )
        properties = ET.SubElement(element, "properties")
        ET.SubElement(properties, "property", name="dbci.version", value=__version__)
        for key, value in self.properties.items():
            if value is not None and xml_text(key).strip():
                ET.SubElement(properties, "property", name=xml_text(key), value=xml_text(value))
        suite = Suite(element)
        self.suites.append(suite)
        return suite

    def to_xml(self) -> str:
        """The document as text, with its XML declaration (write it as UTF-8)."""
        root = ET.Element("testsuites")
        for suite in self.suites:
            element = suite.element
            element.set("tests", str(suite.tests))
            element.set("failures", str(suite.failures))
            element.set("errors", str(suite.errors))
            element.set("skipped", str(suite.skipped))
            element.set("time", _seconds(suite.ms))
            ET.SubElement(element, "system-out").text = ""
            ET.SubElement(element, "system-err").text = ""
            root.append(element)
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def add_migration_cases(suite: Suite, build: Mapping[str, Any]) -> None:
    """A test case per migration of report.json's `build` section (`dbci.build.migrations`,
    named after its script): failed when the migration did not succeed."""
    classname = f"dbci.build.{MIGRATIONS}"
    for m in build.get("migrations") or []:
        name = m.get("script") or m.get("version") or "migration"
        if m.get("status") == "success":
            suite.passed(classname, name, m.get("duration_ms"))
        else:
            suite.failed(
                classname,
                name,
                m.get("duration_ms"),
                message=build.get("error") or "migration failed",
                kind="migration",
            )


def add_undo_cases(suite: Suite, build: Mapping[str, Any]) -> None:
    """A test case per undo verification (`dbci.build.undo`, named after the undo script):
    failed, with every object it did not restore, when the undo is broken."""
    classname = f"dbci.build.{UNDO}"
    for u in build.get("undo") or []:
        name = u.get("script") or u.get("version") or "undo"
        if u.get("status") == "verified":
            suite.passed(classname, name)
        else:
            missing = [str(item) for item in u.get("not_restored") or []]
            suite.failed(
                classname,
                name,
                message="; ".join(missing) or "undo not verified",
                kind="undo",
                text=("not restored by the undo:\n" + "\n".join(missing)) if missing else None,
            )


def add_sql_test_cases(suite: Suite, build: Mapping[str, Any]) -> None:
    """A test case per SQL test (`dbci.build.sql-tests`, named after its file): failed or
    skipped with its message."""
    classname = f"dbci.build.{SQL_TESTS}"
    for t in build.get("tests") or []:
        name, ms, message = t.get("name") or "test", t.get("duration_ms"), t.get("message") or ""
        if t.get("status") == "failed":
            suite.failed(classname, name, ms, message=message or "failed", kind="sql-test")
        elif t.get("status") == "skipped":
            suite.skip(classname, name, ms, message=message or "skipped")
        else:
            suite.passed(classname, name, ms)


def junit_xml(report: dict[str, Any]) -> str:
    """JUnit XML for a parsed report.json: a `gates` suite, then `build` and `code` for
    the sections that are there (see the module docstring)."""
    document = JUnitDocument(
        timestamp=junit_timestamp(report.get("started_at") or report.get("finished_at")),
        properties={
            "dbci.schema": report.get("schema"),
            "dbci.status": report.get("status"),
            "dbci.project": report.get("project"),
            "dbci.environment": report.get("environment"),
        },
    )
    build, drift, code = report.get("build"), report.get("drift"), report.get("code")
    targets = (report.get("deploy") or {}).get("targets") or []
    if build is not None or drift is not None or code is not None or targets:
        gates = document.suite("gates")
        _gates(gates, build, drift, code)
        for target in targets:
            _deploy_gate(gates, target)
    if build is not None:
        suite = document.suite("build")
        add_migration_cases(suite, build)
        add_undo_cases(suite, build)
        add_sql_test_cases(suite, build)
    if code is not None:
        _findings(document.suite("code"), code.get("findings") or [])
    if targets:
        _deployed(document.suite("deploy"), targets)
    return document.to_xml()


def _deploy_gate(suite: Suite, target: Mapping[str, Any]) -> None:
    name = f"deploy to {target.get('environment') or 'the target'}"
    status, ms = target.get("status"), target.get("duration_ms")
    if status == "success":
        suite.passed("dbci.gates", name, ms)
    elif status == "skipped":
        suite.skip("dbci.gates", name, ms, message=str(target.get("error") or "not started"))
    else:
        message = str(target.get("error") or status or "failed")
        suite.failed("dbci.gates", name, ms, message=message, kind="deploy")


def _deployed(suite: Suite, targets: Iterable[Mapping[str, Any]]) -> None:
    for target in targets:
        environment = str(target.get("environment") or "target")
        classname = f"dbci.deploy.{environment}"
        for migration in target.get("applied") or []:
            suite.passed(classname, str(migration.get("script")), migration.get("duration_ms"))
        status = target.get("status")
        if status == "skipped":
            suite.skip(classname, environment, message=str(target.get("error") or "not started"))
        elif status != "success":
            message = str(target.get("error") or status or "failed")
            suite.failed(classname, environment, message=message, kind="deploy")


def _gates(
    suite: Suite,
    build: Mapping[str, Any] | None,
    drift: Mapping[str, Any] | None,
    code: Mapping[str, Any] | None,
) -> None:
    classname = "dbci.gates"
    if build is not None:
        if build.get("status") == "passed":
            suite.passed(classname, "build", build.get("duration_ms"))
        else:
            suite.failed(
                classname,
                "build",
                build.get("duration_ms"),
                message=build.get("error") or _build_reasons(build),
                kind="build",
            )
        verified = build.get("undo_verified")
        if verified is None:
            suite.skip(classname, "undo", message="undo scripts not verified")
        elif verified:
            suite.passed(classname, "undo")
        else:
            broken = [u for u in build.get("undo") or [] if u.get("status") != "verified"]
            suite.failed(
                classname,
                "undo",
                message=f"{len(broken)} undo script{'s' * (len(broken) != 1)} broken",
                kind="undo",
                text="\n".join(
                    f"{u.get('script')}: not restored: {'; '.join(u.get('not_restored') or [])}"
                    for u in broken
                ),
            )
        tests = build.get("tests") or []
        failed = [t for t in tests if t.get("status") == "failed"]
        if not tests:
            suite.skip(classname, "sql tests", message="no SQL tests")
        elif failed:
            suite.failed(
                classname,
                "sql tests",
                message=f"{len(failed)} of {len(tests)} SQL tests failed",
                kind="sql-tests",
                text="\n".join(f"{t.get('name')}: {t.get('message') or ''}" for t in failed),
            )
        else:
            suite.passed(classname, "sql tests")
    if drift is not None:
        items, repo = drift.get("items") or [], drift.get("repo") or []
        # Drift fails the gate only where the check was told to fail on it (report.json
        # says so in `fail_on_drift`; a report without the key is judged strictly).
        if drift.get("detected") and drift.get("fail_on_drift", True):
            suite.failed(
                classname,
                "drift",
                message=f"drift: {len(items)} object{'s' * (len(items) != 1)}, "
                f"{len(repo)} migration{'s' * (len(repo) != 1)}",
                kind="drift",
                text="\n".join([*map(_drift_item, items), *map(_repo_item, repo)]),
            )
        else:
            suite.passed(classname, "drift")
    if code is not None:
        fail_on = code.get("fail_on") or "error"
        failing = [f for f in code.get("findings") or [] if _at_least(f.get("severity"), fail_on)]
        if failing:
            lines = [_finding_line(f) for f in failing[:_LISTED]]
            if len(failing) > _LISTED:
                lines.append(f"… and {len(failing) - _LISTED} more (the code suite has them all)")
            plural = "s" * (len(failing) != 1)
            suite.failed(
                classname,
                "code analysis",
                message=f"{len(failing)} finding{plural} at or above {fail_on}",
                kind="code-analysis",
                text="\n".join(lines),
            )
        else:
            suite.passed(classname, "code analysis")


def _findings(suite: Suite, findings: Iterable[Mapping[str, Any]]) -> None:
    for f in findings:
        classname = f"dbci.code.{f.get('source') or 'dbci'}.{f.get('rule') or 'unknown'}"
        name = f"{f.get('file')}:{f.get('line')}:{f.get('column')}"
        severity = f.get("severity") or "warning"
        message = f"{f.get('rule')}: {f.get('message') or ''}"
        if severity == "info":
            suite.skip(classname, name, message=f"info: {message}")
        else:
            suite.failed(classname, name, message=message, kind=severity, text=_finding_line(f))


def _at_least(severity: object, threshold: str) -> bool:
    rank = _RANK.get(severity) if isinstance(severity, str) else None
    if rank is None or threshold not in _RANK:
        return False  # "never", or a value this version does not know
    return rank <= _RANK[threshold]


def _finding_line(f: Mapping[str, Any]) -> str:
    return (
        f"{f.get('file')}:{f.get('line')}:{f.get('column')}: {f.get('rule')} "
        f"[{f.get('severity')}] {f.get('message') or ''}"
    )


def _drift_item(item: Mapping[str, Any]) -> str:
    schema, name = item.get("schema"), item.get("name")
    qualified = f"{schema}.{name}" if schema else str(name)
    return f"{item.get('change')} {item.get('type')} {qualified}"


def _repo_item(item: Mapping[str, Any]) -> str:
    where = f" ({item['file']})" if item.get("file") else ""
    return f"{item.get('kind')}: {item.get('message')}{where}"


def _build_reasons(build: Mapping[str, Any]) -> str:
    reasons = []
    if any(m.get("status") != "success" for m in build.get("migrations") or []):
        reasons.append("a migration failed")
    if build.get("undo_verified") is False:
        reasons.append("an undo script is broken")
    if any(t.get("status") == "failed" for t in build.get("tests") or []):
        reasons.append("SQL tests failed")
    return "build failed" + (f": {', '.join(reasons)}" if reasons else "")


def _short(message: str) -> str:
    text = xml_text(message)
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"
