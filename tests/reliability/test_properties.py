"""Property-based tests (hypothesis) for what every migration run rests on: version
parsing and ordering, Flyway's checksum, and the statement splitters of every dialect."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dbci.migrate.checksum import flyway_checksum
from dbci.migrate.version import Version
from dbci.sqlsplit import split_statements

# Each property is one scenario of the figures table, tried on many generated inputs.
pytestmark = pytest.mark.scenario("property-based: versions, checksum, splitters")

parts = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=5)
separators = st.sampled_from([".", "_"])


def _text(numbers: list[int], separator: str) -> str:
    return separator.join(str(n) for n in numbers)


def _trimmed(numbers: list[int]) -> tuple[int, ...]:
    trimmed = list(numbers)
    while len(trimmed) > 1 and trimmed[-1] == 0:
        trimmed.pop()
    return tuple(trimmed)


@given(parts, separators)
def test_a_version_parses_to_its_numbers(numbers: list[int], separator: str) -> None:
    version = Version.parse(_text(numbers, separator))
    assert version.key == _trimmed(numbers)
    assert version.text == _text(numbers, ".")
    assert Version.parse(version.text) == version


@given(parts, parts)
def test_versions_order_as_their_numbers_do(a: list[int], b: list[int]) -> None:
    va, vb = Version.parse(_text(a, ".")), Version.parse(_text(b, "."))
    assert (va < vb) == (_trimmed(a) < _trimmed(b))
    assert (va == vb) == (_trimmed(a) == _trimmed(b))
    if va == vb:
        assert hash(va) == hash(vb)


@given(parts, st.integers(min_value=1, max_value=3))
def test_trailing_zeros_do_not_change_a_version(numbers: list[int], zeros: int) -> None:
    assert Version.parse(_text(numbers + [0] * zeros, ".")) == Version.parse(_text(numbers, "."))


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_anything_else_is_refused(raw: str) -> None:
    try:
        version = Version.parse(raw)
    except ValueError:
        return
    assert raw and all(c.isdigit() or c in "._" for c in raw)
    assert version.key


lines = st.lists(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
        max_size=30,
    ),
    max_size=8,
)


def _reference(script_lines: list[str]) -> int:
    """Flyway's algorithm as it reads: one CRC32 fed each line's UTF-8 bytes in turn."""
    crc = 0
    for line in script_lines:
        crc = zlib.crc32(line.encode("utf-8"), crc)
    return crc - (1 << 32) if crc >= (1 << 31) else crc


@given(lines, st.sampled_from(["\n", "\r\n", "\r"]), st.booleans())
def test_checksum_is_flyways_whatever_the_line_endings(
    script_lines: list[str], ending: str, bom: bool
) -> None:
    text = ("\ufeff" if bom else "") + ending.join(script_lines)
    checksum = flyway_checksum(text)
    assert checksum == _reference(script_lines)
    assert -(1 << 31) <= checksum < (1 << 31)


# Statements built from pieces that each dialect reads the same way: words, strings that
# hold `;` and quotes, comments that hold `;`. Joined with `;` and a newline, the splitter
# must give back exactly these statements, in order, at their lines.
_WORDS = st.sampled_from(["SELECT 1", "SELECT a FROM t", "UPDATE t SET a = 2", "DELETE FROM t"])
_PIECES = st.sampled_from(
    [
        "'a;b'",
        "'it''s; fine'",
        "/* c; d */",
        "(1; 2)",
        "x",
        "'--; not a comment'",
        '"q;r"',
    ]
)
_statement = st.builds(
    lambda w, p: f"{w} {' '.join(p)}".strip(), _WORDS, st.lists(_PIECES, max_size=4)
)


@settings(max_examples=150)
@given(
    st.lists(_statement, min_size=1, max_size=8),
    st.sampled_from(["postgresql", "sqlite", "mysql", "generic"]),
)
def test_splitting_gives_back_the_statements_joined(statements: list[str], dialect: str) -> None:
    script = ";\n".join(statements) + ";\n"
    split = split_statements(script, dialect)
    assert [s.sql for s in split] == statements
    assert [s.line for s in split] == list(range(1, len(statements) + 1))


@settings(max_examples=150)
@given(st.lists(_statement, min_size=1, max_size=6), st.integers(min_value=1, max_value=3))
def test_tsql_batches_come_back_between_go_lines(statements: list[str], repeat: int) -> None:
    script = "".join(f"{s};\nGO {repeat}\n" for s in statements)
    split = split_statements(script, "mssql")
    assert [s.sql for s in split] == [f"{s};" for s in statements]
    assert [s.repeat for s in split] == [repeat] * len(statements)
    assert [s.line for s in split] == list(range(1, 2 * len(statements), 2))


@given(st.text(max_size=200), st.sampled_from(["postgresql", "sqlite", "mysql", "mssql"]))
def test_any_text_splits_or_is_one_clear_error(script: str, dialect: str) -> None:
    from dbci.errors import InputError

    try:
        split = split_statements(script, dialect)
    except InputError as error:
        assert error.line is not None and 1 <= error.line <= script.count("\n") + 1
        return
    for statement in split:
        assert statement.sql and statement.sql in script
