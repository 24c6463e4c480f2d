"""`dbci report`: every file of the report directory rendered from report.json alone."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from dbci.errors import InputError
from dbci.report.load import load_report

# Posts (body, marker, environment) as the pull/merge request's comment, returns the outcome.
PostComment = Callable[[str, str, Mapping[str, str]], Any]

OUTPUTS = ("comment.md", "summary.md", "report.html", "junit.xml", "results.sarif")


@dataclass
class Rendered:
    """What `render_all` wrote, and the comment it posted (if asked)."""

    directory: Path
    files: list[str] = field(default_factory=list)
    comment: Any = None  # dbci.ci.comments.CommentResult
    status: str = "passed"


def render_all(
    directory: Path,
    project_dir: Path,
    *,
    post_comment: PostComment | None = None,
    environ: Mapping[str, str] | None = None,
) -> Rendered:
    """Render every output of `directory/report.json` into `directory`; with
    `post_comment` (dbci.ci.comments.upsert_comment: the CI platforms sit above the report),
    post comment.md with its marker too."""
    from dbci.report.sarif import repository_prefix

    env = os.environ if environ is None else environ
    report = load_report(directory / "report.json")
    prefix = repository_prefix(project_dir)
    marker = _marker(report)
    try:
        texts = _texts(report, prefix, marker, env)
    except jinja2.UndefinedError as exc:  # a section without a key its template needs
        raise InputError(f"report.json lacks a value the report needs: {exc.message}") from None
    done = Rendered(directory, status=str(report.get("status")))
    try:
        for name, text in texts.items():
            (directory / name).write_text(text, encoding="utf-8")
            done.files.append(name)
    except OSError as exc:
        raise InputError(f"cannot write the report files: {exc.strerror}", file=directory) from None
    if post_comment is not None:
        done.comment = post_comment(texts["comment.md"], marker, env)
    return done


def _texts(
    report: dict[str, Any], prefix: str, marker: str, env: Mapping[str, str]
) -> dict[str, str]:
    from dbci.report.html import render_html
    from dbci.report.junit import junit_xml
    from dbci.report.links import run_links
    from dbci.report.markdown import github_links, render_comment, render_summary
    from dbci.report.sarif import sarif_log

    run = run_links(env)
    return {
        "comment.md": render_comment(
            report, prefix=prefix, links=github_links(env), marker=marker, run=run
        ),
        "summary.md": render_summary(report, run=run),
        "report.html": render_html(report, run=run),
        "junit.xml": junit_xml(report),
        "results.sarif": json.dumps(sarif_log(report, project_prefix=prefix), indent=2) + "\n",
    }


def _marker(report: dict[str, Any]) -> str:
    """The hidden marker of this report's comment: one per project, environment and stage
    (deploy, else check, else build), so that a second run edits the first comment."""
    from dbci.report.marker import comment_marker

    if report.get("deploy"):
        stage = "deploy"
    elif any(report.get(name) for name in ("changes", "drift", "code", "dryrun")):
        stage = "check"
    else:
        stage = "build"
    return comment_marker(str(report.get("project") or ""), report.get("environment"), stage)
