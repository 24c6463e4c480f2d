"""Code analysis of a project's scripts: scope, placeholders, cache, parallel lint.

`analyze` is what `dbci check --code` (and the check stage) calls. SQLFluff is imported
only when some file is not in the cache, so a warm re-run costs little more than reading
the files. Linting runs in worker processes, one per core, each with its own SQLFluff
linter made once (forked from this process's, where the platform forks).
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dbci import __version__
from dbci.analysis.cache import FindingsCache
from dbci.analysis.findings import OFF, CodeResult, Finding
from dbci.analysis.lint_file import FileToLint, lint_one
from dbci.analysis.rules import RULES_BY_ID
from dbci.analysis.scope import changed_scripts, every_script
from dbci.analysis.settings import CodeSettings, code_settings
from dbci.analysis.source_map import replace_placeholders
from dbci.analysis.sqlfluff_setup import (
    ProjectConfig,
    make_linter,
    read_project_config,
    sqlfluff_dialect,
    sqlfluff_rule_codes,
    sqlfluff_version,
)
from dbci.cores import available_cores
from dbci.engines.registry import engines
from dbci.errors import InputError
from dbci.log import Log, quiet
from dbci.migrate.discovery import MigrationScript, discover
from dbci.settings.config import Settings
from dbci.settings.placeholders import Placeholders, secret_names

CACHE_DIR = ".dbci_cache/code"
_SERIAL_BELOW = 8  # fewer files than this are linted in this process: no pool to start


@dataclass(frozen=True)
class _Job:
    """What a worker needs to lint: the linter's inputs (made once per worker)."""

    project_dir: Path
    dialect: str
    project: ProjectConfig
    style: bool = True  # SQLFluff's own rules run too


_linter: Any = None  # the worker's SQLFluff linter (inherited when the pool forks)


def analyze(
    settings: Settings,
    *,
    dialect: str | None = None,
    changed_from: str | None = None,
    fail_on: str | None = None,
    log: Log = quiet,
) -> CodeResult:
    """Lint the scripts in scope with SQLFluff and dbci's rules.

    Scope: the target's pending migrations when the settings name a database, else the
    scripts changed since `changed_from` (git), else every script. The dialect is
    `dialect`, else the database URL's, else `[dbci.check.code] dialect`, else the
    project's SQLFluff config's, else ANSI.
    """
    config_name = settings.config_file.name if settings.config_file else "dbci.toml"
    code = code_settings(settings.dbci, config_name=config_name)
    if fail_on is not None:
        code = replace(code, fail_on=fail_on)
    project = read_project_config(settings.project_dir)
    found = discover(settings)
    name = (
        dialect
        or (settings.database.dialect if settings.database else None)
        or code.dialect
        or project.dialect
        or "ansi"
    )
    chosen = sqlfluff_dialect(name)
    if settings.database is not None:
        scripts, placeholders = _pending(settings, found)
        scope = "pending"
    else:
        placeholders = _standalone_placeholders(settings, chosen)
        if changed_from:
            scripts, scope = changed_scripts(found, settings.project_dir, changed_from), "changed"
        else:
            scripts, scope = every_script(found), "all"
    result = CodeResult(dialect=chosen, scope=scope, fail_on=code.fail_on)
    result.files_checked = [s.display_path for s in scripts]
    cache = FindingsCache(
        settings.project_dir / CACHE_DIR if code.cache else None,
        _salt(chosen, project, code),
    )
    findings: list[Finding] = []
    pending: list[tuple[str, FileToLint]] = []
    secrets = _secrets(placeholders, secret_names(settings))
    for script in scripts:
        size = script.size
        if size > code.max_file_bytes:
            findings.append(_too_large(script, size, code.max_file_bytes))
            continue
        item = FileToLint(
            script.display_path,
            replace_placeholders(script.text, placeholders, script.path.name),
            secrets,
        )
        key = cache.key(item.display, item.templated.text)
        cached = cache.get(key)
        if cached is not None:
            findings.extend(cached)
        else:
            pending.append((key, item))
    if pending:
        log(f"Linting {len(pending)} of {len(scripts)} files ({chosen})")
        job = _Job(settings.project_dir, chosen, project, code.style)
        for (key, _), file_findings in zip(pending, _lint_all(job, pending, code), strict=True):
            cache.put(key, file_findings)
            findings.extend(file_findings)
    result.linted = len(pending)
    result.findings = sorted(_with_overrides(findings, code), key=Finding.sort_key)
    return result


def _pending(settings: Settings, found: Any) -> tuple[list[MigrationScript], Placeholders]:
    """The target's pending migrations (read from its history) and its placeholders."""
    from dbci.migrate.session import open_session

    with open_session(settings, found, lock=False, run_callbacks=False) as session:
        scripts = [e.resolved for e in session.status.pending() if e.resolved is not None]
        return scripts, session.placeholders


def _standalone_placeholders(settings: Settings, dialect: str) -> Placeholders:
    """Flyway's built-ins with what the settings know, without a database to ask."""
    from dbci.migrate.session import flyway_placeholders

    schema = settings.default_schema or (settings.schemas[0] if settings.schemas else None)
    return flyway_placeholders(
        settings,
        schema=schema or _default_schema(dialect),
        user=settings.user or "dbci",
        database=(settings.database.database if settings.database else None) or "dbci",
    )


def _default_schema(dialect: str) -> str:
    """The default schema of the engine whose SQL the SQLFluff `dialect` is (`public` when
    none says)."""
    return next(
        (e.default_schema for e in engines() if e.sqlfluff_dialect == dialect and e.default_schema),
        "public",
    )


def _secrets(placeholders: Placeholders, secret: set[str]) -> tuple[tuple[str, str], ...]:
    """User placeholder values that may be secrets (every secret one, and others long
    enough to be), and how to show them instead."""
    names = {n.lower() for n in secret}
    return tuple(
        (value, f"{placeholders.prefix}{name}{placeholders.suffix}")
        for name, value in placeholders.values.items()
        if not name.startswith("flyway:") and (len(value) >= 4 or name in names) and value
    )


def _too_large(script: MigrationScript, size: int, limit: int) -> Finding:
    rule = RULES_BY_ID["DB001"]
    return Finding(
        rule.id,
        rule.severity,
        script.display_path,
        1,
        1,
        f"not analysed: {size:,} bytes is over the limit of {limit:,} "
        "([dbci.check.code] max_file_bytes)",
        "dbci",
    )


def _salt(dialect: str, project: ProjectConfig, code: CodeSettings) -> dict[str, Any]:
    """Everything beside a file's text that decides its findings."""
    rules = hashlib.sha256()
    for path in sorted(Path(__file__).parent.rglob("*.py")):  # dbci's rules and their tools
        rules.update(path.read_bytes())
    return {
        "dbci": __version__,
        "code": rules.hexdigest(),
        "sqlfluff": sqlfluff_version(),
        "dialect": dialect,
        "config": project.files,
        "settings": code.fingerprint(),
    }


def _with_overrides(findings: list[Finding], code: CodeSettings) -> list[Finding]:
    """Findings with `[dbci.check.code.severity]` applied (suppression notes stay info)."""
    if not code.severity:
        return findings
    out: list[Finding] = []
    for finding in findings:
        override = None if finding.suppression else code.severity.get(finding.rule)
        if override == OFF:
            continue
        out.append(replace(finding, severity=override) if override else finding)
    return out


def _lint_all(
    job: _Job, pending: list[tuple[str, FileToLint]], code: CodeSettings
) -> Iterator[list[Finding]]:
    """Each file's findings, in order: in this process for a few files, else in a pool,
    given back as each chunk is done (so that the caller caches them meanwhile)."""
    global _linter
    linter = make_linter(job.project_dir, job.dialect, job.project, style=job.style)
    # SQLFluff's rule codes are listed only when the settings name one.
    unknown = (
        sorted(set(code.sqlfluff_overrides) - sqlfluff_rule_codes())
        if (code.sqlfluff_overrides)
        else []
    )
    if unknown:
        raise InputError(
            f"unknown rule {unknown[0]!r} in [dbci.check.code.severity] "
            "(neither dbci's nor SQLFluff's)"
        )
    items = [item for _, item in pending]
    workers = min(available_cores(), len(items))
    if len(items) < _SERIAL_BELOW or workers < 2:
        yield from (lint_one(linter, item, job.dialect) for item in items)
        return
    # Many chunks per worker, so that the last ones (or one slow file) do not leave a core
    # idle at the end; a chunk of a few files still costs little to send.
    size = max(1, len(items) // (workers * 16))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    _linter = linter  # what forked workers inherit, ready to use
    try:
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_start_worker
        ) as pool:
            for chunk in pool.map(_lint_chunk, [job] * len(chunks), chunks):
                yield from chunk
    finally:
        _linter = None


def _start_worker() -> None:
    """Set a worker's garbage collector for linting: what the worker inherited (SQLFluff's
    dialect grammar, tens of thousands of objects) is frozen out of every collection, and
    collections come less often. SQLFluff's parse trees hold cycles, so the collector
    stays on. About a tenth off each file's time."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def _lint_chunk(job: _Job, chunk: list[FileToLint]) -> list[list[Finding]]:
    global _linter
    if _linter is None:  # a spawned worker: make its own
        _linter = make_linter(job.project_dir, job.dialect, job.project, style=job.style)
    return [lint_one(_linter, item, job.dialect) for item in chunk]
