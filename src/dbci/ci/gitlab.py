"""GitLab CI: the merge request's note, through the REST API (v4)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, quote, urlsplit

from dbci.ci.client import (
    PER_PAGE,
    Client,
    Created,
    Found,
    NotInRequest,
    Response,
    Skip,
    display_url,
    id_of,
    rank,
    required,
    with_query,
)


class GitLab(Client):
    """A merge request's notes, on GitLab CI."""

    platform = "gitlab"
    detect = "GITLAB_CI"
    body_limit = 1_000_000
    token_variables = ("DBCI_GITLAB_TOKEN", "GITLAB_TOKEN", "CI_JOB_TOKEN")

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
    def from_environ(cls, environ: Mapping[str, str]) -> GitLab:
        iid = environ.get("CI_MERGE_REQUEST_IID", "").strip()
        if not iid:
            raise NotInRequest
        api = required(environ, "CI_API_V4_URL")
        # The IID numbers the merge request in its target project, which differs from the
        # pipeline's project when the pipeline runs in a fork.
        project = environ.get("CI_MERGE_REQUEST_PROJECT_ID", "").strip() or required(
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
        raise Skip("no GitLab token: set DBCI_GITLAB_TOKEN (api scope) or GITLAB_TOKEN")

    def _note_url(self, data: object) -> str | None:
        if self.web_url is None or not isinstance(data, dict) or "id" not in data:
            return None
        return f"{self.web_url}/-/merge_requests/{self.iid}#note_{data['id']}"

    def find_all(self, marker: str) -> list[Found]:
        first = with_query(self.notes_url, {"per_page": str(PER_PAGE), "sort": "asc"})

        def next_page(resp: Response, url: str, items: list[object]) -> str | None:
            header = resp.headers["X-Next-Page"]
            if header is not None:
                page = header.strip()
                return with_query(url, {"page": page}) if page.isdigit() else None
            if len(items) < PER_PAGE:  # no header: a short page is the last
                return None
            current = dict(parse_qsl(urlsplit(url).query)).get("page", "1")
            return with_query(url, {"page": str(int(current) + 1 if current.isdigit() else 2)})

        found = []
        for item in self.pages(first, next_page):
            if isinstance(item, dict) and marker in str(item.get("body") or ""):
                ident = id_of(item)
                found.append(Found(ident, rank=rank(ident)))
        return found

    def create(self, body: str) -> Created:
        data = self.request("POST", self.notes_url, {"body": body}).data
        if not isinstance(data, dict):
            raise Skip(f"POST {display_url(self.notes_url)} did not answer the note it created")
        ident = id_of(data)
        return Created(Found(ident, rank=rank(ident)), self._note_url(data))

    def update(self, found: Found, body: str) -> str | None:
        url = f"{self.notes_url}/{quote(found.comment_id, safe='')}"
        return self._note_url(self.request("PUT", url, {"body": body}).data)

    def delete(self, found: Found) -> None:
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
