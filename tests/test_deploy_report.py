"""A deploy in every output (issue 25): report.json is the deploy's own (the check's plan at
most, never its changes or pending lists), comment.md, summary.md and report.html show each
target's outcome, from → to, the migrations applied with their times, the drift gate and the
error line; the action's outputs describe the deploy that just ran."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import escape
from support.cli import run_dbci, run_entrypoint
from support.projects import write_project

from dbci.ci.action import _outputs
from dbci.report.markdown import md, render_comment, render_summary

FILES = {
    "V1__a.sql": "CREATE TABLE a (id int PRIMARY KEY);\n",
    "V2__b.sql": "CREATE TABLE b (id int);\n",
    "V3__c.sql": "CREATE TABLE c (id int);\n",
}


def _project(root: Path, url: str, files: dict[str, str] = FILES) -> Path:
    return write_project(root, dict(files), f'[environments.qa]\nurl = "{url}"\n')


def _files(root: Path) -> dict[str, Any]:
    directory = root / "dbci-report"
    texts = {n: (directory / n).read_text(encoding="utf-8") for n in ("comment.md", "summary.md")}
    texts["report.html"] = (directory / "report.html").read_text(encoding="utf-8")
    texts["report.json"] = json.loads((directory / "report.json").read_text(encoding="utf-8"))
    return texts


def test_a_deploy_after_a_check_writes_its_own_report(tmp_path: Path, pg_url: str) -> None:
    root = _project(tmp_path / "shop", pg_url)
    assert run_dbci("--project", root, "-e", "qa", "migrate", "--target", "1").returncode == 0
    checked = run_dbci("--project", root, "-e", "qa", "check")
    assert checked.returncode == 0, checked.stderr
    plan = json.loads((root / "dbci-report" / "report.json").read_text())["plan"]
    assert [p["script"] for p in plan["pending"]] == ["V2__b.sql", "V3__c.sql"]

    done = run_dbci("--project", root, "-e", "qa", "deploy")
    assert done.returncode == 0, done.stderr
    assert run_dbci("--project", root, "report").returncode == 0
    files = _files(root)
    report = files["report.json"]
    # The deploy's own report: the check's plan carried, nothing else of the check's.
    for stale in ("build", "changes", "drift", "code", "dryrun"):
        assert report[stale] is None, stale
    assert report["plan"] == plan and report["status"] == "passed"
    (target,) = report["deploy"]["targets"]
    assert target["environment"] == "qa" and target["status"] == "success"
    assert (target["from_version"], target["to_version"]) == ("1", "3")
    assert [m["script"] for m in target["applied"]] == ["V2__b.sql", "V3__c.sql"]
    assert target["drift_gate"] == "passed" and target["drift"] == []
    assert target["still_pending"] == 0 and target["error"] is None

    for name in ("comment.md", "summary.md"):
        text = files[name]
        assert "### Deploy: success" in text, text
        assert "- ✅ qa: success, 1 → 3, 2 migrations applied" in text, text
        assert "drift gate: no drift" in text
        for m in target["applied"]:
            assert f"  - {md(m['script'])}: {round(m['duration_ms'])} ms" in text, text
        # Nothing listed as pending that this deploy applied; no change of the old check.
        assert "Pending migrations" not in text and "### Drift" not in text, text
        assert "Code analysis" not in text
    page = files["report.html"]
    assert 'data-initial="deploy"' in page and '<section role="tabpanel" id="deploy"' in page
    assert "<code>V2__b.sql</code>" in page and "<code>V3__c.sql</code>" in page
    assert "qa: 1 → 3" in page and "no drift" in page
    assert "No pending migrations" not in page

    # The carried plan still holds a deploy to what was checked: it is no longer pending.
    again = run_dbci(
        "--project", root, "-e", "qa", "deploy", "--plan", root / "dbci-report" / "report.json"
    )
    assert again.returncode == 1
    assert "checked but no longer pending as checked: V2__b.sql, V3__c.sql" in again.stderr


def test_a_failed_deploy_shows_its_error_line(tmp_path: Path, pg_url: str) -> None:
    files = {**FILES, "V3__bad.sql": "CREATE TABLE c (id int);\nSELECT 1/0;\n"}
    files.pop("V3__c.sql")
    root = _project(tmp_path / "shop", pg_url, files)
    done = run_dbci("--project", root, "-e", "qa", "deploy")
    assert done.returncode == 1
    assert run_dbci("--project", root, "report").returncode == 0
    out = _files(root)
    (target,) = out["report.json"]["deploy"]["targets"]
    error = target["error"]
    assert target["status"] == "failed" and "V3__bad.sql:2" in error
    assert [m["script"] for m in target["applied"]] == ["V1__a.sql", "V2__b.sql"]
    assert target["still_pending"] == 1 and target["to_version"] == "2"
    for name in ("comment.md", "summary.md"):
        text = out[name]
        assert "### Deploy: failed" in text
        assert "- ❌ qa: failed, empty → 2, 2 migrations applied" in text, text
        assert f"\n  > {md(error)}\n" in text, text
        tokens = MarkdownIt("commonmark").parse(text)
        assert [t.type for t in tokens].count("blockquote_open") == 1
        assert "html_inline" not in [c.type for t in tokens for c in t.children or []]
    assert f'<p class="err">{escape(error)}</p>' in out["report.html"]


def test_the_refused_target_error_is_escaped() -> None:
    """A refused deploy's line and its error: every value escaped, the drift gate named."""
    hostile = "<b>x</b> [l](https://evil.example) @octocat #12 `tick`"
    report = {
        "schema": "dbci-report/1",
        "status": "failed",
        "project": "shop",
        "environment": "qa",
        **dict.fromkeys(("build", "changes", "drift", "code", "dryrun", "plan")),
        "deploy": {
            "status": "failed",
            "targets": [
                {
                    "environment": "qa|x",
                    "status": "failed",
                    "from_version": "9",
                    "to_version": None,
                    "applied": [],
                    "drift": [{"change": "Change", "type": "table", "schema": "s", "name": "t_*"}],
                    "drift_gate": "refused",
                    "error": hostile,
                    "duration_ms": 40,
                }
            ],
        },
    }
    for text in (render_comment(report), render_summary(report)):
        assert (
            "- ❌ qa\\|x: failed, 9 → 9, 0 migrations applied in 40 ms; drift gate: refused, "
            "1 drifted (Change table s.t\\_\\*)"
        ) in text, text
        assert f"  > {md(hostile)}" in text
        assert "<b>" not in text and "](https" not in text and "@octocat" not in text


def test_outputs_describe_the_deploy() -> None:
    report = {
        "status": "failed",
        "changes": None,
        "deploy": {
            "status": "failed",
            "targets": [
                {"environment": "qa", "status": "success", "from_version": "1",
                 "to_version": "3", "applied": [{"script": "V2"}, {"script": "V3"}],
                 "drift": [], "still_pending": 0},
                {"environment": "uat", "status": "failed", "from_version": "1",
                 "to_version": None, "applied": [],
                 "drift": [{"change": "Add", "type": "table", "schema": None, "name": "x"}],
                 "still_pending": 2},
            ],
        },
    }  # fmt: skip
    outputs = _outputs(report, "dbci-report")
    assert outputs["migrations-applied"] == "2" and outputs["schema-version"] == "3,1"
    assert outputs["pending-count"] == "2" and outputs["drift-detected"] == "true"
    check = {"status": "passed", "changes": {"from_version": "4", "pending": [{}, {}]}}
    outputs = _outputs(check, "dbci-report")
    assert outputs["migrations-applied"] == "0" and outputs["schema-version"] == "4"
    assert outputs["pending-count"] == "2"


def _action(tmp_path: Path, project: str, **inputs: str) -> dict[str, str]:
    """entrypoint.py as GitHub runs the action (no comment); its outputs."""
    output, summary = tmp_path / "output.txt", tmp_path / "summary.md"
    output.write_text("")
    summary.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBCI_", "INPUT_", "GITHUB_"))}
    env |= {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "INPUT_WORKING-DIRECTORY": project,
        "INPUT_COMMENT": "false",
    }
    env |= {f"INPUT_{name.upper().replace('_', '-')}": value for name, value in inputs.items()}
    done = run_entrypoint(tmp_path, env, timeout=300)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    outputs["exit"] = str(done.returncode)
    outputs["summary"] = summary.read_text()
    return outputs


def test_the_action_outputs_after_a_deploy(tmp_path: Path, pg_url: str) -> None:
    root = _project(tmp_path / "shop", pg_url)
    checked = _action(tmp_path, "shop", command="check", environment="qa")
    assert checked["exit"] == "0", checked
    assert checked["pending-count"] == "3" and checked["migrations-applied"] == "0"
    assert checked["schema-version"] == ""  # an empty target: no version yet
    deployed = _action(tmp_path, "shop", command="deploy", environment="qa")
    assert deployed["exit"] == "0", deployed
    assert deployed["status"] == "passed" and deployed["migrations-applied"] == "3"
    assert deployed["schema-version"] == "3" and deployed["pending-count"] == "0"
    assert deployed["drift-detected"] == "false" and deployed["findings-count"] == "0"
    assert "### Deploy: success" in deployed["summary"]
    assert "Pending migrations" not in deployed["summary"]
    report = json.loads((root / "dbci-report" / "report.json").read_text())
    assert report["changes"] is None and report["code"] is None
