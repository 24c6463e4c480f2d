"""`dbci.api`: every command as a typed Python function, on real databases (SQLite files,
the real PostgreSQL), returning what the command line prints; and the command line's
layering: `dbci.cli` reaches the migrations and the stages only through `dbci.api`."""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.projects import write_project

from dbci import api
from dbci.cli import output
from dbci.cli.handlers import HANDLERS
from dbci.cli.parser import build_parser
from dbci.errors import GateFailed, InputError
from dbci.settings.config import Overrides

Run = Callable[..., subprocess.CompletedProcess[str]]
SRC = Path(api.__file__).resolve().parent

MIGRATIONS = {
    "V1__customers.sql": "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);\n",
    "U1__customers.sql": "DROP TABLE customers;\n",
    "V2__orders.sql": "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer INTEGER);\n",
    "U2__orders.sql": "DROP TABLE orders;\n",
}


def _project(root: Path, toml: str | None = None) -> Path:
    return write_project(root / "project", dict(MIGRATIONS), toml)


def _cli_json(dbci: Run, *args: str | Path) -> Any:
    done = dbci("--output", "json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _without_times(data: Any) -> Any:
    """`data` without the values that differ between two runs (timestamps, durations)."""
    if isinstance(data, dict):
        return {
            k: _without_times(v)
            for k, v in data.items()
            if k not in ("installedOn", "executionTime", "started_at", "finished_at")
            and not k.endswith("_ms")
        }
    if isinstance(data, list):
        return [_without_times(v) for v in data]
    return data


def test_info_migrate_validate_return_what_the_cli_prints(
    tmp_path: Path, sqlite_url: str, dbci: Run
) -> None:
    root = _project(tmp_path)
    settings = api.load_settings(Overrides(project=root, url=sqlite_url))
    pending = api.info(settings)
    assert [e.state.value for e in pending.status.entries] == ["Pending", "Pending"]
    shown = dbci("--project", root, "--url", sqlite_url, "info").stdout
    assert output.info_text(pending) == shown.rstrip("\n")

    lines: list[str] = []
    migrated = api.migrate(settings, log=lines.append)
    assert [str(step.script.version) for step in migrated.applied] == ["1", "2"]
    assert any("Successfully applied 2 migrations" in line for line in lines), lines

    info = api.info(settings)
    assert info.status.current_version is not None and info.status.current_version.text == "2"
    cli = _cli_json(dbci, "--project", root, "--url", sqlite_url, "info")
    assert _without_times(output.info_json(info)) == _without_times(cli)

    checked = api.validate(settings)
    assert checked.problems == [] and checked.validated == 2
    cli = _cli_json(dbci, "--project", root, "--url", sqlite_url, "validate")
    assert output.validate_json(checked) == cli


def test_the_flyway_lifecycle_and_schema_commands(tmp_path: Path, sqlite_url: str) -> None:
    """undo, repair, clean, baseline, dry run, snapshot, diff, model and generate."""
    root = _project(tmp_path, "[flyway]\ncleanDisabled = false\n")
    overrides = Overrides(project=root, url=sqlite_url)
    settings = api.load_settings(overrides)
    planned = api.dry_run(settings)
    assert planned.pending == ["V1__customers.sql", "V2__orders.sql"], planned.pending
    assert "CREATE TABLE customers" in planned.sql
    api.migrate(settings)

    undone = api.undo(settings)
    assert (undone.initial_version, undone.final_version) == ("2", "1")
    assert api.repair(settings).removed_failed == []
    api.migrate(settings)

    to = tmp_path / "snapshot.json"
    taken = api.snapshot(settings, to=to)
    names = {o.name for o in taken.snapshot.objects.values()}
    assert {"customers", "orders"} <= names and to.is_file()

    same = api.diff(overrides, f"snapshot:{to}", f"url:{sqlite_url}")
    assert same.comparison.diff.changes == [] and same.saved is None
    changed = api.diff(overrides, f"snapshot:{to}", "migrations", keep_artifact=True)
    assert changed.saved == root / ".dbci_cache" / "diff.json" and changed.saved.is_file()

    cleaned = api.clean(settings)
    assert cleaned.statements
    assert api.info(settings).status.current_version is None
    baselined = api.baseline(settings)
    assert baselined.version == "1"


def test_the_stages_write_the_report_the_cli_writes(tmp_path: Path, sqlite_url: str) -> None:
    """build, check (with and without a target), pipeline, deploy and report."""
    root = _project(tmp_path)
    target = Overrides(project=root, url=sqlite_url)
    built = api.build(Overrides(project=root))
    assert built.result.status == "passed", built.result.error
    assert [m.version for m in built.result.migrations] == ["1", "2"]
    assert json.loads(built.path.read_text())["build"]["status"] == "passed"

    code_only = api.check(Overrides(project=root), ["code"])
    assert code_only.checked is None and code_only.code is not None
    with pytest.raises(InputError, match="check --drift needs a target"):
        api.check(Overrides(project=root), ["drift"])

    run = api.pipeline(target, report_dir=Path("pr-report"))
    assert not run.failed and run.build.status == "passed"
    assert run.check.checked is not None
    assert [m["version"] for m in run.check.checked.changes["pending"]] == ["1", "2"]  # type: ignore[index]
    report = json.loads((root / "pr-report" / "report.json").read_text())
    assert report["build"]["status"] == "passed" and report["changes"] is not None

    said: list[str] = []
    deployed = api.deploy(target, announce=said.append)
    assert deployed.result.status == "success"
    assert said == deployed.lines and said[0].endswith("(2 applied)"), said
    assert api.info(api.load_settings(target)).status.current_version.text == "2"  # type: ignore[union-attr]
    rendered = api.report(Overrides(project=root))
    assert "report.html" in rendered.files and rendered.comment is None

    with pytest.raises(InputError, match="--parallel must be at least 1"):
        api.deploy(target, parallel=0)


def test_validate_reports_problems_as_data(tmp_path: Path, sqlite_url: str) -> None:
    """The API returns validate's problems; the command line turns them into exit 1."""
    root = _project(tmp_path)
    settings = api.load_settings(Overrides(project=root, url=sqlite_url))
    api.migrate(settings)
    (root / "migrations" / "V1__customers.sql").write_text("CREATE TABLE changed (id int);\n")
    assert api.validate(settings).problems
    with pytest.raises(GateFailed):
        HANDLERS["validate"](
            build_parser().parse_args(["--project", str(root), "--url", sqlite_url, "validate"])
        )


def test_postgresql(tmp_path: Path, pg_url: str, dbci: Run) -> None:
    """On the real PostgreSQL: migrate, info and validate as the command line shows them;
    the schema model of the database; a migration generated from a diff."""
    root = _project(tmp_path)
    overrides = Overrides(project=root, url=pg_url)
    settings = api.load_settings(overrides)
    empty = tmp_path / "empty.json"
    api.snapshot(settings, to=empty)
    assert len(api.migrate(settings).applied) == 2
    modelled = api.model(overrides)  # -e/--url: the database's objects
    assert modelled.write.written and (root / "schema-model").is_dir()
    compared = api.diff(overrides, f"snapshot:{empty}", f"url:{pg_url}")
    assert len(compared.comparison.diff.changes) >= 2 and compared.saved is None
    with pytest.raises(InputError, match="needs --description"):
        api.generate(overrides, description=None, compared=compared.artifact)
    made = api.generate(overrides, description="again", compared=compared.artifact)
    assert made.version == "3" and (root / made.migration).is_file(), made
    cli = _cli_json(dbci, "--project", root, "--url", pg_url, "info")
    assert _without_times(output.info_json(api.info(settings))) == _without_times(cli)
    assert output.validate_json(api.validate(settings)) == _cli_json(
        dbci, "--project", root, "--url", pg_url, "validate"
    )


def test_every_command_has_an_api_function_and_a_handler() -> None:
    """The parser's commands are the API's functions; their help is its docstrings'."""
    parser = build_parser()
    commands: Any = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    names = set(commands.choices)
    assert names == set(HANDLERS)
    for name in names:
        function = getattr(api, name)
        assert callable(function) and name in api.__all__
        assert function.__doc__, name
        help_line = " ".join(function.__doc__.split("\n\n")[0].split())
        helps = {a.dest: a.help for a in commands._choices_actions}
        assert helps[name] == help_line


def _runtime_imports(path: Path) -> list[str]:
    """The modules `path` imports when it runs (imports under `if TYPE_CHECKING:` left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(node)
        for stmt in ast.walk(tree)
        if isinstance(stmt, ast.If) and ast.unparse(stmt.test) == "TYPE_CHECKING"
        for node in ast.walk(stmt)
    }
    found: list[str] = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
    return found


def test_the_cli_reaches_the_engine_and_the_stages_only_through_the_api() -> None:
    """dbci.cli parses and renders: the migrations, the stages, the analysis and the
    report come through dbci.api. Allowed besides: dbci.settings (the options' Overrides,
    URL passwords to hide), dbci.console/errors/cancel/log/logtext, dbci.engines.base's
    `driver_error` (the one place errors become exit codes), dbci.schema.snapshot_file
    (`snapshot`'s JSON on standard output) and dbci.schema.names (objects' names as people
    read them)."""
    forbidden = ("dbci.migrate", "dbci.stages", "dbci.analysis", "dbci.report", "dbci.ci")
    allowed_schema = {"dbci.schema.snapshot_file", "dbci.schema.names"}
    for path in sorted((SRC / "cli").glob("*.py")):
        for module in _runtime_imports(path):
            assert not module.startswith(forbidden), f"{path.name} imports {module}"
            if module.startswith("dbci.schema"):
                assert module in allowed_schema, f"{path.name} imports {module}"
            if module.startswith("dbci.engines"):
                assert module == "dbci.engines.base", f"{path.name} imports {module}"


def test_importing_the_api_stays_cheap() -> None:
    """`import dbci.api` (and the command line) loads no database driver, SQLAlchemy,
    SQLFluff or Jinja2: `dbci info` starts in a fraction of a second."""
    code = (
        "import sys, dbci.api, dbci.cli.app; "
        "heavy = [m for m in ('sqlalchemy', 'sqlfluff', 'jinja2', 'psycopg', 'pymysql') "
        "if m in sys.modules]; print(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
