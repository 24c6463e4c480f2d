"""Flyway's checksum, checked against values Flyway itself recorded."""

from __future__ import annotations

import pytest

from dbci.migrate.checksum import flyway_checksum

# Flyway's quickstart ("First steps: command line") migrations and the checksums Flyway
# records for them in flyway_schema_history (as shown in its documentation's tutorial).
PERSON_TABLE = "create table PERSON (\n    ID int not null,\n    NAME varchar(100) not null\n);\n"
ADD_PEOPLE = (
    "insert into PERSON (ID, NAME) values (1, 'Axel');\n"
    "insert into PERSON (ID, NAME) values (2, 'Mr. Foo');\n"
    "insert into PERSON (ID, NAME) values (3, 'Ms. Bar');\n"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [(PERSON_TABLE, 1715188512), (ADD_PEOPLE, 476766047)],
    ids=["V1__Create_person_table", "V2__Add_people"],
)
def test_flyway_documented_checksums(text: str, expected: int) -> None:
    assert flyway_checksum(text) == expected


@pytest.mark.parametrize(
    "variant",
    [
        PERSON_TABLE.replace("\n", "\r\n"),  # Windows line endings
        PERSON_TABLE.replace("\n", "\r"),  # classic Mac
        "\ufeff" + PERSON_TABLE,  # UTF-8 byte-order mark
        PERSON_TABLE.rstrip("\n"),  # no final newline
    ],
    ids=["crlf", "cr", "bom", "no-final-newline"],
)
def test_line_endings_and_bom_do_not_change_the_checksum(variant: str) -> None:
    assert flyway_checksum(variant) == 1715188512


def test_checksum_is_signed_32_bit() -> None:
    values = [flyway_checksum(f"select {n};") for n in range(200)]
    assert all(-(2**31) <= v < 2**31 for v in values)
    assert any(v < 0 for v in values)


def test_only_the_first_bom_is_stripped_and_content_matters() -> None:
    assert flyway_checksum("select 1;") != flyway_checksum("select 2;")
    assert flyway_checksum("\ufeff\ufeffselect 1;") != flyway_checksum("select 1;")
