"""The pull/merge-request comment: one per project, environment and stage, found by marker.

A local HTTP stand-in implements the parts of the GitHub, GitLab and Azure DevOps APIs the
comment uses, in memory, with paging; every call is recorded. No network is used. Its
answers follow the platforms' documentation: GitHub's "Delete an issue comment" and
GitLab's "Delete a merge request note" answer 204 with no body, and 404 for a comment that
is not there (any more); Azure DevOps' "Pull Request Thread Comments - Delete" answers 200
and soft-deletes the comment (`isDeleted`), and a thread whose comments are all deleted is
deleted itself (the thread's `isDeleted`), still listed; "Pull Request Threads - Update"
sets a thread's status. Requests are served concurrently, each after `Api.delay` seconds
(and the first `Api.gather` GETs together), and change the state one at a time.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from support.timing import Bound, timed

from dbci.ci import comments
from dbci.ci.comments import (
    BODY_LIMITS,
    NOT_IN_REQUEST,
    TRUNCATION_LINE,
    CommentResult,
    comment_marker,
    truncate_body,
    upsert_comment,
)

GITHUB_TOKEN = "ghs_S3cretGitHubToken0123456789"
GITLAB_TOKEN = "glpat-S3cretGitLabToken0123"
JOB_TOKEN = "glcbt-S3cretJobToken0123"
AZURE_TOKEN = "eyJ0eXAi.S3cretAzureToken.0123"
ALL_TOKENS = (GITHUB_TOKEN, GITLAB_TOKEN, JOB_TOKEN, AZURE_TOKEN)
BOT = "github-actions[bot]"
MARKER = comment_marker("shop", "prod", "report")
OTHER_MARKER = comment_marker("shop", "staging", "report")


@dataclass
class Call:
    """One request the stand-in received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Api:
    """The stand-in's state: comments of every platform, the calls, injected failures."""

    url: str = ""
    github: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # PR -> comments
    gitlab: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # IID -> notes
    azure: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # PR -> threads
    calls: list[Call] = field(default_factory=list)
    github_page_size: int = 100
    gitlab_page_size: int = 100
    gitlab_next_header: bool = True
    github_next_link: str | None = None  # overrides the next-page link GitHub answers
    fail: dict[tuple[str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    delay: float = 0.0
    next_id: int = 1000
    # Called (with the platform's prefix: gh, gl, az) just before and just after a POST
    # creates its comment, under the state's lock: another run's comment appearing then.
    before_post: Callable[[str], None] | None = None
    after_post: Callable[[str], None] | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    # Runs started together reach a slow API together: the first `gather` GETs wait for one
    # another (at most `gather_wait` seconds), then are answered at once. 0: no waiting.
    gather: int = 0
    gather_wait: float = 2.0
    gathered: int = 0
    _arrivals: threading.Condition = field(default_factory=threading.Condition)

    def gather_listings(self) -> None:
        """Hold this GET until `gather` GETs have come (or `gather_wait` has passed)."""
        with self._arrivals:
            if self.gathered >= self.gather:
                return
            self.gathered += 1
            self._arrivals.notify_all()
            self._arrivals.wait_for(lambda: self.gathered >= self.gather, self.gather_wait)

    def new_id(self) -> int:
        with self.lock:
            self.next_id += 1
            return self.next_id

    def writes(self) -> list[Call]:
        return [call for call in self.calls if call.method != "GET"]


def _handler(api: Api) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(
            self, status: int, body: Any = None, headers: dict[str, str] | None = None
        ) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            if status != 204:  # No Content: no body, no Content-Length (RFC 9110)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_PATCH(self) -> None:
            self._route("PATCH")

        def do_PUT(self) -> None:
            self._route("PUT")

        def do_DELETE(self) -> None:
            self._route("DELETE")

        def _route(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query))
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            headers = {k.lower(): v for k, v in self.headers.items()}
            api.calls.append(Call(method, parts.path, query, headers, body))
            if api.delay:
                time.sleep(api.delay)
            if method == "GET":
                api.gather_listings()
            path = parts.path
            platform = path.split("/")[1]
            if (method, platform) in api.fail:
                status, error = api.fail[(method, platform)]
                return self._send(status, error)
            if platform == "html":  # a sign-in page, say
                data = b"<html>sign in</html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return None
            with api.lock:  # one change of the state at a time, as a database would
                if platform == "gh":
                    return self._github(method, path[3:], query, headers, body)
                if platform == "gl":
                    return self._gitlab(method, path[3:], query, headers, body)
                if platform == "az":
                    return self._azure(method, path[3:], query, headers, body)
            return self._send(404, {"message": "Not Found"})

        def _posting(self, platform: str, create: Callable[[], Any]) -> Any:
            if api.before_post is not None:
                api.before_post(platform)
            made = create()
            if api.after_post is not None:
                api.after_post(platform)
            return made

        def _github(
            self,
            method: str,
            path: str,
            query: dict[str, str],
            headers: dict[str, str],
            body: Any,
        ) -> None:
            if headers.get("authorization") != f"Bearer {GITHUB_TOKEN}":
                # Echo the credentials, as a careless proxy might: the warning must not.
                sent = headers.get("authorization", "")
                return self._send(401, {"message": f"Bad credentials: {sent}"})
            match = re.fullmatch(r"/repos/acme/shop/issues/(\d+)/comments", path)
            if match and method == "GET":
                items = api.github.get(int(match.group(1)), [])
                size = min(int(query.get("per_page", "30")), api.github_page_size)
                page = int(query.get("page", "1"))
                chunk = items[(page - 1) * size : page * size]
                extra = {}
                if page * size < len(items):
                    link = api.github_next_link or (
                        f"{api.url}/gh{path}?per_page={query.get('per_page', '30')}&page={page + 1}"
                    )
                    extra["Link"] = f'<{link}>; rel="next", <{api.url}/gh{path}>; rel="last"'
                return self._send(200, chunk, extra)
            if match and method == "POST":
                number = int(match.group(1))
                comment = self._posting("gh", lambda: github_comment(api, number, body["body"]))
                return self._send(201, comment)
            match = re.fullmatch(r"/repos/acme/shop/issues/comments/(\d+)", path)
            if match and method in ("PATCH", "DELETE"):
                for items in api.github.values():
                    for comment in items:
                        if comment["id"] == int(match.group(1)):
                            if method == "DELETE":
                                items.remove(comment)
                                return self._send(204)
                            comment["body"] = body["body"]
                            return self._send(200, comment)
            return self._send(404, {"message": "Not Found"})

        def _gitlab(
            self,
            method: str,
            path: str,
            query: dict[str, str],
            headers: dict[str, str],
            body: Any,
        ) -> None:
            if headers.get("private-token") != GITLAB_TOKEN and (
                headers.get("job-token") != JOB_TOKEN
            ):
                return self._send(401, {"message": "401 Unauthorized"})
            match = re.fullmatch(r"/api/v4/projects/42/merge_requests/(\d+)/notes", path)
            if match and method == "GET":
                items = api.gitlab.get(match.group(1), [])
                if query.get("sort") != "asc":
                    return self._send(400, {"message": "expected sort=asc"})
                size = min(int(query.get("per_page", "20")), api.gitlab_page_size)
                page = int(query.get("page", "1"))
                chunk = items[(page - 1) * size : page * size]
                extra = {}
                if api.gitlab_next_header:
                    extra["X-Next-Page"] = str(page + 1) if page * size < len(items) else ""
                return self._send(200, chunk, extra)
            if match and method == "POST":
                iid = match.group(1)
                note = self._posting("gl", lambda: gitlab_note(api, iid, body["body"]))
                return self._send(201, note)
            match = re.fullmatch(r"/api/v4/projects/42/merge_requests/(\d+)/notes/(\d+)", path)
            if match and method in ("PUT", "DELETE"):
                notes = api.gitlab.get(match.group(1), [])
                for note in notes:
                    if note["id"] == int(match.group(2)):
                        if method == "DELETE":
                            notes.remove(note)
                            return self._send(204)
                        note["body"] = body["body"]
                        return self._send(200, note)
            return self._send(404, {"message": "404 Not found"})

        def _azure(
            self,
            method: str,
            path: str,
            query: dict[str, str],
            headers: dict[str, str],
            body: Any,
        ) -> None:
            if headers.get("authorization") != f"Bearer {AZURE_TOKEN}":
                return self._send(401, {"message": "TF400813: not authorized"})
            if query.get("api-version") != "7.1":
                return self._send(400, {"message": "api-version 7.1 expected"})
            prefix = r"/org/Shop%20Team/_apis/git/repositories/repo-guid/pullRequests/(\d+)"
            match = re.fullmatch(prefix + "/threads", path)
            if match and method == "GET":
                threads = api.azure.get(match.group(1), [])
                return self._send(200, {"value": threads, "count": len(threads)})
            if match and method == "POST":
                pr = match.group(1)
                thread = self._posting("az", lambda: azure_thread(api, pr, body))
                return self._send(200, thread)
            match = re.fullmatch(prefix + r"/threads/(\d+)", path)
            if match and method == "PATCH":
                for thread in api.azure.get(match.group(1), []):
                    if thread["id"] == int(match.group(2)):
                        thread["status"] = body["status"]
                        return self._send(200, thread)
            match = re.fullmatch(prefix + r"/threads/(\d+)/comments/(\d+)", path)
            if match and method in ("PATCH", "DELETE"):
                for thread in api.azure.get(match.group(1), []):
                    if thread["id"] == int(match.group(2)):
                        for comment in thread["comments"]:
                            if comment["id"] == int(match.group(3)):
                                if method == "DELETE":  # a soft delete
                                    comment["isDeleted"] = True
                                    if all(c.get("isDeleted") for c in thread["comments"]):
                                        thread["isDeleted"] = True
                                    return self._send(200)
                                comment["content"] = body["content"]
                                return self._send(200, comment)
            return self._send(404, {"message": "not found"})

    return Handler


def github_comment(api: Api, number: int, body: str) -> dict[str, Any]:
    """A new comment on GitHub pull request `number`, as the API creates it."""
    ident = api.new_id()
    comment = {
        "id": ident,
        "body": body,
        "user": {"login": BOT},
        "html_url": f"https://github.test/acme/shop/pull/{number}#issuecomment-{ident}",
    }
    api.github.setdefault(number, []).append(comment)
    return comment


def gitlab_note(api: Api, iid: str, body: str) -> dict[str, Any]:
    """A new note on GitLab merge request `iid`."""
    note = {"id": api.new_id(), "body": body, "author": {"username": "bot"}, "system": False}
    api.gitlab.setdefault(iid, []).append(note)
    return note


def azure_thread(api: Api, pr: str, body: dict[str, Any]) -> dict[str, Any]:
    """A new thread on Azure DevOps pull request `pr`, from a "Threads - Create" body."""
    thread = {
        "id": api.new_id(),
        "status": body["status"],
        "comments": [
            {"id": number, **comment, "author": {"displayName": "Build Service"}}
            for number, comment in enumerate(body["comments"], 1)
        ],
    }
    api.azure.setdefault(pr, []).append(thread)
    return thread


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests to the stand-in must not go through a proxy from the environment."""
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")


@contextmanager
def serving(state: Api | None = None) -> Iterator[Api]:
    """The stand-in for the three APIs, running on a local port until the block ends (the
    entrypoint's, the secrets' and the injection tests' use it too)."""
    state = state or Api()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def api() -> Iterator[Api]:
    """A running stand-in for the three APIs."""
    with serving() as state:
        yield state


def _event(tmp_path: Path, event: Any, name: str = "event.json") -> str:
    path = tmp_path / name
    path.write_text(event if isinstance(event, str) else json.dumps(event), encoding="utf-8")
    return str(path)


def github_env(api_url: str, tmp_path: Path, number: int = 7, **extra: str) -> dict[str, str]:
    """A GitHub Actions pull_request run's environment."""
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "GITHUB_API_URL": f"{api_url}/gh",
        "GITHUB_REPOSITORY": "acme/shop",
        "GITHUB_EVENT_PATH": _event(
            tmp_path, {"number": number, "pull_request": {"number": number}}, "pr-event.json"
        ),
        **extra,
    }


def gitlab_env(api_url: str, **extra: str) -> dict[str, str]:
    """A GitLab CI merge request pipeline's environment."""
    return {
        "GITLAB_CI": "true",
        "CI_API_V4_URL": f"{api_url}/gl/api/v4",
        "CI_PROJECT_ID": "42",
        "CI_PROJECT_URL": "https://gitlab.test/acme/shop",
        "CI_MERGE_REQUEST_IID": "3",
        "GITLAB_TOKEN": GITLAB_TOKEN,
        "CI_JOB_TOKEN": JOB_TOKEN,
        **extra,
    }


def azure_env(api_url: str, **extra: str) -> dict[str, str]:
    """An Azure Pipelines pull request build's environment."""
    return {
        "TF_BUILD": "True",
        "SYSTEM_ACCESSTOKEN": AZURE_TOKEN,
        "SYSTEM_COLLECTIONURI": f"{api_url}/az/org/",
        "SYSTEM_TEAMPROJECT": "Shop Team",
        "BUILD_REPOSITORY_ID": "repo-guid",
        "BUILD_REPOSITORY_NAME": "shop",
        "BUILD_REPOSITORY_PROVIDER": "TfsGit",
        "SYSTEM_PULLREQUEST_PULLREQUESTID": "11",
        **extra,
    }


def env_for(platform: str, api_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment of a pull/merge request run on `platform`."""
    if platform == "github":
        return github_env(api_url, tmp_path)
    if platform == "gitlab":
        return gitlab_env(api_url)
    return azure_env(api_url)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _assert_clean(result: CommentResult) -> None:
    assert result.warning is not None
    assert "\n" not in result.warning
    for token in ALL_TOKENS:
        assert token not in result.warning


# --- the marker -----------------------------------------------------------------------------


def test_marker_is_a_hidden_html_comment() -> None:
    assert MARKER == "<!-- dbci-report project=shop environment=prod stage=report -->"
    assert comment_marker("shop", None, "check") == (
        "<!-- dbci-report project=shop environment=- stage=check -->"
    )


def test_marker_values_cannot_close_the_comment_or_pass_for_another_field() -> None:
    marker = comment_marker("a-->b\n<!--c", "pr od=x", "s--->\r\n")
    assert marker.startswith("<!-- dbci-report project=")
    assert marker.endswith(" -->")
    assert marker.count("-->") == 1
    assert marker.count(">") == 1
    assert "\n" not in marker and "\r" not in marker
    assert "environment=pr%20od%3Dx " in marker
    # distinct values give distinct markers, none found inside another
    first = comment_marker("shop", "a", "report")
    second = comment_marker("shop", "a b", "report")
    assert first != second and first not in second and second not in first


# --- GitHub ---------------------------------------------------------------------------------


def test_github_creates_then_updates_the_same_comment(api: Api, tmp_path: Path) -> None:
    api.github_page_size = 2  # the bot's comments span pages
    api.github[7] = [
        {"id": 1, "body": "build passed", "user": {"login": BOT}},
        {"id": 2, "body": f"{OTHER_MARKER}\n\nstaging report", "user": {"login": BOT}},
    ]
    environ = github_env(api.url, tmp_path)

    first = upsert_comment("## Report\n\nfirst run", MARKER, environ)
    assert first.platform == "github" and first.action == "created" and first.warning is None
    created = api.github[7][-1]
    assert created["body"] == f"{MARKER}\n\n## Report\n\nfirst run"
    assert first.url == f"https://github.test/acme/shop/pull/7#issuecomment-{created['id']}"
    post = api.writes()[0]
    assert (post.method, post.path) == ("POST", "/gh/repos/acme/shop/issues/7/comments")
    assert post.headers["authorization"] == f"Bearer {GITHUB_TOKEN}"
    assert post.headers["accept"] == "application/vnd.github+json"
    assert post.headers["x-github-api-version"] == "2022-11-28"
    assert post.headers["user-agent"] == "dbci"
    assert post.headers["content-type"].startswith("application/json")

    api.calls.clear()
    second = upsert_comment("## Report\n\nsecond run", MARKER, environ)
    assert second == CommentResult("github", "updated", first.url, None)
    gets = [call for call in api.calls if call.method == "GET"]
    assert [call.query for call in gets] == [
        {"per_page": "100"},
        {"per_page": "100", "page": "2"},
    ]
    assert [(c.method, c.path) for c in api.writes()] == [
        ("PATCH", f"/gh/repos/acme/shop/issues/comments/{created['id']}")
    ]
    assert len(api.github[7]) == 3
    assert api.github[7][0]["body"] == "build passed"
    assert api.github[7][1]["body"] == f"{OTHER_MARKER}\n\nstaging report"
    assert api.github[7][2]["body"] == f"{MARKER}\n\n## Report\n\nsecond run"


def test_github_follows_the_link_header_to_the_marked_comment(api: Api, tmp_path: Path) -> None:
    api.github_page_size = 1
    api.github[7] = [
        {"id": 1, "body": "a comment by the same bot", "user": {"login": BOT}},
        {"id": 2, "body": f"{MARKER}\nold", "user": {"login": "someone-else[bot]"}},
        {"id": 3, "body": f"{MARKER}\nnewer duplicate", "user": {"login": BOT}},
    ]
    body = f"{MARKER}\nnew"  # the marker is already there: the body is sent as is
    result = upsert_comment(body, MARKER, github_env(api.url, tmp_path))
    assert result.action == "updated"
    assert [(c.method, c.path) for c in api.writes()] == [
        ("PATCH", "/gh/repos/acme/shop/issues/comments/2")
    ]
    assert api.github[7][1]["body"] == body
    assert api.github[7][2]["body"] == f"{MARKER}\nnewer duplicate"


def test_github_refuses_a_next_link_to_another_host(api: Api, tmp_path: Path) -> None:
    api.github_page_size = 1
    api.github_next_link = f"http://127.0.0.2:{_free_port()}/steal?page=2"
    api.github[7] = [{"id": 1, "body": "x"}, {"id": 2, "body": "y"}]
    result = upsert_comment("report", MARKER, github_env(api.url, tmp_path))
    assert (result.platform, result.action) == ("github", "skipped")
    assert "another host" in (result.warning or "")
    assert api.writes() == []


@pytest.mark.parametrize(
    ("event", "number"),
    [
        pytest.param({"number": 5, "pull_request": {"number": 5}}, 5, id="pull_request"),
        pytest.param({"pull_request": {"number": 12}}, 12, id="pull_request-only"),
        pytest.param(
            {"issue": {"number": 6, "pull_request": {"url": "https://x/pulls/6"}}},
            6,
            id="issue_comment-on-a-pull-request",
        ),
        pytest.param({"number": 8, "action": "opened"}, 8, id="top-level-number"),
        pytest.param({"number": "9"}, 9, id="number-as-string"),
    ],
)
def test_github_event_file_gives_the_pull_request_number(
    api: Api, tmp_path: Path, event: dict[str, Any], number: int
) -> None:
    environ = github_env(api.url, tmp_path, GITHUB_EVENT_PATH=_event(tmp_path, event))
    result = upsert_comment("report", MARKER, environ)
    assert result.action == "created", result.warning
    assert api.writes()[0].path == f"/gh/repos/acme/shop/issues/{number}/comments"


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({"ref": "refs/heads/main", "commits": []}, id="push"),
        pytest.param({"issue": {"number": 9}}, id="issue_comment-on-an-issue"),
        pytest.param({"number": True}, id="not-a-number"),
        pytest.param([], id="not-an-object"),
    ],
)
def test_github_event_without_a_pull_request_is_not_a_request(
    api: Api, tmp_path: Path, event: Any
) -> None:
    environ = github_env(api.url, tmp_path, GITHUB_EVENT_PATH=_event(tmp_path, event))
    assert upsert_comment("report", MARKER, environ) == CommentResult(
        "none", "skipped", None, NOT_IN_REQUEST
    )
    assert api.calls == []


def test_github_unreadable_event_file_is_skipped(api: Api, tmp_path: Path) -> None:
    broken = github_env(api.url, tmp_path, GITHUB_EVENT_PATH=_event(tmp_path, "{not json"))
    result = upsert_comment("report", MARKER, broken)
    assert (result.platform, result.action) == ("github", "skipped")
    assert "GITHUB_EVENT_PATH" in (result.warning or "")
    _assert_clean(result)

    missing = github_env(api.url, tmp_path, GITHUB_EVENT_PATH=str(tmp_path / "nope.json"))
    result = upsert_comment("report", MARKER, missing)
    assert (result.platform, result.action) == ("github", "skipped")
    assert "GITHUB_EVENT_PATH" in (result.warning or "")
    assert api.calls == []


def test_github_token_from_the_action_input_and_missing_token(api: Api, tmp_path: Path) -> None:
    environ = github_env(api.url, tmp_path)
    del environ["GITHUB_TOKEN"]
    result = upsert_comment("report", MARKER, environ)
    assert (result.platform, result.action) == ("github", "skipped")
    assert "GITHUB_TOKEN" in (result.warning or "")
    assert api.calls == []

    environ["INPUT_GITHUB-TOKEN"] = GITHUB_TOKEN
    assert upsert_comment("report", MARKER, environ).action == "created"


# --- GitLab ---------------------------------------------------------------------------------


def test_gitlab_creates_then_updates_the_same_note(api: Api) -> None:
    api.gitlab_page_size = 2
    api.gitlab["3"] = [
        {"id": 1, "body": "pipeline passed", "author": {"username": "bot"}, "system": False},
        {"id": 2, "body": f"{OTHER_MARKER}\nstaging", "author": {"username": "bot"}},
        {"id": 3, "body": "added 1 commit", "system": True},
    ]
    environ = gitlab_env(api.url)
    first = upsert_comment("report one", MARKER, environ)
    assert first.platform == "gitlab" and first.action == "created"
    note = api.gitlab["3"][-1]
    assert note["body"] == f"{MARKER}\n\nreport one"
    assert first.url == f"https://gitlab.test/acme/shop/-/merge_requests/3#note_{note['id']}"
    post = api.writes()[0]
    assert post.path == "/gl/api/v4/projects/42/merge_requests/3/notes"
    assert post.headers["private-token"] == GITLAB_TOKEN
    assert "job-token" not in post.headers

    api.calls.clear()
    second = upsert_comment("report two", MARKER, environ)
    assert second == CommentResult("gitlab", "updated", first.url, None)
    assert [c.query.get("page", "1") for c in api.calls if c.method == "GET"] == ["1", "2"]
    assert all(c.query["per_page"] == "100" for c in api.calls if c.method == "GET")
    assert [(c.method, c.path) for c in api.writes()] == [
        ("PUT", f"/gl/api/v4/projects/42/merge_requests/3/notes/{note['id']}")
    ]
    assert [n["body"] for n in api.gitlab["3"]] == [
        "pipeline passed",
        f"{OTHER_MARKER}\nstaging",
        "added 1 commit",
        f"{MARKER}\n\nreport two",
    ]


def test_gitlab_pages_without_a_next_page_header(api: Api) -> None:
    api.gitlab_next_header = False
    api.gitlab["3"] = [{"id": i, "body": f"note {i}"} for i in range(1, 101)]
    api.gitlab["3"].append({"id": 101, "body": f"{MARKER}\nold"})
    result = upsert_comment("new", MARKER, gitlab_env(api.url))
    assert result.action == "updated"
    assert [c.query.get("page", "1") for c in api.calls if c.method == "GET"] == ["1", "2"]
    assert api.writes()[0].path.endswith("/notes/101")


def test_gitlab_token_choice(api: Api) -> None:
    upsert_comment("report", MARKER, gitlab_env(api.url, DBCI_GITLAB_TOKEN=GITLAB_TOKEN))
    assert api.calls[0].headers["private-token"] == GITLAB_TOKEN

    api.calls.clear()
    environ = gitlab_env(api.url)
    del environ["GITLAB_TOKEN"]
    result = upsert_comment("report", MARKER, environ)
    assert result.action == "updated"
    assert api.calls[0].headers["job-token"] == JOB_TOKEN
    assert "private-token" not in api.calls[0].headers

    del environ["CI_JOB_TOKEN"]
    result = upsert_comment("report", MARKER, environ)
    assert (result.action, result.platform) == ("skipped", "gitlab")
    assert "DBCI_GITLAB_TOKEN" in (result.warning or "")


# --- Azure DevOps ---------------------------------------------------------------------------


def test_azure_creates_then_updates_the_same_thread(api: Api) -> None:
    api.azure["11"] = [
        {"id": 1, "comments": [{"id": 1, "content": "build succeeded", "commentType": 1}]},
        {"id": 2, "comments": [{"id": 1, "content": f"{OTHER_MARKER}\nstaging"}]},
        {  # the marker in a reply does not make the thread ours
            "id": 3,
            "comments": [
                {"id": 1, "content": "why?"},
                {"id": 2, "parentCommentId": 1, "content": f"quoting {MARKER}"},
            ],
        },
    ]
    environ = azure_env(api.url)
    first = upsert_comment("report one", MARKER, environ)
    assert first.platform == "azure" and first.action == "created", first.warning
    thread = api.azure["11"][-1]
    prefix = "/az/org/Shop%20Team/_apis/git/repositories/repo-guid/pullRequests/11"
    post = api.writes()[0]
    assert (post.path, post.query) == (f"{prefix}/threads", {"api-version": "7.1"})
    assert post.body == {
        "comments": [
            {"parentCommentId": 0, "content": f"{MARKER}\n\nreport one", "commentType": 1}
        ],
        "status": 1,
    }
    assert post.headers["authorization"] == f"Bearer {AZURE_TOKEN}"
    assert first.url == (
        f"{api.url}/az/org/Shop%20Team/_git/shop/pullrequest/11?discussionId={thread['id']}"
    )

    api.calls.clear()
    second = upsert_comment("report two", MARKER, environ)
    assert second == CommentResult("azure", "updated", first.url, None)
    patch = api.writes()
    assert [(c.method, c.path, c.query) for c in patch] == [
        ("PATCH", f"{prefix}/threads/{thread['id']}/comments/1", {"api-version": "7.1"})
    ]
    assert patch[0].body == {"content": f"{MARKER}\n\nreport two"}
    assert len(api.azure["11"]) == 4
    assert api.azure["11"][1]["comments"][0]["content"] == f"{OTHER_MARKER}\nstaging"
    assert api.azure["11"][2]["comments"][1]["content"] == f"quoting {MARKER}"


def test_azure_on_a_github_repository_is_skipped(api: Api) -> None:
    result = upsert_comment("r", MARKER, azure_env(api.url, BUILD_REPOSITORY_PROVIDER="GitHub"))
    assert (result.platform, result.action) == ("azure", "skipped")
    assert "Azure Repos" in (result.warning or "")
    assert api.calls == []


def test_azure_without_the_access_token_is_skipped(api: Api) -> None:
    environ = azure_env(api.url)
    del environ["SYSTEM_ACCESSTOKEN"]
    result = upsert_comment("r", MARKER, environ)
    assert (result.platform, result.action) == ("azure", "skipped")
    assert "SYSTEM_ACCESSTOKEN" in (result.warning or "")
    assert api.calls == []


# --- failures: skipped, never raised --------------------------------------------------------

PLATFORMS = ["github", "gitlab", "azure"]
PREFIX = {"github": "gh", "gitlab": "gl", "azure": "az"}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_forbidden_post_is_skipped_with_a_warning(api: Api, tmp_path: Path, platform: str) -> None:
    # A fork's read-only token may read the comments but not write one.
    api.fail[("POST", PREFIX[platform])] = (
        403,
        {"message": "Resource not accessible by integration"},
    )
    result = upsert_comment("report", MARKER, env_for(platform, api.url, tmp_path))
    assert (result.platform, result.action, result.url) == (platform, "skipped", None)
    assert "403" in (result.warning or "")
    if platform == "github":
        assert "Resource not accessible by integration" in (result.warning or "")
        assert "fork" in (result.warning or "")
    _assert_clean(result)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_token_never_appears_in_the_warning(api: Api, tmp_path: Path, platform: str) -> None:
    token = {"github": GITHUB_TOKEN, "gitlab": GITLAB_TOKEN, "azure": AZURE_TOKEN}[platform]
    api.fail[("GET", PREFIX[platform])] = (
        401,
        {"message": f"token {token} rejected\nsee the\tdocs"},
    )
    result = upsert_comment("report", MARKER, env_for(platform, api.url, tmp_path))
    assert (result.platform, result.action) == (platform, "skipped")
    assert "***" in (result.warning or "")
    _assert_clean(result)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_connection_refused_is_skipped(tmp_path: Path, platform: str) -> None:
    dead = f"http://127.0.0.1:{_free_port()}"
    result = upsert_comment("report", MARKER, env_for(platform, dead, tmp_path))
    assert (result.platform, result.action, result.url) == (platform, "skipped", None)
    assert "cannot reach 127.0.0.1" in (result.warning or "")
    _assert_clean(result)


def _reference(tmp_path: Path) -> float:
    """Seconds a comment takes on a stand-in that answers at once (a listing and a post):
    the reference of an API call's bound."""
    with serving() as quick:
        return timed(lambda: upsert_comment("report", MARKER, github_env(quick.url, tmp_path)))[1]


def test_a_slow_api_times_out_and_is_skipped(api: Api, tmp_path: Path) -> None:
    # The first request's deadline ends the call, not its answer: that comes only after
    # `api.delay`, set far past the bound, so a call without a deadline could not pass.
    bound = Bound(wait=0.2, reference=_reference(tmp_path))
    api.delay = bound.release(at_least=10 * bound.wait)
    environ = github_env(api.url, tmp_path, DBCI_API_TIMEOUT=f"{bound.wait:g}")
    result, elapsed = timed(lambda: upsert_comment("report", MARKER, environ))
    bound.check(elapsed, "a comment on an API slower than its deadline")
    assert (result.platform, result.action) == ("github", "skipped")
    assert result.warning == (
        f"GET {api.url}/gh/repos/acme/shop/issues/7/comments timed out after 0.2 s "
        "(DBCI_API_TIMEOUT)"
    )
    _assert_clean(result)


@contextmanager
def trickling(phase: str, interval: float = 0.5, lasting: float = 10.0) -> Iterator[str]:
    """A local HTTP server that answers every request one byte every `interval` seconds,
    for `lasting` seconds (then it hangs up): its status line and headers ("headers"), or,
    after complete headers announcing a large JSON body, that body ("body"). Yields its
    URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"

    def answer(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            received = b""
            while b"\r\n\r\n" not in received:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                received += chunk
            if phase == "body":
                conn.sendall(head + b"Content-Length: 1000000\r\n\r\n")
                stream = b"[" + b" " * 999_998 + b"]"
            else:
                stream = head + b"X-Padding: " + b"a" * 60_000 + b"\r\n\r\n[]"
            ends = time.monotonic() + lasting
            for byte in stream:
                if stop.wait(interval) or time.monotonic() > ends:
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:  # the client hung up: its deadline passed
                    return

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


@pytest.mark.parametrize("phase", ["headers", "body"])
def test_an_api_that_trickles_its_answer_is_cut_off_at_the_deadline(
    tmp_path: Path, phase: str
) -> None:
    """A byte every 0.5 s never trips a socket timeout; the request's total deadline ends
    it all the same: not before it (the clock's grain aside), and within it plus what a
    comment costs on a stand-in that answers at once. The trickle lasts far past that
    bound, so a request without its deadline could not pass."""
    bound = Bound(wait=2, reference=_reference(tmp_path))
    with trickling(phase, lasting=bound.release(at_least=10)) as url:
        environ = github_env(url, tmp_path, DBCI_API_TIMEOUT=f"{bound.wait:g}")
        result, elapsed = timed(lambda: upsert_comment("report", MARKER, environ))
    assert elapsed >= bound.wait - 0.1, elapsed
    bound.check(elapsed, "a comment on an API that trickles its answer")
    assert (result.platform, result.action) == ("github", "skipped")
    assert "timed out after 2 s" in (result.warning or "")
    _assert_clean(result)


@pytest.mark.parametrize("value", ["soon", "0", "-5", "nan", "inf"])
def test_a_bad_api_timeout_is_skipped_naming_the_variable(
    api: Api, tmp_path: Path, value: str
) -> None:
    result = upsert_comment("report", MARKER, github_env(api.url, tmp_path, DBCI_API_TIMEOUT=value))
    assert (result.platform, result.action) == ("github", "skipped")
    assert result.warning == (
        f"DBCI_API_TIMEOUT must be a positive number of seconds, not {value!r}"
    )
    assert api.calls == []


def test_the_default_api_timeout() -> None:
    assert comments.DEFAULT_TIMEOUT_SECONDS == 30.0
    assert comments.api_timeout({}) == 30.0
    assert comments.api_timeout({"DBCI_API_TIMEOUT": " 2.5 "}) == 2.5


# --- runs racing each other: one comment stays ------------------------------------------------

AZURE_PREFIX = "/az/org/Shop%20Team/_apis/git/repositories/repo-guid/pullRequests/11"


def another_run(api: Api, platform: str, body: str) -> int:
    """The comment (thread) another run racing this one creates; its id."""
    if platform == "github":
        return int(github_comment(api, 7, body)["id"])
    if platform == "gitlab":
        return int(gitlab_note(api, "3", body)["id"])
    thread = {"comments": [{"parentCommentId": 0, "content": body, "commentType": 1}]}
    return int(azure_thread(api, "11", {**thread, "status": 1})["id"])


def visible(api: Api, platform: str) -> list[tuple[int, str]]:
    """(id, body) of each comment a reader of the pull request sees: on Azure, the threads
    neither deleted nor resolved, by their first comment."""
    if platform == "github":
        return [(c["id"], c["body"]) for c in api.github.get(7, [])]
    if platform == "gitlab":
        return [(n["id"], n["body"]) for n in api.gitlab.get("3", [])]
    return [
        (t["id"], t["comments"][0]["content"])
        for t in api.azure.get("11", [])
        if not t.get("isDeleted") and t["status"] in (1, "active")
    ]


def delete_path(platform: str, ident: int) -> str:
    """The documented DELETE of one comment (on Azure: the first comment of a thread)."""
    if platform == "github":
        return f"/gh/repos/acme/shop/issues/comments/{ident}"
    if platform == "gitlab":
        return f"/gl/api/v4/projects/42/merge_requests/3/notes/{ident}"
    return f"{AZURE_PREFIX}/threads/{ident}/comments/1"


def once(action: Callable[[], object]) -> Callable[[str], None]:
    """A `before_post`/`after_post` hook that runs `action` on the first POST only."""
    done: list[bool] = []

    def hook(_platform: str) -> None:
        if not done:
            done.append(True)
            action()

    return hook


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_run_that_created_beside_an_older_comment_edits_it_and_deletes_its_own(
    api: Api, tmp_path: Path, platform: str
) -> None:
    theirs: list[int] = []
    api.before_post = once(lambda: theirs.append(another_run(api, platform, f"{MARKER}\nold")))
    result = upsert_comment("mine", MARKER, env_for(platform, api.url, tmp_path))
    assert (result.action, result.warning) == ("updated", None)
    assert visible(api, platform) == [(theirs[0], f"{MARKER}\n\nmine")]
    ours = theirs[0] + 1
    assert [(c.method, c.path) for c in api.writes()][-1] == ("DELETE", delete_path(platform, ours))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_run_that_created_first_keeps_its_comment_and_deletes_the_newer(
    api: Api, tmp_path: Path, platform: str
) -> None:
    theirs: list[int] = []
    api.after_post = once(lambda: theirs.append(another_run(api, platform, f"{MARKER}\nnew")))
    result = upsert_comment("mine", MARKER, env_for(platform, api.url, tmp_path))
    assert (result.action, result.warning) == ("created", None)
    ours = theirs[0] - 1
    assert visible(api, platform) == [(ours, f"{MARKER}\n\nmine")]
    assert [c.method for c in api.writes()] == ["POST", "DELETE"]
    assert api.writes()[1].path == delete_path(platform, theirs[0])
    if platform == "azure":  # the thread is soft-deleted, still listed
        assert api.writes()[1].query == {"api-version": "7.1"}
        deleted = [t for t in api.azure["11"] if t["id"] == theirs[0]]
        assert deleted[0]["isDeleted"] is True


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_duplicate_another_run_deleted_first_is_no_error(
    api: Api, tmp_path: Path, platform: str
) -> None:
    api.after_post = once(lambda: another_run(api, platform, f"{MARKER}\nnew"))
    api.fail[("DELETE", PREFIX[platform])] = (404, {"message": "Not Found"})
    result = upsert_comment("mine", MARKER, env_for(platform, api.url, tmp_path))
    assert (result.platform, result.action, result.warning) == (platform, "created", None)
    assert [c.method for c in api.writes()] == ["POST", "DELETE"]  # answered 404


def test_an_azure_duplicate_someone_replied_to_is_closed(api: Api) -> None:
    def racer_with_a_reply() -> None:
        ident = another_run(api, "azure", f"{MARKER}\nnew")
        thread = api.azure["11"][-1]
        assert thread["id"] == ident
        thread["comments"].append({"id": 2, "parentCommentId": 1, "content": "why?"})

    api.after_post = once(racer_with_a_reply)
    result = upsert_comment("mine", MARKER, azure_env(api.url))
    assert (result.action, result.warning) == ("created", None)
    ours, theirs = api.azure["11"]
    assert visible(api, "azure") == [(ours["id"], f"{MARKER}\n\nmine")]
    assert theirs["comments"][0]["isDeleted"] is True
    assert "isDeleted" not in theirs  # the reply keeps the thread: it is closed instead
    assert theirs["status"] == 4 and theirs["comments"][1]["content"] == "why?"
    patch = api.writes()[-1]
    assert (patch.method, patch.path, patch.body) == (
        "PATCH",
        f"{AZURE_PREFIX}/threads/{theirs['id']}",
        {"status": 4},
    )


def test_a_failure_while_settling_still_reports_the_comment_posted(
    api: Api, tmp_path: Path
) -> None:
    api.after_post = once(lambda: another_run(api, "github", f"{MARKER}\nnew"))
    api.fail[("DELETE", "gh")] = (500, {"message": "Server Error"})
    result = upsert_comment("mine", MARKER, github_env(api.url, tmp_path))
    assert (result.action, result.warning) == ("created", None)
    assert [c.method for c in api.writes()] == ["POST", "DELETE"]  # answered 500
    assert len(visible(api, "github")) == 2  # a duplicate left, nothing lost


def test_an_answer_that_is_not_json_is_skipped(api: Api, tmp_path: Path) -> None:
    environ = github_env(api.url, tmp_path, GITHUB_API_URL=f"{api.url}/html")
    result = upsert_comment("report", MARKER, environ)
    assert (result.platform, result.action) == ("github", "skipped")
    assert "not JSON" in (result.warning or "")
    _assert_clean(result)


# --- not in a pull/merge request ------------------------------------------------------------


@pytest.mark.parametrize(
    "environ",
    [
        pytest.param({}, id="no-ci"),
        pytest.param({"CI": "true", "GITHUB_ACTIONS": "false"}, id="other-ci"),
        pytest.param(
            {"GITHUB_ACTIONS": "true", "GITHUB_TOKEN": GITHUB_TOKEN}, id="github-no-event"
        ),
        pytest.param({"GITLAB_CI": "true", "GITLAB_TOKEN": GITLAB_TOKEN}, id="gitlab-branch"),
        pytest.param({"TF_BUILD": "True", "SYSTEM_ACCESSTOKEN": AZURE_TOKEN}, id="azure-branch"),
    ],
)
def test_not_in_a_request(environ: dict[str, str]) -> None:
    assert upsert_comment("report", MARKER, environ) == CommentResult(
        "none", "skipped", None, "not running in a pull/merge request"
    )


def test_platforms_are_detected_in_order(api: Api, tmp_path: Path) -> None:
    environ = {**azure_env(api.url), **gitlab_env(api.url), **github_env(api.url, tmp_path)}
    assert upsert_comment("r", MARKER, environ).platform == "github"
    del environ["GITHUB_ACTIONS"]
    assert upsert_comment("r", MARKER, environ).platform == "gitlab"
    del environ["GITLAB_CI"]
    assert upsert_comment("r", MARKER, environ).platform == "azure"


# --- truncation -----------------------------------------------------------------------------


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_overlong_body_is_truncated_to_the_platform_limit(
    api: Api, tmp_path: Path, platform: str
) -> None:
    limit = BODY_LIMITS[platform]
    line = "| V1__init.sql | ok | 12 ms |\n"
    body = "## Report\n\n" + line * (limit // len(line) + 10)
    result = upsert_comment(body, MARKER, env_for(platform, api.url, tmp_path))
    assert result.action == "created", result.warning
    payload = api.writes()[0].body
    sent = payload["comments"][0]["content"] if platform == "azure" else payload["body"]
    assert len(sent) <= limit
    assert sent.startswith(f"{MARKER}\n\n## Report\n\n| V1__init.sql")
    assert sent.endswith("\n\n" + TRUNCATION_LINE)
    assert sent[: -len(TRUNCATION_LINE)].rstrip().endswith("| 12 ms |")  # cut at a line end


def test_truncate_body() -> None:
    assert BODY_LIMITS == {"github": 65_536, "gitlab": 1_000_000, "azure": 150_000}
    assert truncate_body("short", 100) == "short"
    assert truncate_body("x" * 100, 100) == "x" * 100
    cut = truncate_body("x" * 101, 100)
    assert len(cut) <= 100 and cut.endswith(TRUNCATION_LINE)
    fenced = truncate_body("intro\n```sql\n" + "select 1;\n" * 50, 200)
    assert len(fenced) <= 200
    assert fenced.endswith("\n```\n\n" + TRUNCATION_LINE)  # the open code fence is closed


def test_dbci_report_comment_creates_then_edits_one_comment(api: Api, tmp_path: Path) -> None:
    """The command line, as a CI step runs it: two runs, one comment, edited."""
    from support.cli import run_dbci

    project = tmp_path / "shop"
    (project / "migrations").mkdir(parents=True)
    (project / "migrations" / "V1__a.sql").write_text("DELETE FROM orders;\n")
    run_dbci("--project", project, "check", "--dialect", "postgres")
    env = {**github_env(api.url, tmp_path), "no_proxy": "*", "NO_PROXY": "*"}
    first = run_dbci("--project", project, "report", "--comment", env=env)
    assert first.returncode == 0, first.stderr
    assert "Comment created on github" in first.stdout
    (project / "migrations" / "V1__a.sql").write_text("DELETE FROM orders WHERE id = 1;\n")
    run_dbci("--project", project, "check", "--dialect", "postgres")
    second = run_dbci("--project", project, "report", "--comment", env=env)
    assert "Comment updated on github" in second.stdout
    assert len(api.github[7]) == 1
    body = api.github[7][0]["body"]
    assert body.startswith("<!-- dbci-report") and "DB105" not in body
    assert GITHUB_TOKEN not in first.stdout + first.stderr + second.stdout + second.stderr
    api.fail[("POST", "gh")] = (403, {"message": "Resource not accessible by integration"})
    api.github.clear()
    forked = run_dbci("--project", project, "report", "--comment", env=env)
    assert forked.returncode == 0 and "WARNING: comment not posted" in forked.stderr
