"""The build's results as JUnit XML (`junit.xml` in the report directory), for the test
views of GitLab and Azure: a test case per migration, per undo verification and per SQL
test. The report stage (`dbci report`) writes the full file from report.json later; this
is what the build alone can say."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any


def build_junit(build: dict[str, Any]) -> str:
    """JUnit XML for report.json's `build` section."""
    suites = ET.Element("testsuites", name="dbci build")
    migrations = _suite(suites, "build.migrations")
    for m in build.get("migrations", []):
        case = _case(migrations, "migrations", m["script"], m.get("duration_ms", 0))
        if m["status"] != "success":
            _child(case, "failure", build.get("error") or "migration failed", "migration")
    undo = _suite(suites, "build.undo")
    for u in build.get("undo", []):
        case = _case(undo, "undo", u["script"], 0)
        if u["status"] != "verified":
            _child(case, "failure", "; ".join(u["not_restored"]), "undo")
    tests = _suite(suites, "build.sql-tests")
    for t in build.get("tests", []):
        case = _case(tests, "sql-tests", t["name"], t.get("duration_ms", 0))
        if t["status"] == "failed":
            _child(case, "failure", t["message"], "sql-test")
        elif t["status"] == "skipped":
            ET.SubElement(case, "skipped", message=t["message"])
    for suite in suites:
        cases = suite.findall("testcase")
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
        suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
        suite.set("errors", "0")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


def write_build_junit(build: dict[str, Any], directory: Path) -> Path:
    path = directory / "junit.xml"
    path.write_text(build_junit(build), encoding="utf-8")
    return path


def _suite(parent: ET.Element, name: str) -> ET.Element:
    return ET.SubElement(parent, "testsuite", name=name)


def _case(suite: ET.Element, classname: str, name: str, ms: int) -> ET.Element:
    return ET.SubElement(
        suite, "testcase", classname=f"dbci.build.{classname}", name=name, time=f"{ms / 1000:.3f}"
    )


def _child(case: ET.Element, tag: str, message: str, kind: str) -> None:
    element = ET.SubElement(case, tag, message=message[:1000], type=kind)
    element.text = message
