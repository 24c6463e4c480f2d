"""`report.html`: one self-contained page (inline CSS and JS, no external request) rendered
from report.json by `templates/report.html.j2`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dbci.report.templates import environment

TEMPLATE = "report.html.j2"


def default_title(report: dict[str, Any]) -> str:
    """`dbci report: PROJECT (ENVIRONMENT)`, without the environment when there is none."""
    title = f"dbci report: {report.get('project') or 'project'}"
    if report.get("environment"):
        title += f" ({report['environment']})"
    return title


def render_html(report: dict[str, Any], *, title: str | None = None) -> str:
    """The HTML report of a parsed report.json, as one string.

    Every value is escaped (autoescape); a section that is null is shown as "not run".
    """
    generated_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    template = environment(autoescape=True).get_template(TEMPLATE)
    return template.render(
        report=report,
        title=title if title is not None else default_title(report),
        generated_at=generated_at,
    )
