"""The example CI workflows in examples/workflows/ parse, and gate production on approval."""

from __future__ import annotations

from pathlib import Path

import yaml

WORKFLOWS = Path(__file__).resolve().parent.parent / "examples" / "workflows"


def test_github_workflow_deploys_production_through_an_environment() -> None:
    flow = yaml.safe_load((WORKFLOWS / "github-deploy.yml").read_text())
    production = flow["jobs"]["deploy-production"]
    assert production["environment"] == "production" and production["needs"] == "deploy-qa"
    assert any("deploy --plan" in str(step.get("run", "")) for step in production["steps"])


def test_gitlab_pipeline_deploys_production_by_hand_in_a_protected_environment() -> None:
    flow = yaml.safe_load((WORKFLOWS / "gitlab-deploy.yml").read_text())
    production = flow["deploy-production"]
    assert production["environment"] == "production"
    assert production["rules"][0]["when"] == "manual"
    assert flow["check"]["artifacts"]["reports"]["junit"] == "dbci-report/junit.xml"


def test_azure_pipeline_deploys_production_as_a_deployment_job() -> None:
    flow = yaml.safe_load((WORKFLOWS / "azure-deploy.yml").read_text())
    stage = next(s for s in flow["stages"] if s["stage"] == "deploy_production")
    assert stage["jobs"][0]["environment"] == "production"
