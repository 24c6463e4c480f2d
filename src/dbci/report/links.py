"""Where a reader of the comment finds the CI run and its report artifact: built from the
variables each platform sets in its jobs (GitHub Actions, GitLab CI, Azure Pipelines).

GitHub: the run is `GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID`, and its
artifacts are listed on the run's page (`#artifacts`; an artifact's own URL is known only
after the upload step). GitLab: `CI_JOB_URL`, whose artifacts browse at
`CI_JOB_URL/artifacts/browse`. Azure: `SYSTEM_COLLECTIONURI` + `SYSTEM_TEAMPROJECT` +
`/_build/results?buildId=BUILD_BUILDID`, its artifacts at `&view=artifacts`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

# What a link may hold: an http(s) URL of plain URL characters. Anything else (a space, a
# bracket, a quote) would let a variable's value change the Markdown around it: no link.
_SAFE_URL = re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&'*+,;=%-]+\Z")
_ID = re.compile(r"[0-9]+\Z")


@dataclass(frozen=True)
class RunLinks:
    """The run's page and where its artifacts are, each None when the platform gives none."""

    platform: str
    run: str | None
    artifacts: str | None


def run_links(environ: Mapping[str, str]) -> RunLinks | None:
    """The links of the CI run these variables describe, or None outside a known platform."""
    if environ.get("GITHUB_ACTIONS") == "true" or environ.get("GITHUB_RUN_ID"):
        server = environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        repo, run_id = environ.get("GITHUB_REPOSITORY", ""), environ.get("GITHUB_RUN_ID", "")
        if not repo or not _ID.match(run_id):
            return None
        run = _safe(f"{server}/{quote(repo)}/actions/runs/{run_id}")
        return RunLinks("GitHub Actions", run, run and f"{run}#artifacts")
    if environ.get("GITLAB_CI") == "true" or environ.get("CI_JOB_URL"):
        job = _safe(environ.get("CI_JOB_URL", "").rstrip("/"))
        return RunLinks("GitLab CI", job, job and f"{job}/artifacts/browse")
    if environ.get("TF_BUILD") == "True" or environ.get("BUILD_BUILDID"):
        collection = environ.get("SYSTEM_COLLECTIONURI", "").rstrip("/")
        project, build_id = environ.get("SYSTEM_TEAMPROJECT", ""), environ.get("BUILD_BUILDID", "")
        if not collection or not project or not _ID.match(build_id):
            return None
        run = _safe(f"{collection}/{quote(project)}/_build/results?buildId={build_id}")
        return RunLinks("Azure Pipelines", run, run and f"{run}&view=artifacts")
    return None


def _safe(url: str) -> str | None:
    return url if _SAFE_URL.match(url) else None
