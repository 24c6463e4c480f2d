"""The layering rule of ARCHITECTURE.md, checked on the source: lower layers never import
higher ones. `engines/`, `schema/`, `migrate/`, `settings/`, `sqlsplit/`, `builddb/`, `data/`
and the top-level helpers know nothing of the stages, the report, the CI platforms, the command line
or the API; `analysis/` neither; `stages/` nothing of the command line, the CI platforms or
the API; `report/` nothing of the command line or the API.

Every import counts: at the top of a module, inside a function, under `if TYPE_CHECKING:`,
relative ones, `from dbci import stages`, and `importlib.import_module("dbci....")` with a
literal name."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

import dbci

SRC = Path(dbci.__file__).resolve().parent

_ABOVE_ALL = ("dbci.stages", "dbci.report", "dbci.ci", "dbci.cli", "dbci.api")
_HELPERS = ("errors", "log", "console", "logtext", "cancel", "cores")


@dataclass(frozen=True)
class Rule:
    """Modules whose name starts with one of `layers` import nothing under `forbidden`."""

    layers: tuple[str, ...]
    forbidden: tuple[str, ...]


RULES = (
    Rule(
        tuple(
            f"dbci.{name}"
            for name in ("engines", "schema", "migrate", "settings", "sqlsplit", "builddb", "data")
        )
        + tuple(f"dbci.{name}" for name in _HELPERS),
        _ABOVE_ALL,
    ),
    Rule(("dbci.analysis",), _ABOVE_ALL),
    Rule(("dbci.stages",), ("dbci.cli", "dbci.ci", "dbci.api")),
    Rule(("dbci.report",), ("dbci.cli", "dbci.ci", "dbci.api")),
)

# (importing module, imported module) -> why the rule gives way. Keep it empty: move the
# piece a lower layer needs down instead.
EXCEPTIONS: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int

    def __str__(self) -> str:
        path = self.importer.replace(".", "/")
        return f"{path} (line {self.line}) imports {self.imported}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[Import]:
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    return _imports_in(path.read_text(encoding="utf-8"), module, package)


def _imports_in(source: str, module: str, package: str) -> list[Import]:
    """Every module `source` (the text of `module`, in `package`) imports, anywhere in it,
    as absolute names (for `from a import b` both `a` and `a.b`, since `b` may be a module)."""
    found: list[Import] = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            names = [origin] + [f"{origin}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Call):
            names = [_literal_import(node)]
        line = getattr(node, "lineno", 0)
        found += [Import(module, name, line) for name in names if name]
    return found


def _literal_import(node: ast.Call) -> str:
    """The module `importlib.import_module("…")` or `__import__("…")` names ("" for any
    other call)."""
    func = node.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if called in ("import_module", "__import__") and node.args:
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return ""


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _breaks_a_rule(found: Import) -> bool:
    return any(
        _under(found.importer, rule.layers) and _under(found.imported, rule.forbidden)
        for rule in RULES
    )


def _violations(paths: list[Path]) -> list[Import]:
    return [found for path in paths for found in _imports(path) if _breaks_a_rule(found)]


def _all_modules() -> list[Path]:
    return sorted(SRC.rglob("*.py"))


def test_lower_layers_never_import_higher_ones() -> None:
    bad = [
        str(found)
        for found in _violations(_all_modules())
        if (found.importer, found.imported) not in EXCEPTIONS
    ]
    assert not bad, "layering rule broken (ARCHITECTURE.md):\n" + "\n".join(dict.fromkeys(bad))


def test_every_exception_is_still_needed() -> None:
    present = {(found.importer, found.imported) for found in _violations(_all_modules())}
    stale = [f"{a} -> {b}" for a, b in EXCEPTIONS if (a, b) not in present]
    assert not stale, "exceptions no longer needed: remove them from EXCEPTIONS: " + str(stale)


def test_the_layers_the_rules_name_exist() -> None:
    """A renamed package must not switch its rule off silently."""
    for rule in RULES:
        for layer in rule.layers + rule.forbidden:
            relative = Path(*layer.split(".")[1:])
            assert (SRC / relative).is_dir() or (SRC / relative).with_suffix(".py").is_file(), layer


@pytest.mark.parametrize(
    "source",
    [
        "from dbci.stages.build.stage import build\n",
        "def f():\n    from dbci.report.render import render_all\n",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from dbci.cli import output\n",
        "import dbci.ci.github\n",
        "from dbci import api\n",
        "from ..stages import runs\n",
        "import importlib\nimportlib.import_module('dbci.stages.runs')\n",
    ],
)
def test_every_way_of_importing_is_seen(source: str) -> None:
    """Each of these, in a module of `schema/`, breaks the rule."""
    found = _imports_in(source, "dbci.schema.probe", "dbci.schema")
    assert any(_breaks_a_rule(i) for i in found), source


def test_the_scan_sees_imports_inside_functions() -> None:
    """A known lazy import (the API's, inside its functions) is found: the scan is not
    vacuous."""
    found = {i.imported for i in _imports(SRC / "api.py")}
    assert "dbci.stages.runs" in found
