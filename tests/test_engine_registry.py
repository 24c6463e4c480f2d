"""The engine registry: every engine package registers itself by name, and nothing
outside the engine packages branches on an engine's name."""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import pytest

import dbci
from dbci.engines import registry
from dbci.engines.spec import Engine
from dbci.errors import InputError
from dbci.settings.urls import parse_database_url

SOURCE = Path(dbci.__file__).parent
NAMES = {"postgresql", "mysql", "sqlite", "mssql"}
# Modules outside the engine packages that may name an engine: the registry (which names
# none today) and the statement splitter's per-dialect rule table, keyed by dialect name
# (sqlsplit/dialects.py; sqlsplit/scanner.py held it before).
EXEMPT = {"engines/registry.py", "sqlsplit/dialects.py", "sqlsplit/scanner.py"}


def test_every_engine_package_registers_itself() -> None:
    packages = {m.name for m in pkgutil.iter_modules([str(SOURCE / "engines")]) if m.ispkg}
    assert packages == {"postgresql", "mysql", "sqlite", "sqlserver"}
    found = registry.engines()
    assert {e.name for e in found} == NAMES
    for engine in found:
        assert isinstance(engine, Engine)
        assert type(engine).__module__ == f"dbci.engines.{_package(engine)}"


def _package(engine: Engine) -> str:
    return type(engine).__module__.rsplit(".", 1)[1]


@pytest.mark.parametrize("name", sorted(NAMES))
def test_the_registry_finds_each_engine_by_name(name: str) -> None:
    engine = registry.engine(name)
    assert engine.name == name
    assert registry.find(name) is engine
    assert registry.by_alias(name.upper()) is engine
    assert engine.database_class().dialect == name
    assert name in engine.url_backends


def test_aliases() -> None:
    assert registry.by_alias("postgres") is registry.engine("postgresql")
    assert registry.by_alias("mariadb") is registry.engine("mysql")
    assert registry.by_alias("sqlserver") is registry.engine("mssql")
    assert registry.by_jdbc_kind("sqlserver") is registry.engine("mssql")
    assert registry.model_engine() is registry.engine("postgresql")
    assert registry.default_engine() is registry.engine("postgresql")


def test_an_unknown_name_is_refused() -> None:
    assert registry.find("oracle") is None
    assert registry.by_alias("oracle") is None
    with pytest.raises(registry.UnknownEngine):
        registry.engine("oracle")
    with pytest.raises(InputError) as raised:
        parse_database_url("oracle://h/db", base_dir=Path("."), where="--url")
    assert str(raised.value) == (
        "--url: unsupported database 'oracle' in URL; dbci supports "
        "postgresql, sqlite, mysql/mariadb and sqlserver"
    )


def test_an_unknown_dialect_is_not_opened() -> None:
    from dbci.engines import open_database
    from dbci.settings.config import Settings

    class Oracle:
        dialect = "oracle"

        def masked(self) -> str:
            return "oracle://h/db"

    settings = Settings.__new__(Settings)
    object.__setattr__(settings, "environment", None)
    object.__setattr__(settings, "require_database", lambda: Oracle())
    object.__setattr__(settings, "where", lambda: "--url")
    with pytest.raises(InputError, match="--url: dbci does not drive oracle databases yet"):
        open_database(settings)


def _engine_name_comparisons(tree: ast.AST) -> list[int]:
    """Lines that compare with an engine name literal, test membership in a collection of
    them, or key a mapping by them."""

    def literal(node: ast.AST) -> bool:
        return isinstance(node, ast.Constant) and node.value in NAMES

    def holds(node: ast.AST) -> bool:
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return any(literal(e) for e in node.elts)
        return False

    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(literal(o) or holds(o) for o in operands):
                lines.append(node.lineno)
        elif isinstance(node, ast.Dict):
            if any(k is not None and literal(k) for k in node.keys):
                lines.append(node.lineno)
        elif isinstance(node, ast.MatchValue) and literal(node.value):
            lines.append(node.lineno)
    return lines


def test_nothing_outside_the_engines_branches_on_an_engine_name() -> None:
    offenders = []
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE).as_posix()
        if relative.startswith("engines/") and relative.count("/") > 1:
            continue  # inside an engine package
        if relative in EXEMPT:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        offenders += [f"{relative}:{line}" for line in _engine_name_comparisons(tree)]
    assert offenders == []


def test_the_check_sees_a_branch() -> None:
    tree = ast.parse('if db.dialect == "sqlite": pass\nx = {"mysql": 1}\ny = d in ("mssql",)')
    assert _engine_name_comparisons(tree) == [1, 2, 3]


def test_two_engines_may_not_claim_one_name() -> None:
    # The lookups take the first match: a second engine answering to `postgres` would be
    # picked or ignored silently, so registering it fails.
    class Impostor(Engine):
        name = "impostor"
        display_name = "Impostor"
        url_backends = {"impostor": "impostor", "postgres": "impostor"}

    with pytest.raises(ValueError, match=r"postgresql and impostor both claim \['postgres'\]"):
        registry.register(Impostor())
    assert registry.find("impostor") is None
    assert registry.by_alias("postgres") is registry.engine("postgresql")
