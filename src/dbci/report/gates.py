"""The checks of a report as a reader sees them: one row per check (build, changes, drift,
code analysis, dry run, each deploy target) with its outcome and a short reason, and the
headline's one-line reason naming each failed gate.

Everything comes from report.json alone, so `dbci report` renders the same table from an
older run's file. A check's failed gates are the stage's own words when it wrote them
(`gates_failed`: the build of the migrations inside a check leaves no section of its own),
else what the sections say.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

PASSED, WARNING, FAILED = "passed", "warning", "failed"
ICONS = {PASSED: "✅", WARNING: "⚠️", FAILED: "❌"}


@dataclass(frozen=True)
class Gate:
    """One check's row: its name, passed/warning/failed, and why, in a few words."""

    check: str
    status: str
    reason: str

    @property
    def icon(self) -> str:
        return ICONS[self.status]

    @property
    def title(self) -> str:
        """The check's name as a table cell starts it: `Code analysis`, `Deploy to QA`."""
        return self.check[:1].upper() + self.check[1:]


def gates(report: dict[str, Any]) -> list[Gate]:
    """The rows of the checks that ran, in the pipeline's order."""
    stated = [str(reason) for reason in report.get("gates_failed") or []]
    rows = list(_rows(report, stated))
    named = {row.check for row in rows}
    for reason in stated:  # a gate the stage failed that no section shows
        check = _check_of(reason)
        if check not in named:
            rows.append(Gate(check, FAILED, _after_name(reason)))
            named.add(check)
    return rows


def failure_reason(report: dict[str, Any], rows: list[Gate] | None = None) -> str:
    """`code analysis: 2 findings at or above error; drift: 3 objects differ`: each
    failed gate and why, or "" when none failed."""
    rows = gates(report) if rows is None else rows
    return "; ".join(f"{row.check}: {row.reason}" for row in rows if row.status == FAILED)


def _rows(report: dict[str, Any], stated: list[str]) -> Iterator[Gate]:
    build_failure = next((r for r in stated if _check_of(r) == "build"), None)
    if report.get("build") or build_failure:
        yield _build(report.get("build") or {}, build_failure)
    elif report.get("changes"):  # a check builds the migrations on its build database
        pending = len(report["changes"].get("pending") or [])
        yield Gate("build", PASSED, f"applied and {pending} pending migration{_s(pending)} built")
    if report.get("changes"):
        yield _changes(report["changes"])
    elif build_failure and any(report.get(name) for name in ("drift", "code", "dryrun")):
        yield Gate("changes", WARNING, "not computed: the migrations do not build")
    if report.get("drift"):
        yield _drift(report["drift"])
    if report.get("code"):
        yield _code(report["code"])
    if report.get("dryrun"):
        yield _dryrun(report["dryrun"])
    deploy = report.get("deploy") or {}
    for target in deploy.get("targets") or []:
        yield _deploy(target)


def _build(build: dict[str, Any], failure: str | None) -> Gate:
    migrations = len(build.get("migrations") or [])
    tests = build.get("tests") or []
    failed_tests = sum(1 for t in tests if t.get("status") == "failed")
    if failure is not None and not build:
        return Gate("build", FAILED, _after_name(failure))
    if build.get("status") not in (None, "passed"):
        reason = build.get("error") or (
            f"{failed_tests} of {len(tests)} SQL tests failed"
            if failed_tests
            else "undo does not restore the schema"
            if build.get("undo_verified") is False
            else str(build.get("status"))
        )
        return Gate("build", FAILED, _one_line(reason))
    parts = [f"{migrations} migration{_s(migrations)} built"]
    if build.get("undo_verified"):
        parts.append("undo verified")
    if tests:
        parts.append(f"{len(tests)} SQL test{_s(len(tests))} passed")
    return Gate("build", PASSED, ", ".join(parts))


def _changes(changes: dict[str, Any]) -> Gate:
    pending = len(changes.get("pending") or [])
    objects = changes.get("objects") or []
    losing = sum(1 for o in objects if o.get("destructive"))
    reason = (
        f"{pending} pending migration{_s(pending)}, {len(objects)} object change{_s(len(objects))}"
    )
    if losing:
        return Gate("changes", WARNING, f"{reason}; {losing} can lose data")
    return Gate("changes", PASSED, reason)


def _drift(drift: dict[str, Any]) -> Gate:
    items = len(drift.get("items") or [])
    repo = len(drift.get("repo") or [])
    if not drift.get("detected"):
        return Gate("drift", PASSED, "none")
    parts = []
    if items:
        parts.append(f"{items} object{_s(items)} differ{'s' if items == 1 else ''}")
    if repo:
        parts.append(f"{repo} applied migration{_s(repo)} changed")
    reason = ", ".join(parts) or "detected"
    if drift.get("fail_on_drift"):
        return Gate("drift", FAILED, reason)
    return Gate("drift", WARNING, f"{reason} (not a gate: fail_on_drift is off)")


def _code(code: dict[str, Any]) -> Gate:
    from dbci.analysis.findings import at_least

    findings = code.get("findings") or []
    fail_on = str(code.get("fail_on") or "error")
    counts = {s: sum(1 for f in findings if f.get("severity") == s) for s in ("error", "warning")}
    failing = [
        f
        for f in findings
        if f.get("severity") in ("error", "warning", "info") and at_least(f["severity"], fail_on)
    ]
    summary = ", ".join(f"{n} {s}{_s(n)}" for s, n in counts.items() if n)
    if failing:
        return Gate(
            "code analysis",
            FAILED,
            f"{len(failing)} finding{_s(len(failing))} at or above {fail_on}"
            + (f" ({summary})" if summary else ""),
        )
    files = code.get("files_checked", 0)
    if summary:
        return Gate("code analysis", WARNING, f"{summary} in {files} file{_s(files)}")
    return Gate("code analysis", PASSED, f"no findings in {files} file{_s(files)}")


def _dryrun(dryrun: dict[str, Any]) -> Gate:
    if dryrun.get("error"):
        return Gate("dry run", WARNING, "could not run: " + _one_line(dryrun["error"]))
    pending = len(dryrun.get("pending") or [])
    return Gate("dry run", PASSED, f"{pending} migration{_s(pending)} written as SQL")


def _deploy(target: dict[str, Any]) -> Gate:
    name = f"deploy to {target.get('environment') or 'the target'}"
    versions = f"{target.get('from_version') or 'empty'} → {target.get('to_version') or '-'}"
    status = target.get("status")
    if status == "skipped":  # another target failed first: not this one's failure
        return Gate(name, WARNING, _one_line(target.get("error") or "not started"))
    if status != "success":  # failed, cancelled
        reason = target.get("error") or str(status or "failed")
        return Gate(name, FAILED, f"{versions}: {_one_line(reason)}")
    applied = len(target.get("applied") or [])
    return Gate(name, PASSED, f"{versions}, {applied} migration{_s(applied)} applied")


# The words a stage starts its failed gate with (stages.check.stage._gates), and the row
# they belong to.
_PREFIXES = (("build", "build"), ("drift", "drift"), ("code analysis", "code analysis"))


def _check_of(reason: str) -> str:
    for prefix, check in _PREFIXES:
        if reason.startswith(prefix):
            return check
    return reason.split(" (", 1)[0]


def _after_name(reason: str) -> str:
    """`build of the migrations (V3 failed: …)` → `V3 failed: …`: the part in brackets
    that says why, when the stage wrote one."""
    head, _, rest = reason.partition(" (")
    return _one_line(rest[:-1] if rest.endswith(")") else reason)


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


def _s(count: int) -> str:
    return "" if count == 1 else "s"
