"""GitHub Actions: the pull request's comment, through the REST API's issue comments."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

from dbci.ci.client import (
    PER_PAGE,
    Client,
    Created,
    Found,
    NotInRequest,
    Skip,
    display_url,
    id_of,
    next_link,
    rank,
    required,
    url_of,
)

_GITHUB_API = "https://api.github.com"


def _github_pr_number(event_path: str) -> int:
    """The pull request number in the GitHub Actions event file; NotInRequest without one."""
    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        detail = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise Skip(f"cannot read GITHUB_EVENT_PATH ({event_path}): {detail}") from None
    if not isinstance(event, dict):
        raise NotInRequest
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
    raise NotInRequest


class GitHub(Client):
    """A pull request's issue comments, on GitHub Actions."""

    platform = "github"
    detect = "GITHUB_ACTIONS"
    body_limit = 65_536
    token_variables = ("GITHUB_TOKEN", "INPUT_GITHUB-TOKEN")

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
    def from_environ(cls, environ: Mapping[str, str]) -> GitHub:
        event_path = environ.get("GITHUB_EVENT_PATH", "").strip()
        if not event_path:
            raise NotInRequest
        number = _github_pr_number(event_path)
        token = (
            environ.get("GITHUB_TOKEN", "").strip() or environ.get("INPUT_GITHUB-TOKEN", "").strip()
        )
        if not token:
            raise Skip("GITHUB_TOKEN is not set (pass the workflow's token in the step's env)")
        repo = required(environ, "GITHUB_REPOSITORY")
        if repo.count("/") != 1 or repo.startswith("/") or repo.endswith("/"):
            raise Skip(f"GITHUB_REPOSITORY is not owner/name: {repo!r}")
        api = environ.get("GITHUB_API_URL", "").strip() or _GITHUB_API
        return cls(api, repo, number, token)

    def find_all(self, marker: str) -> list[Found]:
        url = f"{self.repo_url}/issues/{self.number}/comments?per_page={PER_PAGE}"
        found = []
        for item in self.pages(url, lambda resp, _url, _items: next_link(resp.headers["Link"])):
            if isinstance(item, dict) and marker in str(item.get("body") or ""):
                ident = id_of(item)
                found.append(Found(ident, rank=rank(ident)))
        return found

    def create(self, body: str) -> Created:
        url = f"{self.repo_url}/issues/{self.number}/comments"
        data = self.request("POST", url, {"body": body}).data
        if not isinstance(data, dict):
            raise Skip(f"POST {display_url(url)} did not answer the comment it created")
        ident = id_of(data)
        return Created(Found(ident, rank=rank(ident)), url_of(data, "html_url"))

    def _comment_url(self, found: Found) -> str:
        return f"{self.repo_url}/issues/comments/{quote(found.comment_id, safe='')}"

    def update(self, found: Found, body: str) -> str | None:
        data = self.request("PATCH", self._comment_url(found), {"body": body}).data
        return url_of(data, "html_url")

    def delete(self, found: Found) -> None:
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
