"""One pull/merge-request comment per project, environment and stage, kept up to date.

`upsert_comment` posts the report as a comment on the pull request (GitHub Actions), merge
request (GitLab CI) or pull request (Azure Pipelines on Azure Repos) the pipeline runs for,
and on every later run edits that same comment instead of adding another. The comment is
found again by a hidden marker (`comment_marker`, an HTML comment invisible in rendered
Markdown) in its body, never by its author: the author of a CI token's comments is a bot
shared by every workflow, and one pull request can carry one comment per environment.

Several jobs of one pipeline may report at the same moment (a matrix, a re-run while the
first run is still going): each finds no comment and creates one. So a run that created its
comment lists the marked comments again and settles on the oldest (the lowest id, the same
choice in every racing run): it edits that one with its body when it is not its own, and
deletes the others (one that another run deleted already is gone, as wanted). Azure DevOps
has no way to delete a thread: deleting its comment soft-deletes it, and a thread all of
whose comments are deleted is deleted itself; a duplicate thread that someone replied to
is closed as well, so that only one active dbci thread shows.

Only the standard library talks HTTP (`urllib.request`): JSON bodies, no redirects followed
(they would carry the token to wherever they point, and a redirected POST becomes a GET),
pagination links followed only on the API's own host. Each request has a total deadline,
`DBCI_API_TIMEOUT` seconds (30 by default) from connecting to the last byte of the answer:
an API that trickles its answer a byte at a time is cut off there, not kept for as long as
each byte comes within a socket timeout. Commenting is a courtesy, never a reason to fail a
pipeline: every API, network or permission problem (a fork's read-only token answers 403,
a deadline passes) comes back as action "skipped" with a one-line warning, and no token
ever appears in a warning.

This module holds what every platform shares: the marker, the body's truncation, the upsert
and its settling, the platform detection (`PLATFORMS`) and the warnings. Each platform's
API calls are a `Client` of its own module (`github.py`, `gitlab.py`, `azure.py`), and the
HTTP they share is `client.py`.
"""

from __future__ import annotations

import http.client
import math
import urllib.error
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeAlias

from dbci.ci.azure import Azure
from dbci.ci.client import (
    DEFAULT_TIMEOUT_SECONDS,
    Client,
    Created,
    HttpFailure,
    NotInRequest,
    Skip,
    Timeout,
    display_url,
)
from dbci.ci.github import GitHub
from dbci.ci.gitlab import GitLab
from dbci.report.marker import comment_marker as comment_marker

TIMEOUT_VARIABLE = "DBCI_API_TIMEOUT"
"""The environment variable that sets each API request's total deadline, in seconds."""

NOT_IN_REQUEST = "not running in a pull/merge request"
"""The warning of a run with no pull/merge request to comment on (platform "none")."""

TRUNCATION_LINE = "… (truncated: see the report artifact)"
"""The closing line of a body cut to the platform's limit."""

PLATFORMS: tuple[type[Client], ...] = (GitHub, GitLab, Azure)
"""The platforms, in the order `upsert_comment` detects them."""

BODY_LIMITS: dict[str, int] = {p.platform: p.body_limit for p in PLATFORMS}
"""The longest comment body each platform accepts, in characters."""

_MAX_DETAIL = 200

_Factory: TypeAlias = Callable[[Mapping[str, str]], Client]


@dataclass(frozen=True)
class CommentResult:
    """What `upsert_comment` did."""

    platform: str  # "github" | "gitlab" | "azure" | "none"
    action: str  # "created" | "updated" | "skipped"
    url: str | None  # the comment's web or API URL when known
    warning: str | None  # why it was skipped (one line, never containing a token)


def truncate_body(body: str, limit: int) -> str:
    """`body` cut to at most `limit` characters, closed by `TRUNCATION_LINE` when cut.

    The cut falls at the end of a line when one is near, and a Markdown code fence left
    open by the cut is closed before the closing line.
    """
    if len(body) <= limit:
        return body
    tail = "\n\n" + TRUNCATION_LINE
    fence_close = "\n```"
    keep = max(0, limit - len(tail) - len(fence_close))
    kept = body[:keep]
    newline = kept.rfind("\n")
    if newline >= keep - 2000 and newline > 0:
        kept = kept[:newline]
    kept = kept.rstrip()
    fences = sum(1 for line in kept.splitlines() if line.lstrip().startswith("```"))
    if fences % 2:
        kept += fence_close
    return (kept + tail)[:limit]


def upsert_comment(body: str, marker: str, environ: Mapping[str, str]) -> CommentResult:
    """Create, or edit, the pull/merge request's comment whose body contains `marker`.

    The platform is detected from `environ`, in this order: GitHub Actions
    (`GITHUB_ACTIONS=true`), GitLab CI (`GITLAB_CI=true`), Azure Pipelines (`TF_BUILD=True`).
    `marker` is put at the top of `body` if the body lacks it, and a body over the platform's
    limit (`BODY_LIMITS`) is truncated. The first comment (oldest first) whose body contains
    the marker is edited; with none, a comment is created, and then the marked comments are
    listed again: when runs racing this one created theirs too, the oldest is kept (edited
    with this body, action "updated", when it is not this run's) and the others deleted.

    Each request must be answered within `DBCI_API_TIMEOUT` seconds (default
    `DEFAULT_TIMEOUT_SECONDS`), all of it. Never raises for API, network or permission
    problems, nor for a deadline passed: those return action "skipped" with a one-line
    warning that never contains the token. Outside a pull/merge request the result is
    platform "none", action "skipped", warning `NOT_IN_REQUEST`.
    """
    if marker not in body:
        body = f"{marker}\n\n{body}"
    for kind in PLATFORMS:
        if _flag(environ, kind.detect):
            return _run(kind.platform, kind.from_environ, body, marker, environ)
    return _not_in_request()


def api_timeout(environ: Mapping[str, str]) -> float:
    """Each request's total deadline: `DBCI_API_TIMEOUT` seconds, else
    `DEFAULT_TIMEOUT_SECONDS`; `Skip` for a value that is not a positive number."""
    raw = environ.get(TIMEOUT_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise Skip(f"{TIMEOUT_VARIABLE} must be a positive number of seconds, not {raw!r}")
    return seconds


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() == "true"


def _not_in_request() -> CommentResult:
    return CommentResult(platform="none", action="skipped", url=None, warning=NOT_IN_REQUEST)


def _run(
    platform: str,
    factory: _Factory,
    body: str,
    marker: str,
    environ: Mapping[str, str],
) -> CommentResult:
    client: Client | None = None
    try:
        timeout = api_timeout(environ)
        client = factory(environ)
        client.timeout = timeout
        body = truncate_body(body, BODY_LIMITS[platform])
        marked = client.find_all(marker)
        if marked:
            return CommentResult(platform, "updated", client.update(marked[0], body), None)
        created = client.create(body)
        return _settle(platform, client, marker, body, created)
    except NotInRequest:
        return _not_in_request()
    except Skip as err:
        warning = str(err)
    except HttpFailure as err:
        warning = _http_warning(err, client)
    except Timeout as err:
        warning = f"{err} ({TIMEOUT_VARIABLE})"
    except urllib.error.URLError as err:
        warning = f"cannot reach {_where(client)}: {_reason(err.reason)}"
    except (OSError, http.client.HTTPException) as err:
        warning = f"request to {_where(client)} failed: {_reason(err)}"
    except ValueError as err:  # a malformed URL from the environment
        warning = f"cannot call the {platform} API: {_reason(err)}"
    secrets = _all_tokens(environ) + (client.secrets if client is not None else ())
    return CommentResult(platform, "skipped", None, _one_line(warning, secrets))


_SETTLE_ERRORS = (
    Skip,
    HttpFailure,
    Timeout,
    urllib.error.URLError,
    OSError,
    http.client.HTTPException,
    ValueError,
)


def _settle(
    platform: str, client: Client, marker: str, body: str, created: Created
) -> CommentResult:
    """After creating a comment: keep one marked comment where racing runs made several.

    Every run that created one lists the marked comments again and keeps the oldest (the
    lowest id): the same one whichever run looks, and never deleted by any, since only a
    comment with an older one beside it is. A kept comment that is another run's gets this
    run's body, then the others are deleted (a 404 means another run deleted it already).
    The comment is posted either way: a failure while settling leaves a duplicate, not a
    warning.
    """
    result = CommentResult(platform, "created", created.url, None)
    try:
        marked = client.find_all(marker)
        if created.found not in marked:  # a listing that lags behind the create
            marked.append(created.found)
        keep = min(marked, key=lambda found: found.rank)
        if keep != created.found:
            result = CommentResult(platform, "updated", client.update(keep, body), None)
        for found in marked:
            if found != keep:
                client.delete(found)
    except _SETTLE_ERRORS:
        pass
    return result


def _where(client: Client | None) -> str:
    return client.host if client is not None else "the API"


def _reason(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "timed out"
    return str(reason) or type(reason).__name__


def _http_warning(err: HttpFailure, client: Client | None) -> str:
    status = f"HTTP {err.status}" + (f" {err.reason}" if err.reason else "")
    text = f"{err.method} {display_url(err.url)} answered {status}"
    detail = _clip(err.detail)
    if detail and detail not in (err.reason, f"{err.status} {err.reason}"):
        text += f": {detail}"
    hint = client.hint(err.status) if client is not None else None
    if hint:
        text += f" ({hint})"
    return text


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"


def _one_line(text: str, secrets: tuple[str, ...]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    text = " ".join(text.split())
    if len(text) > 400:
        text = text[:399] + "…"
    return text


def _all_tokens(environ: Mapping[str, str]) -> tuple[str, ...]:
    names = tuple(name for kind in PLATFORMS for name in kind.token_variables)
    return tuple(environ[name] for name in names if environ.get(name))
