"""The release (.github/workflows/release.yml): its steps' scripts run for real.

The structure of the workflow (trigger, platforms, GHCR, provenance and SBOM) is read in
tests/test_example_workflows.py. Here the parts that are scripts are run as GitHub runs a
`run:` step without a `shell:` (`bash -e FILE`) on copies of the real files:

* `.github/release/pin_action_image.py` on a copy of action.yml: `runs.image` becomes
  `docker://ghcr.io/OWNER/dbci@sha256:…` and nothing else changes; a malformed digest, an
  upper-case owner or an action.yml already pinned is refused and the file left alone;
* the publish job's steps in a git repository whose `origin` is a local bare repository:
  the release commit's parent is the tagged commit, the tags v1.2.3, v1.2 and v1 are moved
  to it on origin, and the release notes (written by a stand-in `gh` on PATH) give the
  image digest and the release commit's SHA;
* the image job's name step lower-cases the owner, and its base step takes the digest from
  `docker buildx imagetools inspect --format '{{json .Manifest}}'` (a stand-in `docker`)
  and refuses output without one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / ".github" / "workflows" / "release.yml"
PIN = ROOT / ".github" / "release" / "pin_action_image.py"
ACTION = ROOT / "action.yml"
IMAGE = "ghcr.io/your-org/dbci"
DIGEST = "sha256:" + "0123456789abcdef" * 4
BASE_DIGEST = "sha256:" + "fedcba9876543210" * 4
PINNED = f"docker://{IMAGE}@{DIGEST}"


def _jobs() -> dict[str, Any]:
    return yaml.safe_load(RELEASE.read_text(encoding="utf-8"))["jobs"]


def _step(job: str, name: str) -> dict[str, Any]:
    (step,) = [s for s in _jobs()[job]["steps"] if s.get("name") == name]
    return step


def _run_step(
    step: dict[str, Any], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """A `run:` step as GitHub's runner runs one without a `shell:` (`bash -e {0}`, the
    script in a file outside the working directory)."""
    assert "shell" not in step
    handle, name = tempfile.mkstemp(suffix=".sh")
    with os.fdopen(handle, "w", encoding="utf-8") as script:
        script.write(step["run"])
    try:
        return subprocess.run(
            ["bash", "-e", name],
            cwd=cwd,
            env={**_runner_environ(), **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        os.unlink(name)


def _runner_environ() -> dict[str, str]:
    """This process's environment without the git identity the fixtures set: the runner has
    none, and the workflow sets its own."""
    return {
        k: v for k, v in os.environ.items() if not k.startswith(("GIT_AUTHOR_", "GIT_COMMITTER_"))
    }


def _outputs(path: Path) -> dict[str, str]:
    """A `$GITHUB_OUTPUT` file of `name=value` lines."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return dict(line.split("=", 1) for line in lines)


def _pin(path: Path, image: str, digest: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PIN), str(path), image, digest],
        capture_output=True,
        text=True,
        timeout=30,
    )


def _without_image(action: dict[str, Any]) -> dict[str, Any]:
    return {**action, "runs": {k: v for k, v in action["runs"].items() if k != "image"}}


# --- the pin script -------------------------------------------------------------------


def test_pin_points_the_real_action_yml_at_the_image_and_changes_nothing_else(
    tmp_path: Path,
) -> None:
    original = ACTION.read_text(encoding="utf-8")
    assert yaml.safe_load(original)["runs"] == {"using": "docker", "image": "Dockerfile"}
    copy = tmp_path / "action.yml"
    copy.write_text(original, encoding="utf-8")
    done = _pin(copy, IMAGE, DIGEST)
    assert done.returncode == 0, done.stderr
    pinned = copy.read_text(encoding="utf-8")
    before, after = yaml.safe_load(original), yaml.safe_load(pinned)
    assert after["runs"]["image"] == PINNED
    assert after["runs"]["using"] == "docker"
    assert _without_image(after) == _without_image(before)
    # The text too: one line differs (comments and layout kept), the same line count.
    changed = [
        (a, b) for a, b in zip(original.splitlines(), pinned.splitlines(), strict=True) if a != b
    ]
    assert changed == [("  image: Dockerfile", f"  image: {PINNED}")]
    assert pinned.endswith("\n")


@pytest.mark.parametrize(
    "digest",
    [
        "sha256:abc",  # short
        DIGEST.upper().replace("SHA256", "sha256"),  # upper-case hex
        DIGEST + "0",  # long
        DIGEST.replace("sha256", "sha512"),
        DIGEST[len("sha256:") :],  # no algorithm
        "",  # the build step's output missing
        f"{DIGEST}\nimage: evil",  # a line break
    ],
    ids=["short", "upper", "long", "sha512", "bare", "empty", "newline"],
)
def test_pin_refuses_a_malformed_digest_and_leaves_the_file(tmp_path: Path, digest: str) -> None:
    copy = tmp_path / "action.yml"
    shutil.copy(ACTION, copy)
    done = _pin(copy, IMAGE, digest)
    assert done.returncode == 2
    assert "not a sha256 digest" in done.stderr
    assert copy.read_text(encoding="utf-8") == ACTION.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "image",
    ["ghcr.io/Your-Org/dbci", "ghcr.io/your-org/dbci:1", "docker://ghcr.io/your-org/dbci", ""],
    ids=["upper-case-owner", "tag", "scheme", "empty"],
)
def test_pin_refuses_a_malformed_image(tmp_path: Path, image: str) -> None:
    copy = tmp_path / "action.yml"
    shutil.copy(ACTION, copy)
    done = _pin(copy, image, DIGEST)
    assert done.returncode == 2 and "not a lower-case image repository" in done.stderr
    assert copy.read_text(encoding="utf-8") == ACTION.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "runs",
    [
        f"runs:\n  using: docker\n  image: {PINNED}\n",  # pinned already
        "runs:\n  using: node20\n  main: index.js\n",
        "runs:\n  using: docker\n  image: Dockerfile\n  image: Dockerfile\n",
        "name: no runs block\n",
    ],
    ids=["pinned", "node", "twice", "no-runs"],
)
def test_pin_refuses_an_action_yml_it_cannot_pin(tmp_path: Path, runs: str) -> None:
    copy = tmp_path / "action.yml"
    text = "name: dbci\n" + runs
    copy.write_text(text, encoding="utf-8")
    done = _pin(copy, IMAGE, DIGEST)
    assert done.returncode == 2 and "pin_action_image" in done.stderr
    assert copy.read_text(encoding="utf-8") == text


def test_pin_keeps_a_comment_out_of_the_way(tmp_path: Path) -> None:
    copy = tmp_path / "action.yml"
    copy.write_text(
        "name: x\nruns:\n  using: 'docker'\n  image: 'Dockerfile' # for uses: ./\n"
        "# a trailing comment\n",
        encoding="utf-8",
    )
    assert _pin(copy, IMAGE, DIGEST).returncode == 0
    assert yaml.safe_load(copy.read_text(encoding="utf-8"))["runs"]["image"] == PINNED
    assert copy.read_text(encoding="utf-8").endswith("# a trailing comment\n")


# --- the publish job, run against a local origin ---------------------------------------


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "dev",
    "GIT_AUTHOR_EMAIL": "dev@example.com",
    "GIT_COMMITTER_NAME": "dev",
    "GIT_COMMITTER_EMAIL": "dev@example.com",
}


@pytest.fixture
def tagged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, str]:
    """(a checkout of the tagged commit, its bare origin, the tagged commit's SHA): origin
    has v1.2.3 on it and v1.2 and v1 on an earlier release."""
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    _git(tmp_path, "init", "--quiet", "--bare", str(origin))
    _git(tmp_path, "init", "--quiet", str(work))
    _git(work, "remote", "add", "origin", str(origin))
    (work / "README.md").write_text("dbci\n", encoding="utf-8")
    _git(work, "add", ".")
    _git(work, "commit", "--quiet", "-m", "the previous release")
    _git(work, "tag", "v1.2")
    _git(work, "tag", "v1")
    shutil.copy(ACTION, work / "action.yml")
    (work / ".github" / "release").mkdir(parents=True)
    shutil.copy(PIN, work / ".github" / "release" / PIN.name)
    _git(work, "add", ".")
    _git(work, "commit", "--quiet", "-m", "main's head")
    _git(work, "tag", "v1.2.3")
    _git(work, "push", "--quiet", "origin", "HEAD:refs/heads/main", "--tags")
    sha = _git(work, "rev-parse", "HEAD")
    _git(work, "checkout", "--quiet", "--detach", sha)  # actions/checkout of github.sha
    return work, origin, sha


def _fake_gh(directory: Path) -> Path:
    """A `gh` that has no release yet and keeps what `release create` was given."""
    directory.mkdir()
    gh = directory / "gh"
    gh.write_text(
        "#!/bin/bash\n"
        'if [ "$1 $2" = "release view" ]; then exit 1; fi\n'
        'printf "%s\\n" "$@" > "$GH_ARGS"\n'
        "while [ $# -gt 0 ]; do\n"
        '  if [ "$1" = --notes-file ]; then cp "$2" "$GH_NOTES"; fi\n'
        "  shift\n"
        "done\n",
        encoding="utf-8",
    )
    gh.chmod(0o755)
    return directory


def _publish_env(tmp_path: Path, sha: str, tag: str = "v1.2.3") -> dict[str, str]:
    env = {
        "IMAGE": IMAGE,
        "DIGEST": DIGEST,
        "BASE": f"debian:bookworm-slim@{BASE_DIGEST}",
        "TAG": tag,
        "GITHUB_SHA": sha,
        "GITHUB_OUTPUT": str(tmp_path / "output"),
    }
    # The job's env: what the workflow gives every step of the publish job.
    job_env = _jobs()["publish"]["env"]
    assert set(job_env) == {"IMAGE", "DIGEST", "BASE", "TAG"}
    return env


def test_publish_pins_commits_moves_the_tags_and_writes_the_release(
    tagged: tuple[Path, Path, str], tmp_path: Path
) -> None:
    work, origin, tagged_sha = tagged
    env = _publish_env(tmp_path, tagged_sha)

    pin = _run_step(_step("publish", "pin action.yml to the image"), work, env)
    assert pin.returncode == 0, pin.stdout + pin.stderr
    commit = _run_step(
        _step("publish", "commit the released action.yml and move the tags"), work, env
    )
    assert commit.returncode == 0, commit.stdout + commit.stderr
    outputs = _outputs(tmp_path / "output")
    release_sha = outputs["sha"]
    assert (outputs["minor"], outputs["major"]) == ("v1.2", "v1")

    # On origin: the three tags on the release commit, whose parent is the tagged commit and
    # whose only change is action.yml's image line.
    for tag in ("v1.2.3", "v1.2", "v1"):
        assert _git(origin, "rev-parse", f"refs/tags/{tag}^{{commit}}") == release_sha, tag
    assert _git(origin, "rev-parse", f"{release_sha}^") == tagged_sha
    assert _git(origin, "rev-parse", "refs/heads/main") == tagged_sha, "main is not touched"
    assert _git(origin, "diff", "--name-only", tagged_sha, release_sha) == "action.yml"
    released = yaml.safe_load(_git(origin, "show", f"{release_sha}:action.yml"))
    assert released["runs"] == {"using": "docker", "image": PINNED}
    assert _without_image(released) == _without_image(yaml.safe_load(ACTION.read_text()))
    author = _git(origin, "log", "-1", "--format=%an <%ae>|%cn", release_sha)
    assert author == (
        "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>"
        "|github-actions[bot]"
    )

    bin_dir = _fake_gh(tmp_path / "bin")
    step = _step("publish", "the GitHub release")
    release_env = {
        **env,
        "SHA": release_sha,
        "MINOR": "v1.2",
        "MAJOR": "v1",
        "REPOSITORY": "your-org/dbci",
        "OWNER": "your-org",
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GH_ARGS": str(tmp_path / "gh-args"),
        "GH_NOTES": str(tmp_path / "notes.md"),
    }
    done = _run_step(step, work, release_env)
    assert done.returncode == 0, done.stdout + done.stderr
    args = (tmp_path / "gh-args").read_text(encoding="utf-8").splitlines()
    assert args[:3] == ["release", "create", "v1.2.3"] and "--verify-tag" in args
    notes = (tmp_path / "notes.md").read_text(encoding="utf-8")
    assert f"{IMAGE}@{DIGEST}" in notes
    assert f"uses: your-org/dbci@{release_sha} # v1.2.3" in notes
    assert "uses: your-org/dbci@v1`" in notes
    assert f"Release commit: {release_sha}" in notes
    assert f"debian:bookworm-slim@{BASE_DIGEST}" in notes
    assert f"gh attestation verify oci://{IMAGE}@{DIGEST} --owner your-org" in notes
    assert "$" not in notes and "\\`" not in notes, "an unexpanded variable in the notes"


def test_publish_stops_before_any_push_on_a_malformed_digest(
    tagged: tuple[Path, Path, str], tmp_path: Path
) -> None:
    work, origin, tagged_sha = tagged
    env = {**_publish_env(tmp_path, tagged_sha), "DIGEST": "sha256:"}
    pin = _run_step(_step("publish", "pin action.yml to the image"), work, env)
    assert pin.returncode != 0 and "not a sha256 digest" in pin.stderr
    assert _git(work, "status", "--porcelain") == ""
    assert _git(origin, "rev-parse", "refs/tags/v1.2.3^{commit}") == tagged_sha


def test_publish_refuses_a_tag_that_is_not_a_release(
    tagged: tuple[Path, Path, str], tmp_path: Path
) -> None:
    work, origin, tagged_sha = tagged
    tags = _git(origin, "show-ref", "--tags")
    env = _publish_env(tmp_path, tagged_sha, tag="v1.2.3-rc1")
    assert _run_step(_step("publish", "pin action.yml to the image"), work, env).returncode == 0
    commit = _run_step(
        _step("publish", "commit the released action.yml and move the tags"), work, env
    )
    assert commit.returncode != 0 and "not a release tag" in commit.stdout
    assert _git(work, "rev-parse", "HEAD") == tagged_sha, "nothing committed"
    assert _git(origin, "show-ref", "--tags") == tags, "no tag moved"


# --- the image job's scripts --------------------------------------------------------------


def test_the_image_name_is_lower_case(tmp_path: Path) -> None:
    env = {"OWNER": "Your-Org", "GITHUB_OUTPUT": str(tmp_path / "output")}
    done = _run_step(_step("image", "the image's name"), tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert _outputs(tmp_path / "output") == {"image": "ghcr.io/your-org/dbci"}


def _fake_docker(directory: Path, manifest: str) -> Path:
    """A `docker` whose `buildx imagetools inspect … --format '{{json .Manifest}}'` prints
    `manifest` (as buildx prints a multi-platform index: its descriptor fields and its
    manifests) and records its arguments."""
    directory.mkdir()
    (directory / "manifest.json").write_text(manifest, encoding="utf-8")
    docker = directory / "docker"
    docker.write_text(
        f'#!/bin/bash\nprintf "%s\\n" "$@" > "$DOCKER_ARGS"\ncat "{directory / "manifest.json"}"\n',
        encoding="utf-8",
    )
    docker.chmod(0o755)
    return directory


INDEX = f"""{{
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "digest": "{BASE_DIGEST}",
  "size": 1234,
  "manifests": [
    {{"mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "sha256:{"1" * 64}", "size": 1, "platform":
      {{"architecture": "amd64", "os": "linux"}}}},
    {{"mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "sha256:{"2" * 64}", "size": 1, "platform":
      {{"architecture": "arm64", "os": "linux", "variant": "v8"}}}}
  ]
}}
"""


@pytest.mark.optional(reason="jq is not installed here (GitHub's runners have it)")
@pytest.mark.parametrize(
    ("manifest", "ok"),
    [(INDEX, True), ('{"schemaVersion": 2}', False), ("no json", False)],
    ids=["index", "no-digest", "not-json"],
)
def test_the_base_is_pinned_by_the_index_digest(tmp_path: Path, manifest: str, ok: bool) -> None:
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    bin_dir = _fake_docker(tmp_path / "bin", manifest)
    base_image = yaml.safe_load(RELEASE.read_text(encoding="utf-8"))["env"]["BASE_IMAGE"]
    env = {
        "BASE_IMAGE": base_image,
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "DOCKER_ARGS": str(tmp_path / "docker-args"),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
    }
    done = _run_step(_step("image", "the base image's digest"), tmp_path, env)
    args = (tmp_path / "docker-args").read_text(encoding="utf-8").splitlines()
    assert args == ["buildx", "imagetools", "inspect", base_image, "--format", "{{json .Manifest}}"]
    if not ok:
        assert done.returncode != 0 and "::error::no digest" in done.stdout
        assert "reference" not in _outputs(tmp_path / "output")
        return
    assert done.returncode == 0, done.stderr
    assert _outputs(tmp_path / "output") == {
        "digest": BASE_DIGEST,
        "reference": f"debian:bookworm-slim@{BASE_DIGEST}",
        "name": "docker.io/library/debian:bookworm-slim",
    }


def test_the_dockerfile_takes_the_pinned_base_as_base_image() -> None:
    """The release's build argument is the Dockerfile's first instruction, an ARG whose
    default is the image the release pins, and the first stage is built FROM it."""
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    base_image = yaml.safe_load(RELEASE.read_text(encoding="utf-8"))["env"]["BASE_IMAGE"]
    assert lines[0] == f"ARG BASE_IMAGE={base_image}"
    assert re.fullmatch(r"FROM \$\{BASE_IMAGE\}( AS \w+)?", lines[1]), lines[1]
