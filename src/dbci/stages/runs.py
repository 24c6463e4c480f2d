"""The stages as the commands run them: each stage's work, then its report.json.

`run_build`, `run_check` and `run_deploy` do a stage and write its part of the report
directory; `dbci.stages.pipeline` chains the first two. A report is written after the
stage's work, out of reach of a signal; one that cannot be written is a failed run that
says what ran (`write_report`). What a run returns is its result, the report.json document
and its path; turning that into lines and exit codes is the caller's (`dbci.cli`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dbci.errors import DbciError, GateFailed, InputError
from dbci.log import Log, quiet

if TYPE_CHECKING:
    from dbci.analysis.findings import CodeResult
    from dbci.data.refresh import RefreshResult
    from dbci.report.document import Report
    from dbci.settings.config import Overrides, Settings
    from dbci.stages.build.stage import BuildResult
    from dbci.stages.check.stage import CheckResult
    from dbci.stages.deploy.stage import DeployResult

DEFAULT_REPORT_DIR = Path("dbci-report")


@dataclass
class BuildRun:
    """What `dbci build` did: the build's result, report.json and its path."""

    result: BuildResult
    report: Report
    path: Path


@dataclass
class CheckRun:
    """What `dbci check` did: with a target, the check's result (`checked`); without one,
    the code analysis alone (`code`). With report.json and its path."""

    checked: CheckResult | None
    code: CodeResult | None
    report: Report
    path: Path

    @property
    def failed(self) -> bool:
        """Whether a gate failed (exit 1)."""
        if self.checked is not None:
            return bool(self.checked.gates_failed)
        return bool(self.code is not None and self.code.failed)


@dataclass
class DeployRun:
    """What `dbci deploy` did: every target's result, report.json and its path."""

    result: DeployResult
    report: Report
    path: Path
    lines: list[str]  # each target's one-line outcome


@dataclass
class DataRun:
    """What `dbci data refresh` did, report.json and its path."""

    result: RefreshResult
    report: Report
    path: Path


def run_data_refresh(
    source: Settings,
    target: Settings,
    *,
    report_dir: Path | None = None,
    log: Log = quiet,
) -> DataRun:
    """`dbci data refresh` into its own report.json (its `data` section: rows per table,
    how each was reached, the masked columns, the time): written when it succeeds, fails
    (with the error, which is raised again) or is cancelled."""
    from dbci import cancel
    from dbci.data.refresh import RefreshResult, refresh
    from dbci.report.document import Report

    report_dir = report_directory(report_dir, target.project_dir)
    report = Report.start(target)
    names = (source.environment or source.where(), target.environment or target.where())
    with cancelled_report(report, report_dir, target.project_dir, "the data refresh"):
        try:
            result = refresh(source, target, log=log)
        except cancel.Cancelled:
            report.data = RefreshResult(*names, status="cancelled").to_dict()
            raise
        except Exception as exc:
            if cancel.requested():
                report.data = RefreshResult(*names, status="cancelled").to_dict()
                raise
            report.status = "failed"
            reason = str(exc) if isinstance(exc, DbciError) else f"{type(exc).__name__}: {exc}"
            report.data = RefreshResult(*names, status="failed", error=reason).to_dict()
            write_report(lambda: report.write(report_dir, target.project_dir), reason)
            raise
    report.data = result.to_dict()
    path = write_report(
        lambda: report.write(report_dir, target.project_dir),
        f"the data refresh ran ({result.rows} rows into {result.target})",
    )
    return DataRun(result, report, path)


def report_directory(report_dir: Path | None, project_dir: Path) -> Path:
    """`--report-dir` (default dbci-report), made now: a stage that writes its report at
    the end must not find a file in the way only after its work (a deploy's, say) is done.
    Returns the directory as given (relative to the project unless absolute)."""
    from dbci.report.document import report_directory_in

    report_dir = Path(report_dir or DEFAULT_REPORT_DIR)
    directory = report_directory_in(report_dir, project_dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError(f"--report-dir: {directory} is not a directory") from None
    except OSError as exc:
        raise InputError(f"--report-dir: cannot create {directory}: {exc.strerror}") from None
    return report_dir


def write_report(write: Callable[[], Path], what_ran: str) -> Path:
    """Write a stage's report after its work: a signal does not cut into it, and a full
    disk or an unwritable folder is a failed run (exit 1) that says what ran, not bad
    input: the stage's work is done and stays done."""
    from dbci import cancel

    try:
        with cancel.cleaning_up():
            return write()
    except (DbciError, OSError) as exc:
        reason = exc.message if isinstance(exc, DbciError) else f"{exc.strerror or exc}"
        raise GateFailed(f"{what_ran}, but its report could not be written: {reason}") from None


@contextmanager
def cancelled_report(
    report: Report, report_dir: Path, project_dir: Path, what: str
) -> Iterator[None]:
    """A cancel inside writes `report` as cancelled and is raised again, saying where the
    report is: from the moment a stage has its report, a signal leaves one behind, however
    early it comes (while the stage's modules load, say). A stage inside that wrote its own
    cancelled report already (`Cancelled.reported`) is not written over."""
    from dbci import cancel

    try:
        yield
    except cancel.Cancelled as stop:
        if not stop.reported:
            report.status = "cancelled"
            path = write_report(lambda: report.write(report_dir, project_dir), str(stop))
            stop.detail = f"{what} did not finish; {path} says so"
            stop.reported = True
        raise


def run_build(
    overrides: Overrides,
    settings: Settings,
    *,
    build_env: str | None = None,
    build_version: str | None = None,
    verify_undo: bool | None = None,
    keep: bool = False,
    dialect: str | None = None,
    report_dir: Path | None = None,
    report: Report | None = None,
    log: Log = quiet,
) -> BuildRun:
    """The build stage into report.json (its `build` section and the build snapshot);
    into `report` when given (the pipeline's, which the check fills in next)."""
    from dbci.report.document import Report
    from dbci.stages.build.stage import build, write_outputs

    report_dir = report_directory(report_dir, settings.project_dir)
    report = Report.start(settings) if report is None else report
    result = build(
        overrides,
        build_env=build_env,
        build_version=build_version,
        verify_undo=verify_undo,
        keep=keep,
        dialect=dialect,
        log=log,
    )
    path = write_report(
        lambda: write_outputs(result, report, report_dir, settings.project_dir),
        f"the build {result.status}",
    )
    return BuildRun(result, report, path)


def asked_parts(parts: Sequence[str]) -> tuple[str, ...]:
    """The check's parts asked (changes, drift, code, dryrun), in the check's order."""
    from dbci.stages.check.stage import PARTS

    unknown = [part for part in parts if part not in PARTS]
    if unknown:
        raise InputError(f"check: {unknown[0]!r} is not one of {', '.join(PARTS)}")
    return tuple(part for part in PARTS if part in parts)


def all_parts() -> tuple[str, ...]:
    """Every part of the check, in its order (what none asked means)."""
    from dbci.stages.check.stage import PARTS

    return PARTS


def code_only(
    settings: Settings,
    report: Report,
    report_dir: Path,
    *,
    dialect: str | None = None,
    changed_from: str | None = None,
    fail_on: str | None = None,
    log: Log = quiet,
) -> CheckRun:
    """The check without a target: the code analysis alone, into report.json."""
    from dbci.analysis.run import analyze

    result = analyze(settings, dialect=dialect, changed_from=changed_from, fail_on=fail_on, log=log)
    report.code = result.to_dict()
    report.status = "failed" if result.failed else "passed"
    path = write_report(
        lambda: report.write(report_dir, settings.project_dir), "the code analysis ran"
    )
    return CheckRun(None, result, report, path)


def run_check(
    overrides: Overrides,
    settings: Settings,
    report: Report,
    report_dir: Path,
    parts: tuple[str, ...],
    *,
    build_env: str | None = None,
    drift_source: str = "rebuild",
    fail_on_drift: bool | None = None,
    dialect: str | None = None,
    fail_on: str | None = None,
    failed_before: bool = False,
    log: Log = quiet,
) -> CheckRun:
    """The check against a target into `report` (report.json and the check's files); a
    cancelled check writes the report as cancelled and is raised again (`Cancelled`).
    `failed_before`: an earlier stage of the run failed (the report's status is failed)."""
    with cancelled_report(report, report_dir, settings.project_dir, "the check"):
        # The imports too: loading the check's modules takes a signal's worth of time.
        from dbci import cancel
        from dbci.report.document import report_directory_in
        from dbci.stages.check.stage import check, write_check_outputs

        checked = check(
            overrides,
            parts,
            build_env=build_env,
            drift_source=drift_source,
            fail_on_drift=fail_on_drift,
            dialect=dialect,
            fail_on=fail_on,
            log=log,
        )
        cancel.check()  # a part that the signal cut short is no finding
    directory = report_directory_in(report_dir, settings.project_dir)
    if failed_before:
        report.status = "failed"

    def write() -> Path:
        write_check_outputs(checked, report, directory)
        return report.write(report_dir, settings.project_dir)

    path = write_report(write, "the check ran")
    return CheckRun(checked, checked.code, report, path)


def check_stage(
    overrides: Overrides,
    settings: Settings,
    parts: Sequence[str] = (),
    *,
    dialect: str | None = None,
    changed_from: str | None = None,
    fail_on: str | None = None,
    fail_on_drift: bool | None = None,
    drift_source: str = "rebuild",
    build_env: str | None = None,
    report_dir: Path | None = None,
    log: Log = quiet,
) -> CheckRun:
    """`dbci check`: with a target, the `parts` asked (none: all) into report.json; with
    none, the code analysis alone (a part that needs a target is refused, exit 2)."""
    from dbci.report.document import Report

    report = Report.start(settings)
    directory = report_directory(report_dir, settings.project_dir)
    with cancelled_report(report, directory, settings.project_dir, "the check"):
        from dbci.stages.check.drift import check_source

        drift_source = check_source(drift_source)
        return _check_stage(
            overrides,
            settings,
            report,
            directory,
            asked_parts(parts),
            dialect=dialect,
            changed_from=changed_from,
            fail_on=fail_on,
            fail_on_drift=fail_on_drift,
            drift_source=drift_source,
            build_env=build_env,
            log=log,
        )


def _check_stage(
    overrides: Overrides,
    settings: Settings,
    report: Report,
    directory: Path,
    asked: tuple[str, ...],
    *,
    dialect: str | None,
    changed_from: str | None,
    fail_on: str | None,
    fail_on_drift: bool | None,
    drift_source: str,
    build_env: str | None,
    log: Log,
) -> CheckRun:
    """`check_stage`'s work once its report exists."""
    if settings.database is None:
        needs_target = [p for p in asked if p != "code"]
        if needs_target:
            raise InputError(f"check --{needs_target[0]} needs a target: -e ENVIRONMENT or --url")
        return code_only(
            settings,
            report,
            directory,
            dialect=dialect,
            changed_from=changed_from,
            fail_on=fail_on,
            log=log,
        )
    return run_check(
        overrides,
        settings,
        report,
        directory,
        asked or all_parts(),
        build_env=build_env,
        drift_source=drift_source,
        fail_on_drift=fail_on_drift,
        dialect=dialect,
        fail_on=fail_on,
        log=log,
    )


def deploy_lines(result: DeployResult) -> list[str]:
    """Each target's one-line outcome: `Deploy qa: success, 1 -> 3 (2 applied)`."""
    return [
        f"Deploy {t.environment}: {t.status}, {t.from_version or '<< empty >>'} -> "
        f"{t.to_version or t.from_version or '-'} ({len(t.applied)} applied)"
        for t in result.targets
    ]


def run_deploy(
    overrides: Overrides,
    project: Settings,
    *,
    parallel: int = 4,
    fail_fast: bool = False,
    plan: Path | None = None,
    fail_on_drift: bool = True,
    undo_on_failure: bool = False,
    build_env: str | None = None,
    report_dir: Path | None = None,
    log: Log = quiet,
    announce: Log = quiet,
) -> DeployRun:
    """The deploy stage into its own report.json: the deploy section, and the plan of the
    check whose report.json the directory held (`deploy --plan` of that file keeps working
    after this report replaces it), never that check's changes, drift or pending lists,
    which describe the target as it was before. `announce` hears each target's one-line
    outcome before the report is written: what was applied is said even if the report
    cannot be."""
    from dbci.report.document import Report
    from dbci.stages.deploy.stage import deploy

    report_dir = report_directory(report_dir, project.project_dir)
    report = Report.start(project)
    report.environment = overrides.environment
    checked = Report.existing(report_dir, project.project_dir)
    report.plan = checked.plan if checked is not None else None
    result = deploy(
        overrides,
        parallel=parallel,
        fail_fast=fail_fast,
        plan_path=plan,
        fail_on_drift=fail_on_drift,
        undo_on_failure=undo_on_failure,
        build_env=build_env,
        log=log,
    )
    report.deploy = result.to_dict()
    report.status = {"success": "passed", "cancelled": "cancelled"}.get(result.status, "failed")
    if result.environments:  # however they were named: -e, DBCI_ENVIRONMENT, the default
        order = [t.environment for t in result.targets]
        named = sorted(set(result.environments), key=lambda e: order.index(e) if e in order else 0)
        report.environment = ",".join(named)
    lines = deploy_lines(result)
    for line in lines:
        announce(line)
    path = write_report(
        lambda: report.write(report_dir, project.project_dir),
        "the deploy ran (" + "; ".join(lines) + ")",
    )
    return DeployRun(result, report, path, lines)
