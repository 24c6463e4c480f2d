"""Azure Pipelines on Azure Repos: the pull request's comment thread, through the REST API.

Azure DevOps has no way to delete a thread: deleting its comment soft-deletes it, and a
thread all of whose comments are deleted is deleted itself; a duplicate thread that someone
replied to is closed as well, so that only one active dbci thread shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from dbci.ci.client import (
    Client,
    Created,
    Found,
    HttpFailure,
    NotInRequest,
    Skip,
    display_url,
    id_of,
    rank,
    required,
    with_query,
)

_AZURE_API_VERSION = "7.1"


class Azure(Client):
    """A pull request's comment thread, on Azure Pipelines for Azure Repos."""

    platform = "azure"
    detect = "TF_BUILD"
    body_limit = 150_000
    token_variables = ("SYSTEM_ACCESSTOKEN",)

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
    def from_environ(cls, environ: Mapping[str, str]) -> Azure:
        pr = environ.get("SYSTEM_PULLREQUEST_PULLREQUESTID", "").strip()
        if not pr:
            raise NotInRequest
        provider = environ.get("BUILD_REPOSITORY_PROVIDER", "").strip()
        if provider and provider.lower() not in ("tfsgit", "azurerepos"):
            raise Skip(
                f"the repository is on {provider}, not Azure Repos: "
                "Azure Pipelines comments only on Azure Repos pull requests"
            )
        token = environ.get("SYSTEM_ACCESSTOKEN", "").strip()
        if not token:
            raise Skip(
                "SYSTEM_ACCESSTOKEN is not set "
                "(map it in the step: env: SYSTEM_ACCESSTOKEN: $(System.AccessToken))"
            )
        org = required(environ, "SYSTEM_COLLECTIONURI")
        project = required(environ, "SYSTEM_TEAMPROJECT")
        repo = required(environ, "BUILD_REPOSITORY_ID")
        web_repo = environ.get("BUILD_REPOSITORY_NAME", "").strip() or None
        return cls(org, project, repo, pr, token, web_repo)

    def _api(self, url: str) -> str:
        return with_query(url, {"api-version": _AZURE_API_VERSION})

    def _thread_url(self, thread_id: str) -> str:
        if self.web_pr_url is not None:
            return f"{self.web_pr_url}?discussionId={quote(thread_id, safe='')}"
        return f"{self.threads_url}/{quote(thread_id, safe='')}"

    def find_all(self, marker: str) -> list[Found]:
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
                thread_id = id_of(thread)
                replies = sum(
                    1 for c in comments[1:] if isinstance(c, dict) and not c.get("isDeleted")
                )
                found.append(Found(id_of(first), thread_id, rank=rank(thread_id), replies=replies))
        return found

    def create(self, body: str) -> Created:
        payload = {
            "comments": [{"parentCommentId": 0, "content": body, "commentType": 1}],
            "status": 1,  # CommentThreadStatus "active"
        }
        data = self.request("POST", self._api(self.threads_url), payload).data
        comments = data.get("comments") if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(comments, list) or not comments:
            raise Skip(f"POST {display_url(self.threads_url)} did not answer the thread it created")
        first = comments[0] if isinstance(comments[0], dict) else {}
        thread_id = id_of(data)
        found = Found(id_of(first), thread_id, rank=rank(thread_id))
        return Created(found, self._thread_url(thread_id))

    def _comment_url(self, found: Found) -> str:
        return (
            f"{self.threads_url}/{quote(found.thread_id or '', safe='')}"
            f"/comments/{quote(found.comment_id, safe='')}"
        )

    def update(self, found: Found, body: str) -> str | None:
        self.request("PATCH", self._api(self._comment_url(found)), {"content": body})
        return self._thread_url(found.thread_id or "")

    def delete(self, found: Found) -> None:
        """Delete the thread's first comment: a thread cannot be deleted itself, but one
        whose comments are all deleted is. A thread someone replied to stays (with its
        replies), so it is closed too, and shows collapsed among the resolved threads."""
        self.delete_url(self._api(self._comment_url(found)))
        if found.replies:
            url = f"{self.threads_url}/{quote(found.thread_id or '', safe='')}"
            try:
                self.request("PATCH", self._api(url), {"status": 4})  # "closed"
            except HttpFailure as err:
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
