"""What the platforms' API clients share (`github.py`, `gitlab.py`, `azure.py`): one JSON
request over `urllib.request` with a total deadline and no redirects followed, paged lists
whose next-page links stay on the API's host, and the comments found and created.

Each request has a total deadline, from connecting to the last byte of the answer: its
sockets are shut down when it passes, so an API that trickles its answer a byte at a time
is cut off there, not kept for as long as each byte comes within a socket timeout.
"""

from __future__ import annotations

import http.client
import json
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
from typing import Any, ClassVar, TypeAlias
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DEFAULT_TIMEOUT_SECONDS = 30.0
"""Each API request's total deadline without `DBCI_API_TIMEOUT`, in seconds."""

_USER_AGENT = "dbci"
PER_PAGE = 100
_MAX_PAGES = 200  # 20,000 comments: past that something is looping
_MAX_ERROR_BODY = 64 * 1024


class Skip(Exception):
    """A reason to skip the comment; its message is the one-line warning (redacted later)."""


class NotInRequest(Exception):
    """The platform was detected but the run is not for a pull/merge request."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: Message
    data: object


NextPage: TypeAlias = Callable[[Response, str, list[object]], "str | None"]
"""Given a page's response, its URL and its items: the next page's URL, or None."""


class HttpFailure(Exception):
    """A non-2xx answer, its error body already read."""

    def __init__(self, method: str, url: str, status: int, reason: str, detail: str) -> None:
        super().__init__(f"{method} {display_url(url)}: HTTP {status}")
        self.method = method
        self.url = url
        self.status = status
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Found:
    """A marked comment: what the API calls it, and how old it is."""

    comment_id: str
    thread_id: str | None = None  # Azure: the thread holding the comment
    # The platform's id of the comment (note, thread) as a number: ids grow as comments are
    # created, so the lowest is the oldest, the same for every run that lists them.
    rank: int = field(default=sys.maxsize, compare=False)
    replies: int = field(default=0, compare=False)  # Azure: other comments in the thread


@dataclass(frozen=True)
class Created:
    """The comment a run created: found again by `found`, shown at `url`."""

    found: Found
    url: str | None


class Timeout(Exception):
    """A request not answered, all of it, within its deadline."""

    def __init__(self, method: str, url: str, seconds: float) -> None:
        super().__init__(f"{method} {display_url(url)} timed out after {seconds:g} s")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Turns every redirect into an HTTPError: a redirect would carry the token along."""

    def redirect_request(
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


def exchange(req: urllib.request.Request, seconds: float) -> tuple[int, Message, bytes]:
    """Send `req` and read its whole answer within `seconds`: (status, headers, body).

    The exchange runs in a thread of its own, which the caller waits for no longer than the
    deadline, so that nothing (a name lookup, a TLS handshake, a trickled body) holds the
    caller past it; the request's sockets are shut down then, which ends the thread.
    Raises `HttpFailure` for a non-2xx answer, `Timeout` when the deadline passes, and
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
            outcome["error"] = HttpFailure(
                method, req.full_url, err.code, str(err.reason or ""), detail
            )
        except Exception as err:  # handed to the caller's thread, raised there
            outcome["error"] = err

    worker = threading.Thread(target=work, name="dbci-api-request", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        deadline.expire()
        raise Timeout(method, req.full_url, seconds)
    if "answer" in outcome:
        return outcome["answer"]  # type: ignore[no-any-return]
    error = outcome.get("error")
    timed_out = isinstance(error, TimeoutError) or (
        isinstance(error, urllib.error.URLError) and isinstance(error.reason, TimeoutError)
    )
    if timed_out or deadline.expired:
        raise Timeout(method, req.full_url, seconds)
    raise error if isinstance(error, BaseException) else RuntimeError("no answer")


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


def display_url(url: str) -> str:
    """`url` without its query, for warnings."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise Skip(f"{name} is not set")
    return value


def with_query(url: str, params: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query.extend(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme.lower(), a.netloc.lower()) == (b.scheme.lower(), b.netloc.lower())


def next_link(header: str | None) -> str | None:
    """The `rel="next"` URL of an RFC 8288 `Link` header."""
    if not header:
        return None
    for match in re.finditer(r"<([^>]*)>([^,<]*)", header):
        for param in match.group(2).split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "rel" and "next" in value.strip().strip('"').split():
                return match.group(1)
    return None


class Client:
    """One platform's API: find, create, update and delete the marked comments.

    A platform is a subclass in a module of its own, listed in `comments.PLATFORMS`."""

    platform: ClassVar[str] = ""  # its name in CommentResult and BODY_LIMITS
    detect: ClassVar[str] = ""  # the variable that is "true" in its pipelines
    body_limit: ClassVar[int] = 0  # the longest comment body it accepts, in characters
    token_variables: ClassVar[tuple[str, ...]] = ()  # where its tokens may be (redacted)

    def __init__(self, base: str, headers: dict[str, str], secrets: tuple[str, ...]) -> None:
        self.base = base.rstrip("/")
        self.headers = headers
        self.secrets = secrets
        self.host = urlsplit(self.base).netloc or self.base
        self.timeout = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Client:
        """The client of the pull/merge request the pipeline runs for; `NotInRequest` when
        it runs for none, `Skip` when it cannot comment on it."""
        raise NotImplementedError

    def find_all(self, marker: str) -> list[Found]:
        """Every comment whose body contains `marker`, oldest first."""
        raise NotImplementedError

    def create(self, body: str) -> Created:
        """Post a new comment."""
        raise NotImplementedError

    def update(self, found: Found, body: str) -> str | None:
        """Replace the found comment's body; its URL when known."""
        raise NotImplementedError

    def delete(self, found: Found) -> None:
        """Delete the found comment; one already gone is no error."""
        raise NotImplementedError

    def hint(self, status: int) -> str | None:
        """Advice for an HTTP error status, if any."""
        return None

    def request(self, method: str, url: str, payload: object = None) -> Response:
        """One JSON request, answered within the deadline (`self.timeout`); raises
        `HttpFailure` for a non-2xx answer, `Timeout` past the deadline, `Skip` for a
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
        status, resp_headers, raw = exchange(req, self.timeout)
        if status == 203:  # Azure DevOps: a sign-in page instead of the API's answer
            raise Skip(
                f"{method} {display_url(url)} answered HTTP 203 (a sign-in page): "
                "the token was not accepted"
            )
        if not raw.strip():
            return Response(status, resp_headers, None)
        try:
            parsed: object = json.loads(raw.decode("utf-8"))
        except ValueError:
            raise Skip(
                f"{method} {display_url(url)} answered HTTP {status} with a body that is not JSON"
            ) from None
        return Response(status, resp_headers, parsed)

    def delete_url(self, url: str) -> None:
        """DELETE `url`; a 404 (deleted already, by a run racing this one) is success."""
        try:
            self.request("DELETE", url)
        except HttpFailure as err:
            if err.status != 404:
                raise

    def pages(self, first: str, next_url: NextPage) -> list[object]:
        """Every item of a paged list, following `next_url(response, url, items)`."""
        items: list[object] = []
        url: str | None = first
        seen: set[str] = set()
        while url is not None:
            if url in seen or len(seen) >= _MAX_PAGES:
                raise Skip(f"{display_url(first)}: pagination does not end")
            seen.add(url)
            response = self.request("GET", url)
            page = response.data
            if isinstance(page, dict) and isinstance(page.get("value"), list):
                page = page["value"]  # Azure's {"value": [...], "count": n}
            if not isinstance(page, list):
                raise Skip(f"GET {display_url(url)} did not answer a list")
            items.extend(page)
            url = next_url(response, url, page) if page else None
            if url is not None and not _same_origin(url, self.base):
                raise Skip(f"GET {display_url(first)}: refusing a next-page link to another host")
        return items


def id_of(item: Mapping[str, object], key: str = "id") -> str:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
        raise Skip(f"a comment without an {key!r} in the API's answer")
    return str(value)


def rank(value: str) -> int:
    """A comment's id as a number, for oldest-first order (ids that are not numbers last)."""
    return int(value) if value.isdigit() else sys.maxsize


def url_of(data: object, key: str) -> str | None:
    if isinstance(data, dict):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return None
