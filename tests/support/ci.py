"""Running under CI, and the pytest plugin that makes a skip under CI a failure.

`running_in_ci()` is the suite's one reading of the `CI` variable (`true`, `1` or `yes`, as
GitHub Actions, GitLab and others set it); every test and helper asks it, never `os.environ`.

As a pytest plugin (tests/conftest.py loads it; an inner pytest takes `-p support.ci`):

* under CI a skipped test is reported as failed, with the skip's reason, because a skip
  there means something the CI machine must have (a database, a client, a browser, an
  extension) was missing and the test proved nothing;
* except a test marked `@pytest.mark.optional(reason="...")`: what it needs is something the
  CI machine cannot have (say, another platform). Its skip stays a skip, and the terminal
  summary lists every such skip with both reasons, so none goes unseen. The reason is
  required: an `optional` mark without one fails the test.
* A module skipped at collection (`pytest.skip(allow_module_level=True)`, `importorskip`)
  fails its collection under CI, the same way.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest

TRUE_VALUES = frozenset({"true", "1", "yes"})
MARKER = "optional"
_PROPERTY = "optional skip"  # the user_properties key an optional skip is recorded under


def running_in_ci() -> bool:
    """True when running under CI (`CI` is `true`, `1` or `yes`, in any case)."""
    return os.environ.get("CI", "").strip().lower() in TRUE_VALUES


def skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    """The reason a skipped report gives (`pytest.skip("…")`, `skipif(reason=…)`)."""
    longrepr: Any = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
    else:
        reason = str(longrepr)
    return reason.removeprefix("Skipped: ")


def _optional_reason(marker: pytest.Mark) -> str:
    """The `reason=` of an `optional` mark (or its one positional argument), else ""."""
    reason = marker.kwargs.get("reason", marker.args[0] if marker.args else "")
    return str(reason).strip()


def _fail(report: pytest.TestReport | pytest.CollectReport, message: str) -> None:
    report.outcome = "failed"
    report.longrepr = message


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(reason): the test may be skipped under CI=true, because what it needs is "
        "something the CI machine cannot have; the summary lists it with the reason",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if not report.skipped or hasattr(report, "wasxfail"):  # an xfail is not a skip
        return report
    reason = skip_reason(report)
    marker = item.get_closest_marker(MARKER)
    if marker is not None:
        why = _optional_reason(marker)
        if not why:
            _fail(report, f"@pytest.mark.{MARKER} needs a reason (skipped: {reason})")
            return report
        report.user_properties.append((_PROPERTY, f"{why} (skipped: {reason})"))
        return report
    if running_in_ci():
        _fail(
            report,
            f"skipped under CI=true, so this is a failure: {reason}\n"
            f"(a test that may skip in CI says why with @pytest.mark.{MARKER}(reason=...))",
        )
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    if report.skipped and running_in_ci():
        _fail(report, f"skipped at collection under CI=true, so a failure: {skip_reason(report)}")
    return report


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    lines = [
        f"{report.nodeid}: {text}"
        for report in terminalreporter.stats.get("skipped", [])
        for key, text in getattr(report, "user_properties", ())
        if key == _PROPERTY
    ]
    if lines:
        terminalreporter.section(f"optional tests skipped ({len(lines)})")
        for line in lines:
            terminalreporter.write_line(line)
