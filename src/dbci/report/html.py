"""`report.html`: one self-contained page (inline CSS and JS, no external request) rendered
from report.json by `templates/report.html.j2`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dbci.analysis.rules_page import rule_url
from dbci.report.links import RunLinks
from dbci.report.ranking import by_severity
from dbci.report.templates import environment
from dbci.report.text_diff import sql_diff

TEMPLATE = "report.html.j2"


def default_title(report: dict[str, Any]) -> str:
    """`dbci report: PROJECT (ENVIRONMENT)`, without the environment when there is none."""
    title = f"dbci report: {report.get('project') or 'project'}"
    if report.get("environment"):
        title += f" ({report['environment']})"
    return title


def render_html(
    report: dict[str, Any], *, title: str | None = None, run: RunLinks | None = None
) -> str:
    """The HTML report of a parsed report.json, as one string; `run`: the links to the CI
    run and its artifacts (dbci.report.links).

    Every value is escaped (autoescape); a section that is null is shown as "not run".
    """
    from dbci.report.gates import failure_reason, gates

    generated_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    template = environment(autoescape=True).get_template(TEMPLATE)
    rows = gates(report)
    return template.render(
        report=report,
        title=title if title is not None else default_title(report),
        generated_at=generated_at,
        gates=rows,
        failed_because=failure_reason(report, rows),
        run=run,
        # Code analysis: findings grouped by severity, rule ids linked to their docs.
        findings_by_severity=by_severity,
        rule_url=rule_url,
        # Before/after SQL of each object: a unified line diff, computed here, not in Jinja.
        sql_diff=sql_diff,
    )
