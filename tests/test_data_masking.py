"""The keyed masks of `dbci data refresh` (`dbci.data.masking`), without a database.

Determinism is checked between maskers made independently (other columns, other tables);
uniqueness by counting distinct outputs over whole integer domains or large samples;
shapes against the references: Python's `uuid` for version and variant, the `email`
package's address parser, the column's declared range and length.
"""

from __future__ import annotations

import datetime
import random
import re
import uuid
from collections import Counter
from decimal import Decimal
from email.headerregistry import Address
from typing import Any

import pytest

from dbci.data import masking
from dbci.data.config import MaskRule
from dbci.data.masking import Masker, make_masker
from dbci.data.model import Column
from dbci.errors import InputError

SALT = b"test-salt-0123456789"
OTHER_SALT = b"test-salt-9876543210"
WHERE = "public.customers.contact"
BASE32 = re.compile(r"[a-z2-7]+")


def column(kind: str = "text", name: str = "contact", **fields: Any) -> Column:
    fields.setdefault("nullable", True)
    return Column(name=name, type_name=f"{kind} type", kind=kind, **fields)


def masker(
    rule: MaskRule,
    col: Column | None = None,
    *,
    unique: bool = False,
    salt: bytes = SALT,
    where: str = WHERE,
) -> Masker:
    return make_masker(rule, col or column(), unique=unique, salt=salt, where=where)


def refusal(rule: MaskRule, col: Column, *, unique: bool = False) -> str:
    with pytest.raises(InputError) as raised:
        masker(rule, col, unique=unique)
    message = str(raised.value)
    assert message.startswith(f"[dbci.data.mask] {WHERE}: "), message
    assert "\n" not in message
    return message


def int_range(bits: int, unsigned: bool) -> tuple[int, int]:
    if unsigned:
        return 0, 2**bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


# --- refusals at make time --------------------------------------------------------------


def test_null_on_not_null_refused_naming_the_column() -> None:
    message = refusal(MaskRule("null"), column(nullable=False))
    assert "NOT NULL" in message
    assert masker(MaskRule("null")).mask_batch(["a", None, "b"]) == [None, None, None]


@pytest.mark.parametrize(
    ("rule", "col", "unique", "says"),
    [
        (MaskRule("constant", "n/a"), column(), True, "unique"),
        (MaskRule("constant", None), column(nullable=False), False, "NOT NULL"),
        (MaskRule("constant", "abcd"), column(max_length=3), False, "4 characters"),
        (MaskRule("constant", 1.5), column("integer", int_bits=32), False, "integer column"),
        (MaskRule("constant", "7"), column("integer", int_bits=32), False, "integer column"),
        (MaskRule("constant", True), column("integer", int_bits=32), False, "integer column"),
        (MaskRule("constant", 128), column("integer", int_bits=8), False, "-128..127"),
        (MaskRule("constant", -129), column("integer", int_bits=8), False, "-128..127"),
        (MaskRule("constant", 256), column("integer", int_bits=8, unsigned=True), False, "0..255"),
        (MaskRule("constant", -1), column("integer", int_bits=8, unsigned=True), False, "0..255"),
        (MaskRule("constant", 2**63), column("integer", int_bits=64), False, "range"),
        (MaskRule("constant", "not a date"), column("date"), False, "date column"),
        (MaskRule("hash"), column("numeric"), False, "numeric"),
        (MaskRule("hash"), column("boolean"), False, "boolean"),
        (MaskRule("hash"), column("date"), False, "date"),
        (MaskRule("hash"), column("json"), False, "json"),
        (MaskRule("hash"), column(max_length=8), True, "unique"),
        (MaskRule("shift", 30), column(), False, "text column"),
        (MaskRule("shift", 30), column("integer"), False, "integer column"),
        (MaskRule("shift", 0), column("date"), False, "whole number of days"),
        (MaskRule("shift", -5), column("date"), False, "whole number of days"),
        (MaskRule("shift", 2.5), column("date"), False, "whole number of days"),
        (MaskRule("shift", True), column("date"), False, "whole number of days"),
        (MaskRule("shift", "30"), column("timestamp"), False, "whole number of days"),
        (MaskRule("faker", "no_such_provider"), column(), False, "no_such_provider"),
        (MaskRule("faker", "seed_instance"), column(), False, "seed_instance"),
        (MaskRule("faker", "enum"), column(), False, "needs arguments"),
        (MaskRule("faker", "email", "xx_XX"), column(), False, "locale"),
        (MaskRule("faker", "date_of_birth"), column("integer"), False, "integer column"),
        (MaskRule("faker", "name"), column("date"), False, "date column"),
        (MaskRule("faker", "name"), column("timestamp"), False, "timestamp column"),
        (MaskRule("faker", "pyint"), column("integer", int_bits=8), False, "-128..127"),
        (MaskRule("faker", "binary"), column(), False, "bytes"),
        (MaskRule("faker", "pyint"), column("integer"), True, "unique"),
        (MaskRule("faker", "date_of_birth"), column("date"), True, "unique"),
        (MaskRule("faker", "name"), column(max_length=7), True, "too short"),
        (MaskRule("faker", "email"), column(max_length=19), True, "too short"),
        (MaskRule("faker", "name"), column("json"), False, "json"),
        (MaskRule("scramble"), column(), False, "unknown mask"),
    ],
)
def test_refusals(rule: MaskRule, col: Column, unique: bool, says: str) -> None:
    assert says in refusal(rule, col, unique=unique)


def test_keyed_masks_need_a_salt_the_others_do_not() -> None:
    for kind in ("hash", "shuffle"):
        with pytest.raises(InputError, match="salt"):
            masker(MaskRule(kind), salt=b"")
    assert masker(MaskRule("keep"), salt=b"").mask("x") == "x"
    assert masker(MaskRule("constant", "x"), salt=b"").mask("y") == "x"


def test_accepted_edges() -> None:
    """What fits exactly is taken: the type's extremes, a constant of max_length, a unique
    column just long enough for the suffix, shuffle on a unique column."""
    assert masker(MaskRule("constant", 127), column("integer", int_bits=8)).mask(3) == 127
    assert masker(MaskRule("constant", -128), column("integer", int_bits=8)).mask(3) == -128
    u8 = column("integer", int_bits=8, unsigned=True)
    assert masker(MaskRule("constant", 255), u8).mask(None) == 255
    assert masker(MaskRule("constant", "abc"), column(max_length=3)).mask("x") == "abc"
    assert masker(MaskRule("faker", "name"), column(max_length=8), unique=True).mask("x")
    assert masker(MaskRule("faker", "email"), column(max_length=20), unique=True).mask("x")
    assert masker(MaskRule("shuffle"), unique=True).mask_batch([1, 2]) == [2, 1]
    assert masker(MaskRule("shift", masking.MAX_SHIFT_DAYS), column("date"))


def test_constants_take_the_drivers_types() -> None:
    assert masker(MaskRule("constant", "1.50"), column("numeric")).mask(Decimal(3)) == Decimal(
        "1.50"
    )
    stamp = masker(MaskRule("constant", "2024-05-06T07:08:09"), column("timestamp")).mask(None)
    assert stamp == datetime.datetime(2024, 5, 6, 7, 8, 9)
    day = masker(MaskRule("constant", "2024-05-06"), column("date")).mask(None)
    assert day == datetime.date(2024, 5, 6)
    text = "0e8d7c1a-1f00-4a00-8000-000000000001"
    assert masker(MaskRule("constant", text), column("uuid")).mask(None) == uuid.UUID(text)
    assert masker(MaskRule("constant", {"a": [1]}), column("json")).mask({}) == {"a": [1]}


# --- keep, null, None -------------------------------------------------------------------


def test_none_stays_none_except_for_constant() -> None:
    rules = [
        (MaskRule("keep"), column()),
        (MaskRule("hash"), column()),
        (MaskRule("hash"), column("integer", int_bits=32)),
        (MaskRule("hash"), column("uuid")),
        (MaskRule("hash"), column("bytes")),
        (MaskRule("faker", "email"), column()),
        (MaskRule("faker", "date_of_birth"), column("date")),
        (MaskRule("shift", 10), column("timestamp")),
    ]
    for rule, col in rules:
        assert masker(rule, col).mask_batch([None, None]) == [None, None], rule
    assert masker(MaskRule("constant", "x")).mask_batch([None, "y"]) == ["x", "x"]
    values = ["a", None, 3]
    assert masker(MaskRule("keep")).mask_batch(values) == values


# --- determinism ------------------------------------------------------------------------

SOURCES: dict[str, tuple[MaskRule, Column, list[Any]]] = {
    "hash text": (
        MaskRule("hash"),
        column(max_length=255),
        [f"user{i}@corp.example" for i in range(300)],
    ),
    "hash integer": (
        MaskRule("hash"),
        column("integer", int_bits=64),
        [i * 7_919_000_003 - 10**12 for i in range(300)],
    ),
    "hash uuid": (
        MaskRule("hash"),
        column("uuid"),
        [uuid.UUID(int=i * 2**100) for i in range(300)],
    ),
    "hash bytes": (MaskRule("hash"), column("bytes"), [b"doc-%d" % i for i in range(300)]),
    "faker email": (
        MaskRule("faker", "email"),
        column(max_length=255),
        [f"user{i}@corp.example" for i in range(300)],
    ),
    "faker name": (
        MaskRule("faker", "name", "de_DE"),
        column(max_length=80),
        [f"N{i}" for i in range(300)],
    ),
    "shift": (
        MaskRule("shift", 30),
        column("timestamp"),
        [datetime.datetime(2020, 1, 1) + datetime.timedelta(hours=7 * i) for i in range(300)],
    ),
}


@pytest.mark.parametrize("case", sorted(SOURCES))
def test_same_value_same_mask_in_every_column(case: str) -> None:
    """Two maskers made independently, for columns of different tables, agree; a third with
    another salt does not."""
    rule, col, values = SOURCES[case]
    elsewhere = Column(
        name="other_name",
        type_name=col.type_name,
        kind=col.kind,
        nullable=False,
        max_length=col.max_length,
        int_bits=col.int_bits,
    )
    first = masker(rule, col, where="public.customers.contact").mask_batch(values)
    second = masker(rule, elsewhere, where="sales.orders.other_name").mask_batch(list(values))
    assert first == second
    assert sum(a != b for a, b in zip(first, values, strict=True)) == len(values)
    salted = masker(rule, col, salt=OTHER_SALT).mask_batch(values)
    # an integer can only go to so many places; everything else differs every time
    assert sum(a != b for a, b in zip(first, salted, strict=True)) >= 0.95 * len(values)


def test_the_rule_is_part_of_the_key() -> None:
    values = [f"person{i}" for i in range(50)]
    names = masker(MaskRule("faker", "name")).mask_batch(values)
    german = masker(MaskRule("faker", "name", "de_DE")).mask_batch(values)
    firsts = masker(MaskRule("faker", "first_name")).mask_batch(values)
    assert sum(a != b for a, b in zip(names, german, strict=True)) >= 45
    assert sum(not a.startswith(b) for a, b in zip(names, firsts, strict=True)) >= 45
    date = column("date")
    day = datetime.date(2000, 6, 15)
    shifts = {masker(MaskRule("shift", n), date).mask(day) for n in range(1, 40)}
    assert len(shifts) > 10  # the day count changes the draw, not just its scale


def test_integer_mask_ignores_the_columns_width() -> None:
    """An `integer` foreign key to a `bigint` key (or MySQL's `INT` to `INT UNSIGNED`)
    still matches its masked parent."""
    values = list(range(-2000, 2000)) + [2**31 - 1, -(2**31), 10**9]
    wide = masker(MaskRule("hash"), column("integer", int_bits=64)).mask_batch(values)
    narrow = masker(MaskRule("hash"), column("integer", int_bits=32)).mask_batch(values)
    assert wide == narrow
    positives = [v for v in values if v >= 0]
    unsigned = column("integer", int_bits=32, unsigned=True)
    assert masker(MaskRule("hash"), unsigned).mask_batch(positives) == [
        m for v, m in zip(values, wide, strict=True) if v >= 0
    ]


def test_canonical_values() -> None:
    """Equal values spelled differently by a driver mask alike; different types do not."""
    text = masker(MaskRule("hash"))
    assert text.mask("1") != text.mask(1) != text.mask(True)
    number = masker(MaskRule("faker", "pyint"), column("numeric"))
    assert number.mask(Decimal("1.50")) == number.mask(Decimal("1.5"))
    assert isinstance(number.mask(Decimal("2")), Decimal)
    assert isinstance(number.mask(2.5), float)
    shift = masker(MaskRule("shift", 30), column("timestamp"))
    utc = datetime.datetime(2021, 3, 4, 12, 0, tzinfo=datetime.UTC)
    plus_two = utc.astimezone(datetime.timezone(datetime.timedelta(hours=2)))
    assert shift.mask(utc) - utc == shift.mask(plus_two) - plus_two
    ids = masker(MaskRule("hash"), column("uuid"))
    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert ids.mask(str(key)) == str(ids.mask(key))


# --- hash -------------------------------------------------------------------------------


def test_text_hash_shape_and_distinctness() -> None:
    values = [f"customer-{i:06d}@corp.example" for i in range(20_000)]
    full = masker(MaskRule("hash"), column(max_length=255), unique=True).mask_batch(values)
    assert all(len(m) == 16 and BASE32.fullmatch(m) for m in full)
    assert len(set(full)) == len(values)
    short = masker(MaskRule("hash"), column(max_length=12), unique=True).mask_batch(values)
    assert all(len(m) == 12 for m in short)
    assert short == [m[:12] for m in full]
    assert len(set(short)) == len(values)
    assert not any(v in m or m in v for v, m in zip(values, full, strict=True))


@pytest.mark.parametrize(("bits", "unsigned"), [(8, False), (8, True), (16, False), (16, True)])
def test_integer_hash_permutes_the_whole_domain(bits: int, unsigned: bool) -> None:
    low, high = int_range(bits, unsigned)
    domain = list(range(low, high + 1))
    masked = masker(
        MaskRule("hash"), column("integer", int_bits=bits, unsigned=unsigned), unique=True
    ).mask_batch(domain)
    assert sorted(masked) == domain
    assert sum(m == v for m, v in zip(masked, domain, strict=True)) < len(domain) / 50


def _edges(low: int, high: int) -> list[int]:
    """The range's ends and each power of two inside it, with their neighbours."""
    points = {low, high, 0, 1, -1}
    for bit in range(1, 65):
        for base in (2**bit, -(2**bit)):
            points.update((base - 1, base, base + 1))
    return sorted(p for p in points if low <= p <= high)


@pytest.mark.parametrize(
    ("bits", "unsigned"), [(24, False), (32, False), (32, True), (64, False), (64, True)]
)
def test_integer_hash_stays_unique_and_in_range(bits: int, unsigned: bool) -> None:
    low, high = int_range(bits, unsigned)
    rng = random.Random(bits * 2 + unsigned)
    values = set(_edges(low, high))
    values.update(range(max(low, -3000), 3000))  # the small ids every table has
    while len(values) < 20_000:
        values.add(rng.randint(low, high))
    ordered = sorted(values)
    masked = masker(
        MaskRule("hash"), column("integer", int_bits=bits, unsigned=unsigned), unique=True
    ).mask_batch(ordered)
    assert len(set(masked)) == len(ordered)
    assert all(low <= m <= high for m in masked)
    assert sum(m == v for m, v in zip(masked, ordered, strict=True)) < 20


def test_uuid_hash() -> None:
    ids = masker(MaskRule("hash"), column("uuid"), unique=True)
    sources = [uuid.UUID(int=random.Random(i).getrandbits(128)) for i in range(5000)]
    masked = ids.mask_batch(sources)
    assert all(isinstance(m, uuid.UUID) for m in masked)
    assert all(m.version == 4 and m.variant == uuid.RFC_4122 for m in masked)
    assert len(set(masked)) == len(sources)
    assert not set(masked) & set(sources)
    text = ids.mask("5bc8fbbc-bde5-4099-8164-d8399f767c45")
    assert isinstance(text, str) and uuid.UUID(text).version == 4


def test_bytes_hash() -> None:
    blobs = masker(MaskRule("hash"), column("bytes"))
    assert blobs.mask(memoryview(b"abc")) == blobs.mask(b"abc")
    out = blobs.mask(b"abc")
    assert isinstance(out, bytes) and len(out) == 32 and b"abc" not in out
    assert len(masker(MaskRule("hash"), column("bytes", max_length=16)).mask(b"abc")) == 16


# --- faker ------------------------------------------------------------------------------


def test_unique_faker_emails() -> None:
    values = [f"customer.{i:05d}.smith@corp.example" for i in range(50_000)]
    emails = masker(MaskRule("faker", "email"), column(max_length=40), unique=True)
    masked = emails.mask_batch(values)
    assert len(set(masked)) == len(values)
    assert all(len(m) <= 40 for m in masked)
    for source, out in zip(values[:2000], masked[:2000], strict=True):
        parsed = Address(addr_spec=out)
        assert "." in parsed.domain
        assert source not in out and source.split("@")[0] not in out
    assert not any(v in m for v, m in zip(values, masked, strict=True))


def test_emails_join_across_unique_and_other_columns() -> None:
    values = [f"buyer{i}@shop.example" for i in range(500)]
    users = masker(MaskRule("faker", "email"), column(max_length=255), unique=True)
    orders = masker(MaskRule("faker", "email"), column(max_length=100), unique=False)
    assert users.mask_batch(values) == orders.mask_batch(values)


def test_unique_faker_text_keeps_the_suffix_within_max_length() -> None:
    values = [f"Person Number {i}" for i in range(5000)]
    for width in (8, 9, 12, 20):
        masked = masker(
            MaskRule("faker", "name"), column(max_length=width), unique=True
        ).mask_batch(values)
        assert len(set(masked)) == len(values), width
        assert all(len(m) <= width for m in masked), width
    plain = masker(MaskRule("faker", "name"), column(max_length=5)).mask_batch(values)
    assert all(len(m) <= 5 for m in plain)


def test_faker_output_never_holds_the_source() -> None:
    values = [f"Lastname{i:04d}, Firstname" for i in range(3000)]
    for provider in ("name", "address", "phone_number", "user_name"):
        out = masker(MaskRule("faker", provider)).mask_batch(values)
        assert not any(v in m for v, m in zip(values, out, strict=True)), provider


def test_faker_dates_and_timestamps() -> None:
    births = masker(MaskRule("faker", "date_of_birth"), column("date"))
    day = births.mask(datetime.date(1980, 5, 1))
    assert type(day) is datetime.date
    stamps = masker(MaskRule("faker", "date_time"), column("timestamp"))
    berlin = datetime.timezone(datetime.timedelta(hours=1))
    aware = stamps.mask(datetime.datetime(2020, 1, 1, 8, 0, tzinfo=berlin))
    assert aware.tzinfo is berlin
    naive = stamps.mask(datetime.datetime(2020, 1, 1, 8, 0))
    assert isinstance(naive, datetime.datetime) and naive.tzinfo is None
    from_date = masker(MaskRule("faker", "date_of_birth"), column("timestamp"))
    assert isinstance(from_date.mask(datetime.datetime(2001, 1, 1)), datetime.datetime)


def test_faker_integers_fit_the_column() -> None:
    ints = masker(MaskRule("faker", "pyint"), column("integer", int_bits=16))
    out = ints.mask_batch(list(range(1000)))
    assert all(type(v) is int and -(2**15) <= v < 2**15 for v in out)


def test_the_cache_only_speeds_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """Emptying the bounded cache (here every 7 values) changes no result."""
    values = [f"v{i % 40}" for i in range(400)] + list(range(-50, 50))
    cases = [(MaskRule("faker", "email"), column()), (MaskRule("hash"), column("integer"))]
    expected = [
        masker(rule, col).mask_batch(values[:400] if col.kind == "text" else values[400:])
        for rule, col in cases
    ]
    monkeypatch.setattr(masking, "CACHE_SIZE", 7)
    got = [
        masker(rule, col).mask_batch(values[:400] if col.kind == "text" else values[400:])
        for rule, col in cases
    ]
    assert got == expected


# --- shift ------------------------------------------------------------------------------


def test_shift_moves_by_one_to_n_days() -> None:
    days = 7
    dates = [datetime.date(2000, 1, 1) + datetime.timedelta(days=i) for i in range(5000)]
    shifted = masker(MaskRule("shift", days), column("date")).mask_batch(dates)
    offsets = Counter((s - d).days for s, d in zip(shifted, dates, strict=True))
    assert set(offsets) == set(range(-days, 0)) | set(range(1, days + 1))
    assert min(offsets.values()) > 5000 / 14 / 2  # spread over every offset
    assert all(type(s) is datetime.date for s in shifted)


def test_shift_keeps_time_of_day_and_zone() -> None:
    zone = datetime.timezone(datetime.timedelta(hours=-5))
    stamps = [datetime.datetime(2022, 3, 1, 9, 30, 15, 500, tzinfo=zone)] + [
        datetime.datetime(2022, 3, 1, 9, 30) + datetime.timedelta(minutes=i) for i in range(500)
    ]
    shifted = masker(MaskRule("shift", 45), column("timestamp")).mask_batch(stamps)
    for before, after in zip(stamps, shifted, strict=True):
        assert after.tzinfo is before.tzinfo
        assert after.time() == before.time()
        assert 1 <= abs((after - before).days) <= 45
        assert after - before == datetime.timedelta(days=(after - before).days)


def test_shift_at_the_calendars_ends() -> None:
    shift = masker(MaskRule("shift", 100), column("date"))
    for day in (datetime.date.max, datetime.date.min):
        moved = shift.mask(day)
        assert 1 <= abs((moved - day).days) <= 100
    assert shift.mask("0000-00-00") == "0000-00-00"  # PyMySQL's unreadable date


# --- shuffle ----------------------------------------------------------------------------


def test_shuffle_permutes_each_batch_deterministically() -> None:
    batches = [[f"row{b}-{i}" for i in range(1000)] for b in range(3)]
    first = masker(MaskRule("shuffle"), unique=True)
    second = masker(MaskRule("shuffle"), column(name="x"), where="other.table.x")
    one = [first.mask_batch(batch) for batch in batches]
    two = [second.mask_batch(batch) for batch in batches]
    assert one == two
    for batch, out in zip(batches, one, strict=True):
        assert Counter(out) == Counter(batch)
        assert not any(a == b for a, b in zip(out, batch, strict=True))  # every row moves
    # each batch draws its own order; another salt draws others
    positions = [[batch.index(v) for v in out] for batch, out in zip(batches, one, strict=True)]
    assert positions[0] != positions[1] != positions[2]
    salted = masker(MaskRule("shuffle"), salt=OTHER_SALT).mask_batch(batches[0])
    assert salted != one[0]


def test_shuffle_keeps_nulls_and_needs_batches() -> None:
    shuffle = masker(MaskRule("shuffle"))
    values = [None, "a", None, "b", "c"]
    assert Counter(shuffle.mask_batch(values)) == Counter(values)
    assert shuffle.mask_batch([]) == []
    assert shuffle.mask_batch(["only"]) == ["only"]
    with pytest.raises(TypeError, match="mask_batch"):
        shuffle.mask("a")
