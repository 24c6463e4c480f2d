"""The project's name in report.json (`project`), its reports and the hidden marker of its
pull/merge-request comment: `[dbci] project`, else the repository the CI system names,
else the project folder's name.

The repository is `GITHUB_REPOSITORY` (GitHub Actions), `CI_PROJECT_PATH` (GitLab CI),
`BUILD_REPOSITORY_NAME` (Azure Pipelines), in that order. A project in a subfolder of that
repository's checkout (`--project db/orders`, the action's `working-directory`) is named by
the repository and that folder, `acme/shop/db/orders`: two projects of one repository must
not share (and overwrite) one comment. Every run of one project computes the same name, so
a later run finds the comment an earlier one posted.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dbci.settings.config import Settings

# Each CI system's repository name, and the folder its checkout is in.
REPOSITORY_VARIABLES: tuple[tuple[str, str], ...] = (
    ("GITHUB_REPOSITORY", "GITHUB_WORKSPACE"),
    ("CI_PROJECT_PATH", "CI_PROJECT_DIR"),
    ("BUILD_REPOSITORY_NAME", "BUILD_SOURCESDIRECTORY"),
)


def project_name(settings: Settings, environ: Mapping[str, str] | None = None) -> str:
    """`[dbci] project` (checked to be a non-empty string when the settings were read),
    else the repository (with the project's folder inside its checkout, if any), else the
    project folder's name. `environ`: the variables to read (os.environ when None)."""
    configured = settings.dbci.get("project")
    if isinstance(configured, str) and configured.strip():
        return configured.strip()
    environ = os.environ if environ is None else environ
    for repository_variable, checkout_variable in REPOSITORY_VARIABLES:
        repository = environ.get(repository_variable, "").strip()
        if repository:
            inside = _folder_inside(settings.project_dir, environ.get(checkout_variable, ""))
            return f"{repository}/{inside}" if inside else repository
    return settings.project_dir.name


def _folder_inside(project_dir: Path, checkout: str) -> str | None:
    """The project folder relative to the checkout (`db/orders`), or None when it is the
    checkout itself, outside it, or the checkout is not known."""
    if not checkout.strip():
        return None
    try:
        relative = project_dir.resolve().relative_to(Path(checkout).resolve())
    except (OSError, ValueError):
        return None
    text = PurePosixPath(*relative.parts).as_posix()
    return None if text in ("", ".") else text
