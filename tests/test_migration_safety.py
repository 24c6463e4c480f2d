"""dbci's rules on single-operation PostgreSQL migrations, dangerous and safe, beside squawk.

`tests/corpus/migration_safety/dangerous/` holds one operation per file on an existing
table (or type, schema, database), each with the rule it must raise (`-- expect: DB…`) and
why, from PostgreSQL's documentation of the lock it takes or what it loses;
`safe/` holds the recipes that do the same without that (CONCURRENTLY, NOT VALID then
VALIDATE, UNIQUE USING INDEX, a constant default, a table indexed in the file that creates
it, …), which must raise none of dbci's own rules.

The reference linter is squawk (npm `squawk-cli`, pinned; `make test` installs it into
.venv/squawk): every dangerous file that squawk flags, its timeout and robustness rules
aside, must be flagged by dbci too. Under CI a missing squawk is a failure.
"""

from __future__ import annotations

import json
import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

from dbci.analysis.lint_file import FileToLint, lint_one
from dbci.analysis.rules import RULES_BY_ID
from dbci.analysis.source_map import replace_placeholders
from dbci.analysis.sqlfluff_setup import PreparedLinter, make_linter, read_project_config
from dbci.settings.placeholders import Placeholders

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).parent / "corpus" / "migration_safety"
DANGEROUS = sorted((CORPUS / "dangerous").glob("*.sql"))
SAFE = sorted((CORPUS / "safe").glob("*.sql"))
SQUAWK = ROOT / ".venv" / "squawk" / "node_modules" / ".bin" / "squawk"
# squawk's rules that ask for timeouts and re-runnable statements: not about what a
# migration does to the data or the locks (the issue leaves them aside).
SQUAWK_ASIDE = frozenset(
    {"require-lock-timeout", "require-statement-timeout", "require-timeout-settings",
     "prefer-robust-stmts"}
)
# dbci's own timeout rules (lock_timeout, statement_timeout), left aside the same way when
# the two are compared: a migration counts as flagged for what it does, not for a missing SET.
DBCI_ASIDE = frozenset({"DB501", "DB503"})
EXPECT = re.compile(r"^-- expect: (DB\d{3}(?:, DB\d{3})*)$", re.MULTILINE)


@cache
def _linter(tmp: str) -> PreparedLinter:
    return make_linter(Path(tmp), "postgres", read_project_config(Path(tmp)))


def _own_rules(path: Path, tmp: str) -> set[str]:
    """The ids of dbci's own rules (not SQLFluff's) that the file raises."""
    text = replace_placeholders(path.read_text(encoding="utf-8"), Placeholders(), path.name)
    findings = lint_one(_linter(tmp), FileToLint(path.name, text), "postgres")
    assert not [f for f in findings if f.rule == "PRS"], f"{path.name} does not parse"
    return {f.rule for f in findings if f.rule in RULES_BY_ID and not f.suppression}


def test_corpus_is_there() -> None:
    assert len(DANGEROUS) >= 40 and len(SAFE) >= 15


@pytest.mark.parametrize("path", DANGEROUS, ids=[p.stem for p in DANGEROUS])
def test_dangerous_migration_raises_its_rule(
    path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    match = EXPECT.search(path.read_text(encoding="utf-8"))
    assert match, f"{path.name}: no '-- expect: DB…' line"
    expected = set(match[1].split(", "))
    found = _own_rules(path, str(tmp_path_factory.getbasetemp()))
    assert expected <= found, f"{path.name}: expected {sorted(expected)}, got {sorted(found)}"


@pytest.mark.parametrize("path", SAFE, ids=[p.stem for p in SAFE])
def test_safe_migration_raises_nothing(
    path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    found = _own_rules(path, str(tmp_path_factory.getbasetemp()))
    assert found == set(), f"{path.name}: a safe migration raised {sorted(found)}"


def _squawk(paths: list[Path]) -> dict[str, set[str]]:
    """squawk's rules per file name (its JSON reporter), the ones left aside removed."""
    if not SQUAWK.is_file():
        pytest.skip(f"squawk is not installed ({SQUAWK}): make test installs it with npm")
    done = subprocess.run(
        [str(SQUAWK), "--reporter", "json", *map(str, paths)],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    found: dict[str, set[str]] = {p.name: set() for p in paths}
    for violation in json.loads(done.stdout or "[]"):
        name = Path(violation["file"]).name
        if violation["rule_name"] not in SQUAWK_ASIDE:
            found[name].add(violation["rule_name"])
    return found


def test_dbci_flags_every_migration_squawk_flags(
    tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    squawk = _squawk(DANGEROUS + SAFE)
    tmp = str(tmp_path_factory.getbasetemp())
    missed = [
        f"{path.name} (squawk: {', '.join(sorted(squawk[path.name]))})"
        for path in DANGEROUS
        if squawk[path.name] and not _own_rules(path, tmp) - DBCI_ASIDE
    ]
    assert not missed, "squawk flags, dbci does not: " + "; ".join(missed)
    flagged_by_squawk = sum(1 for p in DANGEROUS if squawk[p.name])
    flagged_by_dbci = sum(1 for p in DANGEROUS if _own_rules(p, tmp) - DBCI_ASIDE)
    safe_by_squawk = sum(1 for p in SAFE if squawk[p.name])
    with capsys.disabled():
        print(
            f"\nmigration safety: {len(DANGEROUS)} dangerous migrations, squawk flags "
            f"{flagged_by_squawk}, dbci {flagged_by_dbci}; {len(SAFE)} safe ones, squawk flags "
            f"{safe_by_squawk}, dbci 0 (timeout and robustness rules aside in both)"
        )
