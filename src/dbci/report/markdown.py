"""The Markdown outputs: `comment.md` for the pull/merge request and `summary.md` for the
CI step summary, from the templates `comment.md.j2` and `summary.md.j2`.

Every name, message and SQL fragment comes from the database or the files of a pull
request, so none may inject Markdown, HTML or an @mention: text goes through `md` (every
Markdown and HTML special character escaped, `@` broken with a zero-width joiner) and
SQL into fences longer than any run of backticks inside it. A comment that would pass
GitHub's 65,536 characters is rendered again as a summary that points to the HTML report.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from dbci.report.links import RunLinks

COMMENT_LIMIT = 65_536  # GitHub's limit on a comment's body
SUMMARY_LIMIT = 1024 * 1024  # GitHub's limit on a step summary
TOP_FINDINGS = 20  # findings listed in the comment; the rest are counted
# Every character Markdown gives a meaning to, and `:`, whose escape keeps GitHub from making
# a link of `https://…` in the text (its autolinks start at the colon).
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>:])")
# GitHub links @mentions and #123 references in the rendered text, after Markdown's
# escapes are gone: a word joiner after `@`, and between `#` and a digit, breaks them.
_REFERENCE = re.compile(r"(@|\\#(?=\d))")
# The keyword of the comment's hidden marker (dbci.report.marker.comment_marker): SQL
# shown in the comment must not carry a marker that would pass for another comment's.
_MARKER_KEYWORD = "dbci-report"
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
# What `md(keep_spaces=True)` looks at: each run of whitespace, and the line breaks in one.
_WHITESPACE = re.compile(r"\s+")
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
NO_BREAK_SPACE = "\u00a0"


def _kept_spaces(match: re.Match[str]) -> str:
    run = match.group()
    if run == " " or any(c in _LINE_BREAKS for c in run):
        return " "
    return NO_BREAK_SPACE * len(run)


def md(value: Any, *, keep_spaces: bool = False) -> str:
    """Text that renders as itself in Markdown: no formatting, no HTML, no link, no @mention
    or #reference, one line; control characters show as escapes (`\\x1b`).

    Runs of whitespace become one space, unless `keep_spaces`: then a run of spaces or
    tabs on a line stays as wide as it was, in no-break spaces (which Markdown and HTML do
    not collapse), so SQLFluff's `Found '   '` still shows three; line breaks still become
    one space."""
    from dbci.logtext import visible_controls

    raw = str(value if value is not None else "")
    if keep_spaces:
        text = _WHITESPACE.sub(_kept_spaces, raw.strip())
    else:
        text = " ".join(raw.split())
    text = visible_controls(text)
    text = "".join(_HTML.get(c, c) for c in text)
    text = _SPECIAL.sub(r"\\\1", text)
    return _REFERENCE.sub("\\1\u2060", text)


def fence(sql: Any, language: str = "sql") -> str:
    """A fenced code block whose fence no backtick run inside can close."""
    text = str(sql or "").replace("\r\n", "\n")
    text = text.replace(_MARKER_KEYWORD, "dbci\u2060-report")  # not a marker (see above)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{language}\n{text.rstrip()}\n{ticks}"


def github_links(environ: Mapping[str, str] | None = None) -> dict[str, str] | None:
    """Where the pull request's files are, for file:line links: GitHub's blob URL at the
    head commit, or None outside GitHub."""
    import json

    env = os.environ if environ is None else environ
    repo, server = env.get("GITHUB_REPOSITORY"), env.get("GITHUB_SERVER_URL", "https://github.com")
    if not repo:
        return None
    sha = env.get("GITHUB_SHA", "")
    event = env.get("GITHUB_EVENT_PATH")
    if event:
        try:
            with open(event, encoding="utf-8") as handle:
                sha = json.load(handle).get("pull_request", {}).get("head", {}).get("sha") or sha
        except (OSError, ValueError, AttributeError):
            pass
    if not sha:
        return None
    return {"blob": f"{server}/{repo}/blob/{sha}/"}


def render_comment(
    report: dict[str, Any],
    *,
    html_name: str = "report.html",
    prefix: str = "",
    links: dict[str, str] | None = None,
    marker: str = "",
    run: RunLinks | None = None,
) -> str:
    """comment.md: whole when it fits GitHub's limit, else a summary with the counts; `run`:
    the links to the CI run and its artifacts (dbci.report.links)."""
    from dbci.report.templates import environment

    template = environment(autoescape=False).get_template("comment.md.j2")
    context = _context(report, html_name=html_name, prefix=prefix, links=links, marker=marker)
    context.update(_headline(report, run))
    text = template.render(**context, brief=False)
    if len(text) > COMMENT_LIMIT - 200:
        # First without what changes inside each object (`terse`), then the counts only.
        text = template.render(**context, brief=False, terse=True)
    if len(text) > COMMENT_LIMIT - 200:
        text = template.render(**context, brief=True)
    return text


def render_summary(
    report: dict[str, Any], *, html_name: str = "report.html", run: RunLinks | None = None
) -> str:
    """summary.md for `$GITHUB_STEP_SUMMARY`, under its 1 MiB."""
    from dbci.report.templates import environment

    template = environment(autoescape=False).get_template("summary.md.j2")
    context = _context(report, html_name=html_name, prefix="", links=None, marker="")
    context.update(_headline(report, run))
    text = template.render(**context, brief=False)
    if len(text.encode("utf-8")) > SUMMARY_LIMIT - 1024:
        text = template.render(**context, brief=False, terse=True)  # without the details
    if len(text.encode("utf-8")) > SUMMARY_LIMIT - 1024:
        text = template.render(**context, brief=True)
    return text


def _context(
    report: dict[str, Any],
    *,
    html_name: str,
    prefix: str,
    links: dict[str, str] | None,
    marker: str,
) -> dict[str, Any]:
    from dbci.analysis.rules_page import rule_url
    from dbci.report.ranking import rows

    code = report.get("code") or {}
    findings = code.get("findings") or []
    order = {"error": 0, "warning": 1, "info": 2}
    # Errors, then warnings, then info; SQLFluff's style findings one row per rule.
    listed = rows(findings)
    shown = listed[:TOP_FINDINGS]
    changes = report.get("changes") or {}
    groups: dict[str, list[Any]] = {"Add": [], "Change": [], "Drop": []}
    for obj in changes.get("objects") or []:
        groups.setdefault(obj.get("change", "Change"), []).append(obj)
    counts = {s: sum(1 for f in findings if f.get("severity") == s) for s in order}

    def link(finding: dict[str, Any]) -> str:
        where = f"{finding.get('file')}:{finding.get('line')}"
        if not links:
            return md(where)
        path = quote(f"{prefix}{finding.get('file')}")
        return f"[{md(where)}]({links['blob']}{path}#L{int(finding.get('line') or 1)})"

    def rule(finding: dict[str, Any]) -> str:
        """The rule id, linked to its documentation when it is a known rule's (the URL is
        made from a fixed base and an id that matched a strict pattern: nothing to escape)."""
        url = rule_url(finding.get("rule"), finding.get("source"))
        label = md(finding.get("rule"))
        return f"[{label}]({url})" if url else label

    return {
        "report": report,
        "md": md,
        "fence": fence,
        "link": link,
        "rule": rule,
        "marker": marker,
        "html_name": html_name,
        "groups": groups,
        "top_findings": shown,
        "more_findings": len(findings) - sum(row["count"] for row in shown),
        "summarised": any(row["count"] > 1 for row in shown),
        "counts": counts,
    }


def _headline(report: dict[str, Any], run: RunLinks | None) -> dict[str, Any]:
    """What the top of a comment or summary shows: the table of checks (`gates`), the
    failed gates in one line (`failed_because`) and the run's links (`run`), which come
    from the platform's variables and are checked to be plain URLs (dbci.report.links)."""
    from dbci.report.gates import failure_reason, gates

    rows = gates(report)
    return {"gates": rows, "failed_because": failure_reason(report, rows), "run": run}
