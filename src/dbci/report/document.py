"""`report.json`: the single source of every report file (DESIGN.md, "Report directory").

Each stage fills its own section; a section of a stage that did not run is null.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dbci.errors import InputError
from dbci.settings.config import Settings

SCHEMA = "dbci-report/1"
SECTIONS = ("build", "changes", "drift", "code", "dryrun", "deploy", "data")


def report_directory_in(report_dir: Path, project_dir: Path) -> Path:
    """The report directory `report_dir` names: relative to the project unless absolute."""
    return report_dir if report_dir.is_absolute() else project_dir / report_dir


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Report:
    """A report.json being filled in by the stages of one run."""

    project: str
    environment: str | None
    started_at: str = field(default_factory=_now)
    status: str = "passed"
    build: dict[str, Any] | None = None
    changes: dict[str, Any] | None = None
    drift: dict[str, Any] | None = None
    code: dict[str, Any] | None = None
    dryrun: dict[str, Any] | None = None
    deploy: dict[str, Any] | None = None
    data: dict[str, Any] | None = None  # `dbci data refresh`
    # What a check saw, for `deploy --plan`: the pending migrations and the target's schema.
    plan: dict[str, Any] | None = None
    # The stage's words for each gate that failed (a check's `gates_failed`), for the
    # headline and the table of checks (dbci.report.gates).
    gates_failed: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> Report:
        """A new report of `settings`' project and environment. Its name: `[dbci] project`,
        else the CI system's repository, else the folder (`dbci.settings.project_name`,
        reading `environ`, os.environ when None)."""
        from dbci.settings.project_name import project_name

        return cls(project=project_name(settings, environ), environment=settings.environment)

    @classmethod
    def existing(cls, report_dir: Path, project_dir: Path) -> Report | None:
        """The report a deploy starts from: the check's `plan` in the report.json found there
        (so that `deploy --plan` of that file keeps working after a refused deploy rewrote
        it), and nothing else of that file: its changes, drift, code analysis and pending
        list describe the target before this deploy, so a deploy's report.json is its own
        and never a merge into an earlier run's. None when the directory holds no plan."""
        directory = report_directory_in(report_dir, project_dir)
        try:
            data = json.loads((directory / "report.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            return None
        if not isinstance(data.get("plan"), dict):
            return None
        report = cls(project=str(data.get("project") or ""), environment=data.get("environment"))
        report.plan = data["plan"]
        return report

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schema": SCHEMA,
            "status": self.status,
            "project": self.project,
            "environment": self.environment,
            "started_at": self.started_at,
            "finished_at": _now(),
        }
        data.update({name: getattr(self, name) for name in SECTIONS})
        data["plan"] = self.plan
        if self.gates_failed:
            data["gates_failed"] = list(self.gates_failed)
        return data

    def write(self, report_dir: Path, project_dir: Path) -> Path:
        """Write `report_dir/report.json` (relative to the project); return its path."""
        directory = report_directory_in(report_dir, project_dir)
        path = directory / "report.json"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(self.to_dict(), out, indent=2, ensure_ascii=False)
                out.write("\n")
            os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide it from other CI steps' users
            os.replace(tmp, path)
        except OSError as exc:
            raise InputError(f"--report-dir: cannot write {path}: {exc.strerror}") from None
        return path
