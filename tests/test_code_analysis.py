"""`dbci check --code`: scope, placeholders, suppression, settings, cache, report, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import run_dbci
from support.projects import write_project

from dbci.analysis.run import analyze
from dbci.errors import InputError
from dbci.settings.config import Overrides, load_settings

SQLFLUFF_CONFIG = "[sqlfluff]\ndialect = postgres\nrules = core\n"


def _project(tmp_path: Path, files: dict[str, str], toml: str | None = None) -> Path:
    root = write_project(tmp_path / "proj", files, toml)
    (root / ".sqlfluff").write_text(SQLFLUFF_CONFIG)
    return root


def _check(root: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    done = run_dbci("--project", root, "--output", "json", "check", *args)
    data = json.loads(done.stdout) if done.stdout.strip().startswith("{") else {}
    return done, data


def _analyze(root: Path, **kwargs: object):
    settings = load_settings(Overrides(project=root), environ={})
    return analyze(settings, **kwargs)


def test_check_without_a_database_reports_and_fails_on_errors(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "V1__init.sql": "CREATE TABLE orders (id int PRIMARY KEY, total numeric);\n",
            "V2__cleanup.sql": "ALTER TABLE orders ADD COLUMN note text;\nDELETE FROM orders;\n",
        },
    )
    done, data = _check(root)
    assert done.returncode == 1, done.stderr
    rules = {(f["rule"], f["file"], f["line"]) for f in data["code"]["findings"]}
    assert ("DB105", "migrations/V2__cleanup.sql", 2) in rules
    assert data["code"]["files_checked"] == 2 and data["code"]["scope"] == "all"
    report = json.loads((root / "dbci-report" / "report.json").read_text())
    assert report["schema"] == "dbci-report/1" and report["status"] == "failed"
    assert report["code"]["findings"] == data["code"]["findings"]
    assert report["build"] is None and report["drift"] is None
    finding = report["code"]["findings"][0]
    assert set(finding) == {"rule", "severity", "file", "line", "column", "message", "source"}

    done = run_dbci("--project", root, "check", "--code", "--fail-on", "never")
    assert done.returncode == 0
    assert "migrations/V2__cleanup.sql:2:1: error DB105" in done.stdout
    assert "2 files checked" in done.stdout


def test_sqlfluff_findings_come_with_dbci_s(tmp_path: Path) -> None:
    root = _project(tmp_path, {"V1__init.sql": "select a,b from t\n"})
    result = _analyze(root)
    sources = {f.source for f in result.findings}
    assert sources == {"sqlfluff"} and all(f.severity == "warning" for f in result.findings)


def test_the_project_s_sqlfluff_config_is_respected(tmp_path: Path) -> None:
    long_line = "SELECT " + ", ".join(f"column_{i}" for i in range(20)) + " FROM t;\n"
    root = _project(tmp_path, {"V1__init.sql": long_line})
    assert any(f.rule == "LT05" for f in _analyze(root).findings)
    (root / ".sqlfluff").write_text(SQLFLUFF_CONFIG + "exclude_rules = LT05\n")
    assert not any(f.rule == "LT05" for f in _analyze(root).findings)
    (root / ".sqlfluff").write_text("[sqlfluff]\ndialect = postgres\nrules = AM04\n")
    assert {f.rule for f in _analyze(root).findings} <= {"AM04"}


def test_unparsable_sql_is_a_finding_with_its_line(tmp_path: Path) -> None:
    root = _project(tmp_path, {"V1__init.sql": "CREATE TABLE a (id int);\nSELEC oops FROM;\n"})
    result = _analyze(root)
    parse = [f for f in result.findings if f.rule == "PRS"]
    assert parse and parse[0].line == 2 and parse[0].severity == "error"


def test_style_off_runs_dbci_s_rules_alone_on_sqlfluff_s_parse(tmp_path: Path) -> None:
    """`style = false`: SQLFluff's own rules do not run; dbci's find what they find with
    them on, and SQLFluff's parse errors are still findings."""
    files = {
        "V1__init.sql": "CREATE table orders (id int PRIMARY KEY,note varchar(20));\n",
        "V2__cleanup.sql": "alter table orders drop column note;\ndelete from orders;\n",
        "V3__broken.sql": "CREATE TABLE a (id int);\nSELEC oops FROM;\n",
    }
    root = _project(tmp_path, files)
    styled = _analyze(root).findings
    assert any(f.source == "sqlfluff" and f.rule not in ("PRS", "TMP") for f in styled)
    (root / "dbci.toml").write_text("[dbci.check.code]\nstyle = false\n")
    alone = _analyze(root).findings
    assert {(f.rule, f.source) for f in alone if f.source == "sqlfluff"} == {("PRS", "sqlfluff")}
    assert [f for f in alone if f.source == "dbci"] == [f for f in styled if f.source == "dbci"]
    assert {f.rule for f in alone if f.source == "dbci"} >= {"DB103", "DB105", "DB601"}
    parse = next(f for f in alone if f.rule == "PRS")
    assert (parse.file, parse.line, parse.severity) == ("migrations/V3__broken.sql", 2, "error")


def test_placeholders_are_replaced_and_positions_are_the_file_s(tmp_path: Path) -> None:
    toml = '[flyway.placeholders]\nschema = "a_rather_long_schema_name"\n'
    root = _project(
        tmp_path,
        {
            "V1__x.sql": "CREATE TABLE ${schema}.t (id int);\n"
            "DROP TABLE ${schema}.old; DELETE FROM ${schema}.u;\n"
        },
        toml,
    )
    result = _analyze(root)
    by_rule = {f.rule: f for f in result.findings}
    assert (by_rule["DB101"].line, by_rule["DB101"].column) == (2, 1)
    assert (by_rule["DB105"].line, by_rule["DB105"].column) == (2, 27)
    assert "PRS" not in by_rule


def test_a_placeholder_without_value_is_linted_with_a_stand_in(tmp_path: Path) -> None:
    root = _project(tmp_path, {"V1__x.sql": "SELECT 1 FROM ${missing}.t;\n"})
    notes = [f for f in _analyze(root).findings if f.rule == "DB002"]
    assert [(n.line, n.column) for n in notes] == [(1, 15)]


def test_suppressions_are_reported_as_info(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {
            "V1__x.sql": (
                "DROP TABLE a; -- dbci:ignore DB101\n"
                "-- dbci:ignore\n"
                "TRUNCATE b;\n"
                "DROP TABLE c; -- dbci:ignore DB104\n"
                "select a,b from t -- noqa: LT01\n"
            )
        },
    )
    result = _analyze(root)
    seen = {(f.rule, f.line, f.severity) for f in result.findings}
    assert ("DB101", 1, "info") in seen and ("DB104", 3, "info") in seen
    assert ("DB101", 4, "error") in seen  # DB104 named, not DB101
    assert ("noqa", 5, "info") in seen
    assert not any(f.rule == "LT01" for f in result.findings)


def test_severity_overrides_and_fail_on_from_the_config(tmp_path: Path) -> None:
    toml = (
        '[dbci.check.code]\nfail_on = "warning"\n'
        '[dbci.check.code.severity]\nDB105 = "off"\nDB205 = "error"\nLT01 = "info"\n'
        '[environments.prod]\nurl = "sqlite:///x.db"\n'
        '[environments.prod.dbci.check.code]\nfail_on = "never"\n'
    )
    root = _project(
        tmp_path,
        {"V1__x.sql": "DELETE FROM t;\nCREATE INDEX i ON t (a);\nselect a,b from t;\n"},
        toml,
    )
    result = _analyze(root, dialect="postgres")
    rules = {f.rule: f.severity for f in result.findings}
    assert "DB105" not in rules and rules["DB205"] == "error" and rules["LT01"] == "info"
    assert result.fail_on == "warning" and result.failed
    # An environment's own [environments.NAME.dbci.check.code] goes over [dbci.check.code].
    prod = load_settings(Overrides(project=root, environment="prod"), environ={})
    assert prod.dbci["check"]["code"]["fail_on"] == "never"
    assert prod.dbci["check"]["code"]["severity"]["DB205"] == "error"
    assert not analyze(prod, dialect="postgres").failed


def test_a_second_run_lints_nothing_again(tmp_path: Path) -> None:
    files = {
        f"V{i}__t{i}.sql": f"CREATE TABLE t{i} (id int);\nDELETE FROM t{i - 1};\n"
        for i in range(2, 12)
    }
    root = _project(tmp_path, files)
    first = _analyze(root)
    assert first.linted == 10  # in a pool of worker processes: 10 files
    second = _analyze(root)
    assert second.linted == 0 and second.findings == first.findings
    (root / "migrations" / "V5__t5.sql").write_text("CREATE TABLE t5 (id int);\n")
    third = _analyze(root)
    assert third.linted == 1
    assert not any(f.file.endswith("V5__t5.sql") and f.rule == "DB105" for f in third.findings)
    (root / ".sqlfluff").write_text(SQLFLUFF_CONFIG + "max_line_length = 40\n")
    assert _analyze(root).linted == 10  # another config: everything again


def test_files_over_the_limit_are_reported_not_skipped(tmp_path: Path) -> None:
    toml = "[dbci.check.code]\nmax_file_bytes = 100\n"
    root = _project(
        tmp_path, {"V1__big.sql": "SELECT 1;\n" * 20, "V2__small.sql": "SELECT 1;\n"}, toml
    )
    result = _analyze(root)
    assert [(f.rule, f.file) for f in result.findings if f.rule == "DB001"] == [
        ("DB001", "migrations/V1__big.sql")
    ]
    assert result.files_checked == ["migrations/V1__big.sql", "migrations/V2__small.sql"]


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def test_changed_from_analyses_only_the_changed_files(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        {"V1__a.sql": "CREATE TABLE a (id int);\n", "V2__b.sql": "CREATE TABLE b (id int);\n"},
    )
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "base")
    _git(root, "checkout", "-qb", "feature")
    (root / "migrations" / "V2__b.sql").write_text("CREATE TABLE b (id int);\nDROP TABLE a;\n")
    _git(root, "commit", "-qam", "change b")
    (root / "migrations" / "V3__c.sql").write_text("TRUNCATE b;\n")  # not yet committed
    done, data = _check(root, "--changed-from", "main")
    assert data["code"]["files"] == ["migrations/V2__b.sql", "migrations/V3__c.sql"]
    assert data["code"]["scope"] == "changed"
    done, _ = _check(root, "--changed-from", "no-such-ref")
    assert done.returncode == 2
    assert done.stderr.startswith("dbci: error: --changed-from no-such-ref:")
    assert len(done.stderr.strip().splitlines()) == 1


def test_with_a_target_only_its_pending_migrations(tmp_path: Path, pg_url: str) -> None:
    root = _project(
        tmp_path,
        {
            "V1__a.sql": "CREATE TABLE a (id int);\nDELETE FROM a;\n",
            "V2__b.sql": "CREATE TABLE b (id int);\n",
        },
    )
    assert run_dbci("--project", root, "--url", pg_url, "migrate", "--target", "1").returncode == 0
    (root / "migrations" / "V3__c.sql").write_text("ALTER TABLE b ADD COLUMN x int NOT NULL;\n")
    done = run_dbci("--project", root, "--url", pg_url, "--output", "json", "check")
    data = json.loads(done.stdout)
    assert data["code"]["scope"] == "pending" and data["code"]["dialect"] == "postgres"
    assert data["code"]["files"] == ["migrations/V2__b.sql", "migrations/V3__c.sql"]
    assert {f["rule"] for f in data["code"]["findings"]} >= {"DB203"}
    assert not any(f["file"].endswith("V1__a.sql") for f in data["code"]["findings"])
    assert done.returncode == 1


@pytest.mark.parametrize(
    ("toml", "sqlfluff", "message"),
    [
        ('[dbci.check.code.severity]\nDB999 = "error"\n', None, "unknown rule 'DB999'"),
        ('[dbci.check.code.severity]\nZZ99 = "error"\n', None, "unknown rule 'ZZ99'"),
        ('[dbci.check.code.severity]\nDB101 = "fatal"\n', None, "is not a severity"),
        ('[dbci.check.code]\nfail_on = "sometimes"\n', None, "is not a severity"),
        ('[dbci.check.code]\ncolour = "red"\n', None, "unknown key 'colour'"),
        ('[dbci.check.code]\nstyle = "off"\n', None, "style must be true or false"),
        (None, "[tool]\nx = 1\n", "no [sqlfluff] section"),
        (None, "[sqlfluff]\ndialect = klingon\n", "klingon"),
    ],
)
def test_bad_configuration_is_one_line_and_exit_2(
    tmp_path: Path, toml: str | None, sqlfluff: str | None, message: str
) -> None:
    root = _project(tmp_path, {"V1__a.sql": "CREATE TABLE a (id int);\n"}, toml)
    if sqlfluff is not None:
        (root / ".sqlfluff").write_text(sqlfluff)
    done = run_dbci("--project", root, "check")
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_parts_that_need_a_target_are_refused_without_one(tmp_path: Path) -> None:
    root = _project(tmp_path, {"V1__a.sql": "CREATE TABLE a (id int);\n"})
    done = run_dbci("--project", root, "check", "--drift")
    assert done.returncode == 2 and "check --drift needs a target" in done.stderr


def test_dialect_from_the_option_and_from_sqlfluff_config(tmp_path: Path) -> None:
    root = _project(tmp_path, {"V1__a.sql": "ALTER TABLE a MODIFY COLUMN b bigint;\n"})
    assert _analyze(root).dialect == "postgres"  # .sqlfluff says so
    mysql = _analyze(root, dialect="mysql")
    assert mysql.dialect == "mysql" and any(f.rule == "DB201" for f in mysql.findings)
    (root / ".sqlfluff").unlink()
    assert _analyze(root).dialect == "ansi"
    with pytest.raises(InputError):
        _analyze(root, dialect="no-such-dialect")


def test_sqlfluff_is_imported_without_pytest() -> None:
    """SQLFluff imports pytest whenever it is installed (it is, here); dbci's import of
    SQLFluff does not load it, and leaves `import pytest` working afterwards."""
    script = (
        "import sys\n"
        "from dbci.analysis.sqlfluff_setup import import_sqlfluff\n"
        "import_sqlfluff()\n"
        "assert 'sqlfluff.core' in sys.modules\n"
        "print('pytest' in sys.modules)\n"
        "import pytest\n"
        "print(pytest.__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["False", "pytest"]
    plain = subprocess.run(
        [sys.executable, "-c", "import sys, sqlfluff; print('pytest' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert plain.stdout.split() == ["True"], "SQLFluff no longer imports pytest: drop the guard"
