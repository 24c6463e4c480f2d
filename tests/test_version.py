"""Version parsing and ordering as Flyway does it."""

from __future__ import annotations

import pytest

from dbci.migrate.version import Version


def v(text: str) -> Version:
    return Version.parse(text)


def test_numeric_ordering_by_parts() -> None:
    assert v("1.10") > v("1.9")
    assert v("2") > v("1.999")
    assert v("1.0.1") > v("1")
    assert sorted([v("10"), v("9"), v("1.1"), v("1")]) == [v("1"), v("1.1"), v("9"), v("10")]


def test_underscore_means_dot_and_trailing_zeros_collide() -> None:
    assert v("1_1") == v("1.1")
    assert v("1_1").text == "1.1"
    assert v("1") == v("1.0") == v("1.0.0")
    assert hash(v("1")) == hash(v("1.00"))
    assert v("1.01") == v("1.1")


@pytest.mark.parametrize("bad", ["", "1.a", "a", "1..2", ".1", "1.", "1-2", " 1"])
def test_invalid_versions(bad: str) -> None:
    with pytest.raises(ValueError):
        Version.parse(bad)
