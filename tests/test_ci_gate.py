"""The suite's CI gate (tests/support/ci.py): under CI a skip is a failure, unless the test is
marked `optional` with a reason, which the summary then prints. Checked in an inner pytest
session (pytester) that loads the same plugin the suite runs under."""

from __future__ import annotations

import pytest

try:  # tests/ is on sys.path (it has no __init__.py)
    from support import ci
except ImportError:  # pragma: no cover - if tests/ ever becomes a package
    from tests.support import ci

TESTS = '''
import pytest

@pytest.fixture
def missing_tool():
    pytest.skip("the tool is not installed")

def test_skipped_inside():
    pytest.skip("no client here")

@pytest.mark.skipif(True, reason="a skipif mark")
def test_skipif():
    pass

def test_skipped_by_a_fixture(missing_tool):
    pass

@pytest.mark.optional(reason="only on another platform")
def test_optional():
    pytest.skip("not this platform")

@pytest.mark.optional
def test_optional_without_a_reason():
    pytest.skip("no reason given for the mark")

@pytest.mark.xfail(reason="known")
def test_xfail():
    assert False

def test_passes():
    pass
'''


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("TRUE", True), (" 1 ", True), ("yes", True), ("", False)]
    + [("false", False), ("0", False), ("no", False)],
)
def test_one_reading_of_ci(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("CI", value)
    assert ci.running_in_ci() is expected


def test_unset_ci_is_not_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert ci.running_in_ci() is False


def _run(pytester: pytest.Pytester) -> pytest.RunResult:
    pytester.makepyfile(test_gate=TESTS)
    return pytester.runpytest_inprocess("-p", ci.__name__, "-rA", "-p", "no:randomly")


def test_under_ci_every_skip_fails_but_the_optional_one(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    result = _run(pytester)
    # The skip inside the test and the mark without a reason fail in the call; the skipif
    # and the fixture's skip fail at setup (errors). The reasoned optional skip stays a skip.
    result.assert_outcomes(passed=1, failed=2, errors=2, skipped=1, xfailed=1)
    out = result.stdout.str()
    assert "skipped under CI=true, so this is a failure: no client here" in out
    assert "skipped under CI=true, so this is a failure: a skipif mark" in out
    assert "skipped under CI=true, so this is a failure: the tool is not installed" in out
    assert "@pytest.mark.optional needs a reason (skipped: no reason given for the mark)" in out
    result.stdout.fnmatch_lines(
        [
            "*optional tests skipped (1)*",
            "test_gate.py::test_optional: only on another platform (skipped: not this platform)",
        ]
    )


def test_outside_ci_skips_stay_skips(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    result = _run(pytester)
    result.assert_outcomes(passed=1, failed=1, skipped=4, xfailed=1)  # failed: no reason
    result.stdout.fnmatch_lines(["*optional tests skipped (1)*"])


def test_a_module_skipped_at_collection_fails_under_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    pytester.makepyfile(
        test_module_skip='import pytest\npytest.skip("no driver", allow_module_level=True)\n'
    )
    result = pytester.runpytest_inprocess("-p", ci.__name__, "-p", "no:randomly")
    result.assert_outcomes(errors=1)
    assert "skipped at collection under CI=true, so a failure: no driver" in result.stdout.str()
