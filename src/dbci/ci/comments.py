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
"""

from __future__ import annotations

import http.client
import json
import math
import re
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any, TypeAlias
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

TIMEOUT_VARIABLE = "DBCI_API_TIMEOUT"
"""The environment variable that sets each API request's total deadline, in seconds."""

DEFAULT_TIMEOUT_SECONDS = 30.0
"""Each API request's total deadline without `DBCI_API_TIMEOUT`, in seconds."""

NOT_IN_REQUEST = "not running in a pull/merge request"
"""The warning of a run with no pull/merge request to comment on (platform "none")."""

TRUNCATION_LINE = "… (truncated: see the report artifact)"
"""The closing line of a body cut to the platform's limit."""

BODY_LIMITS: dict[str, int] = {"github": 65_536, "gitlab": 1_000_000, "azure": 150_000}
"""The longest comment body each platform accepts, in characters."""

_USER_AGENT = "dbci"
_PER_PAGE = 100
_MAX_PAGES = 200  # 20,000 comments: past that something is looping
_MAX_ERROR_BODY = 64 * 1024
_MAX_DETAIL = 200
_GITHUB_API = "https://api.github.com"
_AZURE_API_VERSION = "7.1"


@dataclass(frozen=True)
class CommentResult:
    """What `upsert_comment` did."""

    platform: str  # "github" | "gitlab" | "azure" | "none"
    action: str  # "created" | "updated" | "skipped"
    url: str | None  # the comment's web or API URL when known
    warning: str | None  # why it was skipped (one line, never containing a token)


def comment_marker(project: str, environment: str | None, stage: str) -> str:
    """The hidden marker of one project's, environment's and stage's comment.

    An HTML comment, invisible in rendered Markdown:
    `<!-- dbci-report project=... environment=... stage=... -->`. Each value loses its
    newlines and any `-->`, and `%`, `=`, `<`, `>`, whitespace and control characters are
    percent-encoded, so no value can close the comment or pass for another field. A missing
    environment is written `-`.
    """
    env = "-" if environment is None else _marker_value(environment)
    return (
        f"<!-- dbci-report project={_marker_value(project)} environment={env} "
        f"stage={_marker_value(stage)} -->"
    )


def _marker_value(value: str) -> str:
    value = value.replace("\r", "").replace("\n", "")
    while "-->" in value:
        value = value.replace("-->", "")
    out: list[str] = []
    for char in value:
        if char in "%=<>" or char.isspace() or not char.isprintable():
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8"))
        else:
            out.append(char)
    return "".join(out) or "-"


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
    if _flag(environ, "GITHUB_ACTIONS"):
        return _run("github", _GitHub.from_environ, body, marker, environ)
    if _flag(environ, "GITLAB_CI"):
        return _run("gitlab", _GitLab.from_environ, body, marker, environ)
    if _flag(environ, "TF_BUILD"):
        return _run("azure", _Azure.from_environ, body, marker, environ)
    return _not_in_request()


# --- plumbing -------------------------------------------------------------------------------


class _Skip(Exception):
    """A reason to skip the comment; its message is the one-line warning (redacted later)."""


class _NotInRequest(Exception):
    """The platform was detected but the run is not for a pull/merge request."""


@dataclass(frozen=True)
class _Response:
    status: int
    headers: Message
    data: object


_NextPage: TypeAlias = Callable[[_Response, str, list[object]], "str | None"]
"""Given a page's response, its URL and its items: the next page's URL, or None."""


class _HttpFailure(Exception):
    """A non-2xx answer, its error body already read."""

    def __init__(self, method: str, url: str, status: int, reason: str, detail: str) -> None:
        super().__init__(f"{method} {_display_url(url)}: HTTP {status}")
        self.method = method
        self.url = url
        self.status = status
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class _Found:
    """A marked comment: what the API calls it, and how old it is."""

    comment_id: str
    thread_id: str | None = None  # Azure: the thread holding the comment
    # The platform's id of the comment (note, thread) as a number: ids grow as comments are
    # created, so the lowest is the oldest, the same for every run that lists them.
    rank: int = field(default=sys.maxsize, compare=False)
    replies: int = field(default=0, compare=False)  # Azure: other comments in the thread


@dataclass(frozen=True)
class _Created:
    """The comment a run created: found again by `found`, shown at `url`."""

    found: _Found
    url: str | None


class _Timeout(Exception):
    """A request not answered, all of it, within its deadline."""

    def __init__(self, method: str, url: str, seconds: float) -> None:
        super().__init__(f"{method} {_display_url(url)} timed out after {seconds:g} s")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Turns every redirect into an HTTPError: a redirect would carry the token along."""

    def redirect_request(  # type: ignore[override]
        self,
        req: urllib.request.Request,
        fp: object,
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> None:
        return None


class _Deadline:
    """One request's deadline: the sockets the request opened are shut down when it passes,
    which ends the read or write in progress on them. A socket timeout alone bounds each
    read, and an API that sends a byte before every timeout would never be cut off."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []

    def remaining(self) -> float:
        """Seconds left (a socket timeout for the connection's every step)."""
        return max(0.001, self.at - time.monotonic())

    def watch(self, sock: socket.socket) -> None:
        """Shut `sock` down when the deadline passes (at once if it has)."""
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)

    def expire(self) -> None:
        """The deadline passed: end every exchange on the request's sockets."""
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed, or never connected
        pass


def _watched(base: type[http.client.HTTPConnection], deadline: _Deadline) -> Callable[..., Any]:
    """A connection factory for urllib's `do_open`: `base` connections whose socket the
    deadline watches, each step of them given no more than the time left."""

    class Watched(base):  # type: ignore[valid-type,misc]
        def connect(self) -> None:
            self.timeout = deadline.remaining()
            super().connect()
            deadline.watch(self.sock)

    return Watched


class _WatchedHTTPHandler(urllib.request.HTTPHandler):
    """urllib's handler of http:// URLs, on connections a deadline watches."""

    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_watched(http.client.HTTPConnection, self.deadline), req)


class _WatchedHTTPSHandler(urllib.request.HTTPSHandler):
    """urllib's handler of https:// URLs (default TLS context), on watched connections."""

    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_watched(http.client.HTTPSConnection, self.deadline), req)


def _exchange(req: urllib.request.Request, seconds: float) -> tuple[int, Message, bytes]:
    """Send `req` and read its whole answer within `seconds`: (status, headers, body).

    The exchange runs in a thread of its own, which the caller waits for no longer than the
    deadline, so that nothing (a name lookup, a TLS handshake, a trickled body) holds the
    caller past it; the request's sockets are shut down then, which ends the thread.
    Raises `_HttpFailure` for a non-2xx answer, `_Timeout` when the deadline passes, and
    urllib's or the socket's error otherwise.
    """
    deadline = _Deadline(seconds)
    opener = urllib.request.build_opener(
        _NoRedirect, _WatchedHTTPHandler(deadline), _WatchedHTTPSHandler(deadline)
    )
    method = req.get_method()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            with opener.open(req, timeout=seconds) as resp:
                outcome["answer"] = (resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as err:
            detail = _error_detail(err)
            outcome["error"] = _HttpFailure(
                method, req.full_url, err.code, str(err.reason or ""), detail
            )
        except Exception as err:  # handed to the caller's thread, raised there
            outcome["error"] = err

    worker = threading.Thread(target=work, name="dbci-api-request", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        deadline.expire()
        raise _Timeout(method, req.full_url, seconds)
    if "answer" in outcome:
        return outcome["answer"]  # type: ignore[no-any-return]
    error = outcome.get("error")
    timed_out = isinstance(error, TimeoutError) or (
        isinstance(error, urllib.error.URLError) and isinstance(error.reason, TimeoutError)
    )
    if timed_out or deadline.expired:
        raise _Timeout(method, req.full_url, seconds)
    raise error if isinstance(error, BaseException) else RuntimeError("no answer")


def api_timeout(environ: Mapping[str, str]) -> float:
    """Each request's total deadline: `DBCI_API_TIMEOUT` seconds, else
    `DEFAULT_TIMEOUT_SECONDS`; `_Skip` for a value that is not a positive number."""
    raw = environ.get(TIMEOUT_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise _Skip(f"{TIMEOUT_VARIABLE} must be a positive number of seconds, not {raw!r}")
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
    client: _Client | None = None
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
    except _NotInRequest:
        return _not_in_request()
    except _Skip as err:
        warning = str(err)
    except _HttpFailure as err:
        warning = _http_warning(err, client)
    except _Timeout as err:
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
    _Skip,
    _HttpFailure,
    _Timeout,
    urllib.error.URLError,
    OSError,
    http.client.HTTPException,
    ValueError,
)


def _settle(
    platform: str, client: _Client, marker: str, body: str, created: _Created
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


def _where(client: _Client | None) -> str:
    return client.host if client is not None else "the API"


def _reason(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return "timed out"
    return str(reason) or type(reason).__name__


def _http_warning(err: _HttpFailure, client: _Client | None) -> str:
    status = f"HTTP {err.status}" + (f" {err.reason}" if err.reason else "")
    text = f"{err.method} {_display_url(err.url)} answered {status}"
    detail = _clip(err.detail)
    if detail and detail not in (err.reason, f"{err.status} {err.reason}"):
        text += f": {detail}"
    hint = client.hint(err.status) if client is not None else None
    if hint:
        text += f" ({hint})"
    return text


def _error_detail(err: urllib.error.HTTPError) -> str:
    try:
        raw = err.read(_MAX_ERROR_BODY)
    except (OSError, http.client.HTTPException, ValueError):
        return ""
    finally:
        err.close()
    try:
        data = json.loads(raw.decode("utf-8", "replace"))
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    for key in ("message", "error_description", "error"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, (dict, list)) and value:
            return json.dumps(value, ensure_ascii=False)
    return ""


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"


def _display_url(url: str) -> str:
    """`url` without its query, for warnings."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _one_line(text: str, secrets: tuple[str, ...]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    text = " ".join(text.split())
    if len(text) > 400:
        text = text[:399] + "…"
    return text


def _all_tokens(environ: Mapping[str, str]) -> tuple[str, ...]:
    names = (
        "GITHUB_TOKEN",
        "INPUT_GITHUB-TOKEN",
        "DBCI_GITLAB_TOKEN",
        "GITLAB_TOKEN",
        "CI_JOB_TOKEN",
        "SYSTEM_ACCESSTOKEN",
    )
    return tuple(environ[name] for name in names if environ.get(name))


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise _Skip(f"{name} is not set")
    return value


def _with_query(url: str, params: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query.extend(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme.lower(), a.netloc.lower()) == (b.scheme.lower(), b.netloc.lower())


def _next_link(header: str | None) -> str | None:
    """The `rel="next"` URL of an RFC 8288 `Link` header."""
    if not header:
        return None
    for match in re.finditer(r"<([^>]*)>([^,<]*)", header):
        for param in match.group(2).split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "rel" and "next" in value.strip().strip('"').split():
                return match.group(1)
    return None


class _Client:
    """One platform's API: find, create, update and delete the marked comments."""

    platform = ""

    def __init__(self, base: str, headers: dict[str, str], secrets: tuple[str, ...]) -> None:
        self.base = base.rstrip("/")
        self.headers = headers
        self.secrets = secrets
        self.host = urlsplit(self.base).netloc or self.base
        self.timeout = DEFAULT_TIMEOUT_SECONDS

    def find_all(self, marker: str) -> list[_Found]:
        """Every comment whose body contains `marker`, oldest first."""
        raise NotImplementedError

    def create(self, body: str) -> _Created:
        """Post a new comment."""
        raise NotImplementedError

    def update(self, found: _Found, body: str) -> str | None:
        """Replace the found comment's body; its URL when known."""
        raise NotImplementedError

    def delete(self, found: _Found) -> None:
        """Delete the found comment; one already gone is no error."""
        raise NotImplementedError

    def hint(self, status: int) -> str | None:
        """Advice for an HTTP error status, if any."""
        return None

    def request(self, method: str, url: str, payload: object = None) -> _Response:
        """One JSON request, answered within the deadline (`self.timeout`); raises
        `_HttpFailure` for a non-2xx answer, `_Timeout` past the deadline, `_Skip` for a
        body that is not JSON."""
        data = None
        headers = {
            "User-Agent": _USER_AGENT,
            "Accept": "application/json",
            **self.headers,
        }
        if payload is not None:
            data = json.dumps(payload).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        status, resp_headers, raw = _exchange(req, self.timeout)
        if status == 203:  # Azure DevOps: a sign-in page instead of the API's answer
            raise _Skip(
                f"{method} {_display_url(url)} answered HTTP 203 (a sign-in page): "
                "the token was not accepted"
            )
        if not raw.strip():
            return _Response(status, resp_headers, None)
        try:
            parsed: object = json.loads(raw.decode("utf-8"))
        except ValueError:
            raise _Skip(
                f"{method} {_display_url(url)} answered HTTP {status} with a body that is not JSON"
            ) from None
        return _Response(status, resp_headers, parsed)

    def delete_url(self, url: str) -> None:
        """DELETE `url`; a 404 (deleted already, by a run racing this one) is success."""
        try:
            self.request("DELETE", url)
        except _HttpFailure as err:
            if err.status != 404:
                raise

    def pages(self, first: str, next_url: _NextPage) -> list[object]:
        """Every item of a paged list, following `next_url(response, url, items)`."""
        items: list[object] = []
        url: str | None = first
        seen: set[str] = set()
        while url is not None:
            if url in seen or len(seen) >= _MAX_PAGES:
                raise _Skip(f"{_display_url(first)}: pagination does not end")
            seen.add(url)
            response = self.request("GET", url)
            page = response.data
            if isinstance(page, dict) and isinstance(page.get("value"), list):
                page = page["value"]  # Azure's {"value": [...], "count": n}
            if not isinstance(page, list):
                raise _Skip(f"GET {_display_url(url)} did not answer a list")
            items.extend(page)
            url = next_url(response, url, page) if page else None
            if url is not None and not _same_origin(url, self.base):
                raise _Skip(f"GET {_display_url(first)}: refusing a next-page link to another host")
        return items


_Factory: TypeAlias = Callable[[Mapping[str, str]], _Client]


def _id_of(item: Mapping[str, object], key: str = "id") -> str:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
        raise _Skip(f"a comment without an {key!r} in the API's answer")
    return str(value)


def _rank(value: str) -> int:
    """A comment's id as a number, for oldest-first order (ids that are not numbers last)."""
    return int(value) if value.isdigit() else sys.maxsize


def _url_of(data: object, key: str) -> str | None:
    if isinstance(data, dict):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return None


# --- GitHub -----------------------------------------------------------------------------------


def _github_pr_number(event_path: str) -> int:
    """The pull request number in the GitHub Actions event file; _NotInRequest without one."""
    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        detail = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise _Skip(f"cannot read GITHUB_EVENT_PATH ({event_path}): {detail}") from None
    if not isinstance(event, dict):
        raise _NotInRequest
    candidates: list[object] = []
    pull_request = event.get("pull_request")
    if isinstance(pull_request, dict):
        candidates.append(pull_request.get("number"))
    issue = event.get("issue")
    if isinstance(issue, dict) and issue.get("pull_request"):
        candidates.append(issue.get("number"))
    candidates.append(event.get("number"))
    for value in candidates:
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and value > 0:
            return value
        if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
            return int(value)
    raise _NotInRequest


class _GitHub(_Client):
    platform = "github"

    def __init__(self, api: str, repo: str, number: int, token: str) -> None:
        super().__init__(
            api,
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            },
            (token,),
        )
        owner, _, name = repo.partition("/")
        self.repo_url = f"{self.base}/repos/{quote(owner, safe='')}/{quote(name, safe='')}"
        self.number = number

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> _GitHub:
        event_path = environ.get("GITHUB_EVENT_PATH", "").strip()
        if not event_path:
            raise _NotInRequest
        number = _github_pr_number(event_path)
        token = (
            environ.get("GITHUB_TOKEN", "").strip() or environ.get("INPUT_GITHUB-TOKEN", "").strip()
        )
        if not token:
            raise _Skip("GITHUB_TOKEN is not set (pass the workflow's token in the step's env)")
        repo = _required(environ, "GITHUB_REPOSITORY")
        if repo.count("/") != 1 or repo.startswith("/") or repo.endswith("/"):
            raise _Skip(f"GITHUB_REPOSITORY is not owner/name: {repo!r}")
        api = environ.get("GITHUB_API_URL", "").strip() or _GITHUB_API
        return cls(api, repo, number, token)

    def find_all(self, marker: str) -> list[_Found]:
        url = f"{self.repo_url}/issues/{self.number}/comments?per_page={_PER_PAGE}"
        found = []
        for item in self.pages(url, lambda resp, _url, _items: _next_link(resp.headers["Link"])):
            if isinstance(item, dict) and marker in str(item.get("body") or ""):
                ident = _id_of(item)
                found.append(_Found(ident, rank=_rank(ident)))
        return found

    def create(self, body: str) -> _Created:
        url = f"{self.repo_url}/issues/{self.number}/comments"
        data = self.request("POST", url, {"body": body}).data
        if not isinstance(data, dict):
            raise _Skip(f"POST {_display_url(url)} did not answer the comment it created")
        ident = _id_of(data)
        return _Created(_Found(ident, rank=_rank(ident)), _url_of(data, "html_url"))

    def _comment_url(self, found: _Found) -> str:
        return f"{self.repo_url}/issues/comments/{quote(found.comment_id, safe='')}"

    def update(self, found: _Found, body: str) -> str | None:
        data = self.request("PATCH", self._comment_url(found), {"body": body}).data
        return _url_of(data, "html_url")

    def delete(self, found: _Found) -> None:
        self.delete_url(self._comment_url(found))

    def hint(self, status: int) -> str | None:
        if status == 403:
            return (
                "the token may not write to the pull request: a pull request from a fork gets "
                "a read-only GITHUB_TOKEN, and the workflow needs 'pull-requests: write'"
            )
        if status == 401:
            return "the token was not accepted"
        if status == 404:
            return "the repository or pull request is not visible to the token"
        return None


# --- GitLab -----------------------------------------------------------------------------------


class _GitLab(_Client):
    platform = "gitlab"

    def __init__(
        self,
        api: str,
        project: str,
        iid: str,
        header: str,
        token: str,
        web_url: str | None,
    ) -> None:
        super().__init__(api, {header: token}, (token,))
        self.notes_url = (
            f"{self.base}/projects/{quote(project, safe='')}"
            f"/merge_requests/{quote(iid, safe='')}/notes"
        )
        self.job_token = header == "JOB-TOKEN"
        self.web_url = web_url.rstrip("/") if web_url else None
        self.iid = iid

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> _GitLab:
        iid = environ.get("CI_MERGE_REQUEST_IID", "").strip()
        if not iid:
            raise _NotInRequest
        api = _required(environ, "CI_API_V4_URL")
        # The IID numbers the merge request in its target project, which differs from the
        # pipeline's project when the pipeline runs in a fork.
        project = environ.get("CI_MERGE_REQUEST_PROJECT_ID", "").strip() or _required(
            environ, "CI_PROJECT_ID"
        )
        web_url = (
            environ.get("CI_MERGE_REQUEST_PROJECT_URL", "").strip()
            or environ.get("CI_PROJECT_URL", "").strip()
            or None
        )
        for name in ("DBCI_GITLAB_TOKEN", "GITLAB_TOKEN"):
            token = environ.get(name, "").strip()
            if token:
                return cls(api, project, iid, "PRIVATE-TOKEN", token, web_url)
        token = environ.get("CI_JOB_TOKEN", "").strip()
        if token:
            return cls(api, project, iid, "JOB-TOKEN", token, web_url)
        raise _Skip("no GitLab token: set DBCI_GITLAB_TOKEN (api scope) or GITLAB_TOKEN")

    def _note_url(self, data: object) -> str | None:
        if self.web_url is None or not isinstance(data, dict) or "id" not in data:
            return None
        return f"{self.web_url}/-/merge_requests/{self.iid}#note_{data['id']}"

    def find_all(self, marker: str) -> list[_Found]:
        first = _with_query(self.notes_url, {"per_page": str(_PER_PAGE), "sort": "asc"})

        def next_page(resp: _Response, url: str, items: list[object]) -> str | None:
            header = resp.headers["X-Next-Page"]
            if header is not None:
                page = header.strip()
                return _with_query(url, {"page": page}) if page.isdigit() else None
            if len(items) < _PER_PAGE:  # no header: a short page is the last
                return None
            current = dict(parse_qsl(urlsplit(url).query)).get("page", "1")
            return _with_query(url, {"page": str(int(current) + 1 if current.isdigit() else 2)})

        found = []
        for item in self.pages(first, next_page):
            if isinstance(item, dict) and marker in str(item.get("body") or ""):
                ident = _id_of(item)
                found.append(_Found(ident, rank=_rank(ident)))
        return found

    def create(self, body: str) -> _Created:
        data = self.request("POST", self.notes_url, {"body": body}).data
        if not isinstance(data, dict):
            raise _Skip(f"POST {_display_url(self.notes_url)} did not answer the note it created")
        ident = _id_of(data)
        return _Created(_Found(ident, rank=_rank(ident)), self._note_url(data))

    def update(self, found: _Found, body: str) -> str | None:
        url = f"{self.notes_url}/{quote(found.comment_id, safe='')}"
        return self._note_url(self.request("PUT", url, {"body": body}).data)

    def delete(self, found: _Found) -> None:
        self.delete_url(f"{self.notes_url}/{quote(found.comment_id, safe='')}")

    def hint(self, status: int) -> str | None:
        if status in (401, 403) and self.job_token:
            return (
                "CI_JOB_TOKEN may not write merge request notes: set DBCI_GITLAB_TOKEN to a "
                "token with the api scope"
            )
        if status in (401, 403):
            return "the token needs the api scope and at least Reporter access to the project"
        if status == 404:
            return "the project or merge request is not visible to the token"
        return None


# --- Azure DevOps -----------------------------------------------------------------------------


class _Azure(_Client):
    platform = "azure"

    def __init__(
        self, org: str, project: str, repo: str, pr: str, token: str, web_repo: str | None
    ) -> None:
        org = org if org.endswith("/") else org + "/"
        project_part = quote(project, safe="")
        super().__init__(
            f"{org}{project_part}/_apis/git/repositories/{quote(repo, safe='')}"
            f"/pullRequests/{quote(pr, safe='')}",
            {"Authorization": f"Bearer {token}"},
            (token,),
        )
        self.threads_url = f"{self.base}/threads"
        self.web_pr_url = (
            f"{org}{project_part}/_git/{quote(web_repo, safe='')}/pullrequest/{quote(pr, safe='')}"
            if web_repo
            else None
        )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> _Azure:
        pr = environ.get("SYSTEM_PULLREQUEST_PULLREQUESTID", "").strip()
        if not pr:
            raise _NotInRequest
        provider = environ.get("BUILD_REPOSITORY_PROVIDER", "").strip()
        if provider and provider.lower() not in ("tfsgit", "azurerepos"):
            raise _Skip(
                f"the repository is on {provider}, not Azure Repos: "
                "Azure Pipelines comments only on Azure Repos pull requests"
            )
        token = environ.get("SYSTEM_ACCESSTOKEN", "").strip()
        if not token:
            raise _Skip(
                "SYSTEM_ACCESSTOKEN is not set "
                "(map it in the step: env: SYSTEM_ACCESSTOKEN: $(System.AccessToken))"
            )
        org = _required(environ, "SYSTEM_COLLECTIONURI")
        project = _required(environ, "SYSTEM_TEAMPROJECT")
        repo = _required(environ, "BUILD_REPOSITORY_ID")
        web_repo = environ.get("BUILD_REPOSITORY_NAME", "").strip() or None
        return cls(org, project, repo, pr, token, web_repo)

    def _api(self, url: str) -> str:
        return _with_query(url, {"api-version": _AZURE_API_VERSION})

    def _thread_url(self, thread_id: str) -> str:
        if self.web_pr_url is not None:
            return f"{self.web_pr_url}?discussionId={quote(thread_id, safe='')}"
        return f"{self.threads_url}/{quote(thread_id, safe='')}"

    def find_all(self, marker: str) -> list[_Found]:
        # The threads list is not paged in practice; a continuation would come back in an
        # x-ms-continuationtoken header, which is not followed.
        found = []
        for thread in self.pages(self._api(self.threads_url), lambda _r, _u, _i: None):
            if not isinstance(thread, dict) or thread.get("isDeleted"):
                continue
            comments = thread.get("comments")
            if not isinstance(comments, list) or not comments:
                continue
            first = comments[0]
            if not isinstance(first, dict) or first.get("isDeleted"):
                continue
            if marker in str(first.get("content") or ""):
                thread_id = _id_of(thread)
                replies = sum(
                    1 for c in comments[1:] if isinstance(c, dict) and not c.get("isDeleted")
                )
                found.append(
                    _Found(_id_of(first), thread_id, rank=_rank(thread_id), replies=replies)
                )
        return found

    def create(self, body: str) -> _Created:
        payload = {
            "comments": [{"parentCommentId": 0, "content": body, "commentType": 1}],
            "status": 1,  # CommentThreadStatus "active"
        }
        data = self.request("POST", self._api(self.threads_url), payload).data
        comments = data.get("comments") if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(comments, list) or not comments:
            raise _Skip(
                f"POST {_display_url(self.threads_url)} did not answer the thread it created"
            )
        first = comments[0] if isinstance(comments[0], dict) else {}
        thread_id = _id_of(data)
        found = _Found(_id_of(first), thread_id, rank=_rank(thread_id))
        return _Created(found, self._thread_url(thread_id))

    def _comment_url(self, found: _Found) -> str:
        return (
            f"{self.threads_url}/{quote(found.thread_id or '', safe='')}"
            f"/comments/{quote(found.comment_id, safe='')}"
        )

    def update(self, found: _Found, body: str) -> str | None:
        self.request("PATCH", self._api(self._comment_url(found)), {"content": body})
        return self._thread_url(found.thread_id or "")

    def delete(self, found: _Found) -> None:
        """Delete the thread's first comment: a thread cannot be deleted itself, but one
        whose comments are all deleted is. A thread someone replied to stays (with its
        replies), so it is closed too, and shows collapsed among the resolved threads."""
        self.delete_url(self._api(self._comment_url(found)))
        if found.replies:
            url = f"{self.threads_url}/{quote(found.thread_id or '', safe='')}"
            try:
                self.request("PATCH", self._api(url), {"status": 4})  # "closed"
            except _HttpFailure as err:
                if err.status != 404:
                    raise

    def hint(self, status: int) -> str | None:
        if status in (401, 403):
            return (
                "the build service identity needs 'Contribute to pull requests' on the "
                "repository, and SYSTEM_ACCESSTOKEN must be mapped into the step"
            )
        if status == 404:
            return "the project, repository or pull request is not visible to the token"
        return None
