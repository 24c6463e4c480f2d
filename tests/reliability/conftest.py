"""The reliability suite's scoreboard: every scenario it runs is counted by family, and the
table of figures (scenarios run, passed, data lost) is printed at the end of the session.

Two ways to count:

* a test that runs many scenarios itself (50 faults, 20 rounds of concurrency) takes the
  `scenarios` fixture and wraps each one in `with scenarios.run(FAMILY) as run:`; a run
  that raises is counted as failed and the test goes on with the next, then fails at its
  end naming the first failures. `run.data_lost = True` counts a run that lost data;
  `run.data_checked = True` marks a family whose runs check for lost data at all.
* a test that is one scenario carries `@pytest.mark.scenario(FAMILY)`: it counts as one
  run, passed when the test passed.

`make reliability` runs this folder alone and ends with the table; the README's figures
come from it.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest


@dataclass
class Tally:
    """One family's figures."""

    run: int = 0
    passed: int = 0
    data_lost: int = 0
    data_checked: bool = False


@dataclass
class Run:
    """One scenario in progress: the test marks what it found."""

    data_lost: bool = False
    data_checked: bool = False


_TALLIES: dict[str, Tally] = {}
_NOTES: list[str] = []  # printed under the table: what a family's runs amounted to


def _count(family: str, passed: bool, run: Run | None = None) -> None:
    tally = _TALLIES.setdefault(family, Tally())
    tally.run += 1
    tally.passed += passed
    if run is not None:
        tally.data_lost += run.data_lost
        tally.data_checked |= run.data_checked or run.data_lost


@dataclass
class Scenarios:
    """Counts the scenarios a test runs; collects the failures to fail the test at the end."""

    failures: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        """A line for under the figures table (how many runs a fault actually cut off)."""
        _NOTES.append(text)

    @contextmanager
    def run(self, family: str, label: str = "") -> Iterator[Run]:
        """One scenario: counted as passed unless the block raises (the error is kept)."""
        current = Run()
        try:
            yield current
        except Exception as exc:  # noqa: BLE001 - a failed scenario, reported at the end
            _count(family, False, current)
            where = f"{family}{f' ({label})' if label else ''}"
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self.failures.append(f"{where}: {detail}")
        else:
            _count(family, not current.data_lost, current)
            if current.data_lost:
                self.failures.append(f"{family}{f' ({label})' if label else ''}: data lost")


@pytest.fixture
def scenarios() -> Iterator[Scenarios]:
    """Count this test's scenarios; the test fails if any of them failed."""
    counted = Scenarios()
    yield counted
    if counted.failures:
        shown = "\n".join(counted.failures[:5])
        more = len(counted.failures) - 5
        pytest.fail(
            f"{len(counted.failures)} scenarios failed:\n{shown}"
            + (f"\n…and {more} more" if more > 0 else ""),
            pytrace=False,
        )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "scenario(family): the test is one reliability scenario of that family"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    marker = item.get_closest_marker("scenario")
    if marker is not None and report.when == "call":
        _count(marker.args[0], report.passed)
    elif marker is not None and report.when == "setup" and report.failed:
        _count(marker.args[0], False)
    return report


def figures_table() -> str:
    """The scoreboard as a Markdown table (the README's), with a total row."""
    rows = ["| scenario | run | passed | data lost |", "|---|---:|---:|---:|"]
    total = Tally()
    for family, tally in _TALLIES.items():
        lost = str(tally.data_lost) if tally.data_checked else "n/a"
        rows.append(f"| {family} | {tally.run} | {tally.passed} | {lost} |")
        total.run += tally.run
        total.passed += tally.passed
        total.data_lost += tally.data_lost
    rows.append(f"| **total** | **{total.run}** | **{total.passed}** | **{total.data_lost}** |")
    return "\n".join(rows)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if not _TALLIES:
        return
    terminalreporter.section("reliability figures")
    terminalreporter.write_line(figures_table())
    for note in _NOTES:
        terminalreporter.write_line(note)
