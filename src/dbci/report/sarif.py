"""report.json's code-analysis findings as SARIF 2.1.0, for GitHub code
scanning, GitLab and Azure DevOps' scans tab and any other SARIF viewer.

One run, tool `dbci`, with a rule per rule id the findings use (dbci's own DB### rules
with their name, the first sentence of their documentation and the documentation itself,
from their module docstring; SQLFluff's with its rule name and description), each with a
`helpUri` to its documentation (the section of the rules page, docs/rules.md, for dbci's;
SQLFluff's rules reference for SQLFluff's), and a result per finding. Findings name their
file relative to the project directory; SARIF wants it relative to the repository root, so
the renderer is given the project's place in the repository (`repository_prefix`) and
writes `prefix + file` against `%SRCROOT%`.
"""

from __future__ import annotations

import functools
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from dbci import __version__

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
SRCROOT = "%SRCROOT%"

_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
# SQLFluff's codes for a file it could not read as SQL, which are not rules of its own.
_SQLFLUFF_ERRORS = {
    "PRS": ("parse-error", "SQLFluff could not parse the SQL."),
    "LXR": ("lex-error", "SQLFluff could not lex the SQL."),
    "TMP": ("template-error", "SQLFluff could not template the file."),
}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
# What a URI path keeps as it is (RFC 3986 unreserved and sub-delims, '@' and '/'); ':'
# is escaped, as a first segment holding one would read as a scheme.
_URI_SAFE = "/-._~!$&'()*+,;=@"


def sarif_log(report: dict[str, Any], *, project_prefix: str = "") -> dict[str, Any]:
    """The SARIF 2.1.0 log of a parsed report.json's `code` findings (an empty run when
    code analysis did not run). `project_prefix` is the project directory relative to the
    repository root, '/'-separated, with a trailing '/' (see `repository_prefix`)."""
    code = report.get("code") or {}
    findings: list[Mapping[str, Any]] = list(code.get("findings") or [])
    sources: dict[str, str] = {}
    for finding in findings:
        sources.setdefault(_rule_id(finding), finding.get("source") or "")
    ids = sorted(sources)
    index = {rule_id: i for i, rule_id in enumerate(ids)}
    prefix = _prefix(project_prefix)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "dbci",
                "version": __version__,
                "rules": [_rule(rule_id, sources[rule_id]) for rule_id in ids],
            }
        },
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": "The root of the repository."}},
        },
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index, prefix) for f in findings],
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def repository_prefix(project_dir: Path) -> str:
    """The project directory relative to the root of the git repository that holds it,
    '/'-separated with a trailing '/' (`db/`), or '' at the root, outside a repository or
    without git."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=project_dir,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    top = done.stdout.strip()
    if done.returncode != 0 or not top:
        return ""
    try:
        relative = Path(project_dir).resolve().relative_to(Path(top).resolve())
    except (OSError, ValueError):
        return ""
    text = relative.as_posix()
    return "" if text in ("", ".") else text + "/"


def _prefix(project_prefix: str) -> str:
    prefix = project_prefix.replace("\\", "/").strip("/")
    return prefix + "/" if prefix and prefix != "." else ""


def _rule_id(finding: Mapping[str, Any]) -> str:
    return str(finding.get("rule") or "unknown")


def _result(finding: Mapping[str, Any], index: Mapping[str, int], prefix: str) -> dict[str, Any]:
    rule_id = _rule_id(finding)
    path = str(finding.get("file") or "").replace("\\", "/").removeprefix("./")
    return {
        "ruleId": rule_id,
        "ruleIndex": index[rule_id],
        "level": _LEVELS.get(str(finding.get("severity")), "warning"),
        "message": {"text": str(finding.get("message") or rule_id)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": quote(prefix + path, safe=_URI_SAFE),
                        "uriBaseId": SRCROOT,
                    },
                    "region": {
                        "startLine": _at_least_one(finding.get("line")),
                        "startColumn": _at_least_one(finding.get("column")),
                    },
                }
            }
        ],
    }


def _at_least_one(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


def _rule(rule_id: str, source: str) -> dict[str, Any]:
    """A `reportingDescriptor` for one rule id."""
    from dbci.analysis.rules_page import rule_url

    own = _dbci_rule(rule_id)
    if own is not None:
        return own
    known = {**_sqlfluff_rules(), **_SQLFLUFF_ERRORS} if source == "sqlfluff" else {}
    name, description = known.get(rule_id, (rule_id, ""))
    if not description:
        description = f"{'SQLFluff' if source == 'sqlfluff' else source or 'dbci'} {rule_id}"
    descriptor: dict[str, Any] = {
        "id": rule_id,
        "name": name,
        "shortDescription": {"text": description},
    }
    help_uri = rule_url(rule_id, source)
    if help_uri is not None:
        descriptor["helpUri"] = help_uri
    return descriptor


@functools.cache
def _dbci_rule(rule_id: str) -> dict[str, Any] | None:
    """dbci's own rule `rule_id` (DB###), documented from its module docstring."""
    from dbci.analysis.rules import RULES_BY_ID
    from dbci.analysis.rules_page import rule_doc, rule_summary, rule_url

    rule = RULES_BY_ID.get(rule_id)
    if rule is None:
        return None
    doc = rule_doc(rule)
    summary = rule_summary(rule)
    sentence = _SENTENCE_END.split(summary, 1)[0] if summary else f"{rule.id} {rule.name}"
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": sentence},
        "fullDescription": {"text": summary or sentence},
        "defaultConfiguration": {"level": _LEVELS.get(rule.severity, "warning")},
        "helpUri": rule_url(rule.id, "dbci"),
    }
    if doc:
        descriptor["help"] = {"text": doc, "markdown": doc}
    return descriptor


@functools.cache
def _sqlfluff_rules() -> dict[str, tuple[str, str]]:
    """SQLFluff's rules: code -> (name, description); empty when SQLFluff cannot say."""
    try:
        from dbci.analysis.sqlfluff_setup import import_sqlfluff

        return {r.code: (r.name, r.description) for r in import_sqlfluff().list_rules()}
    except Exception:  # descriptions are a nicety, never a reason to fail
        return {}
