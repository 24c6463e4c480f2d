"""`pipeline`: the pull-request workflow in one call, build then check into one report.json."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dbci.errors import InputError
from dbci.log import Log, quiet
from dbci.stages.runs import (
    CheckRun,
    all_parts,
    asked_parts,
    report_directory,
    run_build,
    run_check,
)

if TYPE_CHECKING:
    from dbci.settings.config import Overrides, Settings
    from dbci.stages.build.stage import BuildResult


@dataclass
class PipelineRun:
    """What `dbci pipeline` did: the build's result and the check's run (report.json, which
    holds both stages, and its path)."""

    build: BuildResult
    check: CheckRun

    @property
    def failed(self) -> bool:
        """Whether the build failed or a gate of the check did (exit 1)."""
        return self.build.status != "passed" or self.check.failed


def pipeline(
    overrides: Overrides,
    settings: Settings,
    parts: Sequence[str] = (),
    *,
    build_env: str | None = None,
    build_version: str | None = None,
    verify_undo: bool | None = None,
    drift_source: str = "rebuild",
    fail_on_drift: bool | None = None,
    dialect: str | None = None,
    fail_on: str | None = None,
    report_dir: Path | None = None,
    log: Log = quiet,
    error: Log = quiet,
) -> PipelineRun:
    """Build the migrations (for the target the check goes to), then check them against
    the target: the `parts` asked (none: all). When the migrations do not build, the
    check's rebuild (changes, drift against a rebuild) would fail the same way and say it
    again: those parts are left out, the rest of the check still runs. `error` hears the
    build's error line as soon as the build has ended. A cancelled build raises
    `Cancelled` and the check does not run."""
    from dbci import cancel
    from dbci.report.document import Report
    from dbci.stages.check.drift import check_source

    asked = asked_parts(parts)
    drift_source = check_source(drift_source)
    report = Report.start(settings)
    report_dir = report_directory(report_dir, settings.project_dir)
    parts = asked or all_parts()
    built = run_build(
        overrides,  # built for the target the check goes to
        settings,
        build_env=build_env,
        build_version=build_version,
        verify_undo=verify_undo,
        dialect=None,
        report_dir=report_dir,
        report=report,
        log=log,
    )
    result = built.result
    if result.status == "cancelled":
        raise cancel.cancelled(
            f"the build was cancelled, the check did not run; {built.path} says so"
        )
    if result.error:
        error(result.error)
        parts = tuple(
            p for p in parts if p != "changes" and (p != "drift" or drift_source != "rebuild")
        )
    if settings.database is None:
        needs_target = [p for p in asked if p != "code"]
        raise InputError(
            f"check --{(needs_target or ['changes'])[0]} needs a target: -e ENVIRONMENT or --url"
        )
    checked = run_check(
        overrides,
        settings,
        report,
        report_dir,
        parts,
        build_env=build_env,
        drift_source=drift_source,
        fail_on_drift=fail_on_drift,
        dialect=dialect,
        fail_on=fail_on,
        failed_before=result.status != "passed",
        log=log,
    )
    return PipelineRun(result, checked)
