"""SQLFluff's configuration for a project: the dialect, the project's own config files,
and the settings dbci fixes whatever they say.

dbci replaces Flyway placeholders itself and lints with SQLFluff's `raw` templater, with
`library_path` off: a pull request cannot run Python through Jinja or in-file settings.
The project's `.sqlfluff` (or `[tool.sqlfluff]` in `pyproject.toml`, `[sqlfluff]` in
`setup.cfg` / `tox.ini`) is respected for everything else; with none, SQLFluff's `core`
rules are used. The user's home configuration is ignored, so a run on a laptop and in CI
give the same findings. Files over the size limit are handled by dbci (`DB001`), so
SQLFluff's own skip is turned off and never drops a file silently.
"""

from __future__ import annotations

import configparser
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from dbci.analysis.rules.base import POSTGRES
from dbci.analysis.unread_statements import text_for_rules
from dbci.engines.registry import by_alias
from dbci.errors import InputError

_INI_FILES = (".sqlfluff", "setup.cfg", "tox.ini")


def import_sqlfluff() -> ModuleType:
    """The `sqlfluff` package, imported without pytest: SQLFluff imports pytest whenever it
    is installed, only to register assertion rewriting for its own test helpers, which
    costs a run 70 ms of start-up in any environment that also has pytest. A process
    already running pytest keeps its own."""
    if "sqlfluff" in sys.modules or "pytest" in sys.modules:
        import sqlfluff

        return sqlfluff
    sys.modules["pytest"] = None  # type: ignore[assignment]  # `import pytest` fails
    try:
        import sqlfluff

        return sqlfluff
    finally:
        del sys.modules["pytest"]


def sqlfluff_dialect(name: str) -> str:
    """SQLFluff's name for a database dialect (postgresql → postgres, mssql → tsql); a
    name SQLFluff already uses is kept, anything unknown is checked when SQLFluff loads."""
    lowered = name.lower()
    engine = by_alias(lowered)
    return engine.lint_dialect(lowered) if engine is not None else lowered


@dataclass(frozen=True)
class ProjectConfig:
    """The project's SQLFluff configuration files, read as text (for the cache key) and
    the dialect they name, if any."""

    files: tuple[tuple[str, str], ...]  # (file name, text)
    dialect: str | None

    @property
    def present(self) -> bool:
        return bool(self.files)


def read_project_config(project_dir: Path) -> ProjectConfig:
    """Find the project's SQLFluff configuration; a `.sqlfluff` without a `[sqlfluff]`
    section, or one that does not parse, is one clear line."""
    files: list[tuple[str, str]] = []
    dialect: str | None = None
    for name in _INI_FILES:
        path = project_dir / name
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read_string(text, source=name)
        except configparser.Error as exc:
            raise InputError(
                f"cannot read SQLFluff config: {' '.join(str(exc).split())}", file=name
            ) from None
        sections = [s for s in parser.sections() if s.split(":")[0] == "sqlfluff"]
        if not sections:
            if name == ".sqlfluff":
                raise InputError(
                    "SQLFluff config has no [sqlfluff] section (its settings would be ignored)",
                    file=name,
                )
            continue
        files.append((name, text))
        if parser.has_option("sqlfluff", "dialect"):
            dialect = parser.get("sqlfluff", "dialect").strip() or dialect
    pyproject = project_dir / "pyproject.toml"
    if pyproject.is_file():
        text = pyproject.read_text(encoding="utf-8", errors="replace")
        if "[tool.sqlfluff" in text:
            try:
                tool = tomllib.loads(text).get("tool", {}).get("sqlfluff", {})
            except tomllib.TOMLDecodeError as exc:
                raise InputError(f"invalid TOML: {exc}", file="pyproject.toml") from None
            files.append(("pyproject.toml", text))
            core = tool.get("core", {}) if isinstance(tool, dict) else {}
            if isinstance(core, dict) and isinstance(core.get("dialect"), str):
                dialect = core["dialect"]
    return ProjectConfig(tuple(files), dialect)


class PreparedLinter:
    """An SQLFluff linter and its rule pack, made once and used for every file. Without
    `style` SQLFluff only parses (its rules do not run): dbci's rules read the tree."""

    def __init__(self, linter: Any, *, style: bool = True, dialect: str = "ansi") -> None:
        self.linter = linter
        self.style = style
        self.dialect = dialect
        # SQLFluff's rules, loaded only when they run.
        self.rule_pack = linter.get_rulepack(config=linter.config) if style else None

    def lint(self, text: str, fname: str) -> Any:
        """SQLFluff's `LintedFile` for one script (`Linter.lint_string`, but the config is
        copied only for a file that holds in-file settings: copying it for every file, as
        `lint_string` does, is a third of the time of a small file)."""
        linter, config, rule_pack = self.linter, self.linter.config, self.rule_pack
        if "sqlfluff" in text:  # `-- sqlfluff:…` settings stay with their file
            config = config.copy()
            config.process_raw_file_for_config(text, fname)
            rule_pack = linter.get_rulepack(config=config) if self.style else None

        def render(sql: str) -> Any:
            return linter.render_string(sql, fname, config, "utf-8")

        if self.style:
            return linter.lint_rendered(render(text), rule_pack, fix=False)
        if self.dialect not in POSTGRES:
            return ParsedOnly(linter.parse_rendered(render(text)))
        # What no dbci rule reads need not be parsed, and libpg_query reads CREATE TABLE's
        # columns for a fraction of SQLFluff's cost.
        reduced = text_for_rules(text)
        parsed = ParsedOnly(linter.parse_rendered(render(reduced.text)), reduced.columns)
        if reduced.columns and parsed.unparsable:
            # What SQLFluff cannot parse is read by words, which need the columns' text.
            reduced = text_for_rules(text, stand_ins=False)
            parsed = ParsedOnly(linter.parse_rendered(render(reduced.text)))
        return parsed


class ParsedOnly:
    """A parse without SQLFluff's rules, read as a `LintedFile` is: its tree, and its
    templating and parse errors (TMP, PRS) as the violations; with the columns of the
    CREATE TABLEs libpg_query read for it (`unread_statements.ForRules`)."""

    def __init__(
        self, parsed: Any, columns_read: dict[tuple[int, int], list[Any]] | None = None
    ) -> None:
        self.tree = parsed.tree
        self._violations = [*parsed.templating_violations, *parsed.violations]
        self.columns_read = columns_read or {}

    @property
    def unparsable(self) -> bool:
        """Whether SQLFluff left part of the text unparsed."""
        return any(v.rule_code() == "PRS" for v in self._violations)

    def get_violations(self) -> list[Any]:
        return self._violations


def make_linter(
    project_dir: Path, dialect: str, project: ProjectConfig, *, style: bool = True
) -> PreparedLinter:
    """An SQLFluff linter for the project, or one clear line if its config is wrong;
    `style`: whether SQLFluff's own rules run (`[dbci.check.code] style`)."""
    import_sqlfluff()
    from sqlfluff.core import FluffConfig, Linter
    from sqlfluff.core.config.loader import load_config_file, load_config_string
    from sqlfluff.core.errors import SQLFluffUserError

    overrides: dict[str, Any] = {
        "dialect": dialect,
        "templater": "raw",
        "library_path": "none",
        "large_file_skip_byte_limit": 0,
    }
    if not project.present:
        overrides["rules"] = "core"
    try:
        # The project directory's own files only (`ignore_local_config` would drop them
        # with the home directory's), in SQLFluff's order of precedence, from the text
        # read here: SQLFluff caches a config file by its path for the life of the process.
        configs: dict[str, Any] = {}
        texts = dict(project.files)
        for name in ("setup.cfg", "tox.ini", ".sqlfluff"):
            if name in texts:
                configs = load_config_string(texts[name], configs, str(project_dir))
        if "pyproject.toml" in texts:
            configs = load_config_file(str(project_dir), "pyproject.toml", configs)
        config = FluffConfig(configs=configs, overrides=overrides)
        return PreparedLinter(Linter(config=config), style=style, dialect=dialect)
    except KeyError:  # SQLFluff's way of saying it has no such dialect
        raise InputError(
            f"unknown SQL dialect {dialect!r}: use postgres, mysql, mariadb, sqlite, tsql, "
            "ansi or another dialect SQLFluff knows"
        ) from None
    except (SQLFluffUserError, ValueError) as exc:
        where = project.files[0][0] if project.files else "SQLFluff"
        raise InputError(f"{where}: {' '.join(str(exc).split())}") from None


def sqlfluff_rule_codes() -> set[str]:
    """Every rule code SQLFluff knows, plus its parse and templating error codes."""
    return {rule.code for rule in import_sqlfluff().list_rules()} | {"PRS", "TMP", "LXR"}


def sqlfluff_version() -> str:
    from importlib.metadata import version

    return version("sqlfluff")
