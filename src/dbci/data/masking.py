"""Deterministic, keyed masks for one column's values (`[dbci.data.mask]`).

`make_masker(rule, column, unique=..., salt=..., where=...)` checks a `MaskRule` against the
column once (every refusal is an `InputError` naming the column and the fix) and returns a
`Masker` whose `mask(value)` / `mask_batch(values)` turn the values the driver read
(psycopg 3, PyMySQL) into values of the same Python type for the driver to write back.

The masks:

* `keep`: the value itself.
* `null`: NULL (refused on a NOT NULL column).
* `constant`: the rule's `value` in every row, NULLs included (refused on a unique column
  and when it does not fit the column's type or length).
* `hash`: text becomes 16 base32 characters (`a`-`z`, `2`-`7`) of a keyed hash, fewer when
  the column is shorter (a column shorter than 16 gets the first `max_length` of the same
  16); an integer goes through a keyed permutation (below); a uuid becomes a version 4
  uuid made of the keyed hash; bytes become the 32 bytes of the keyed hash (cut to
  `max_length` when the column has one). Other kinds are refused.
* `faker`: Faker's provider `value` in `locale` (`en_US` by default): a value's keyed hash
  picks one of a pool of `POOL_SIZE` outputs, each made by Faker seeded with a keyed hash
  of its place in the pool, the first time it is picked (so a table of a million rows
  costs at most 16,384 Faker calls); Faker draws its names and formats uniformly
  (`use_weighting=False`, five times faster than by their real-world frequencies). Text
  is cut to `max_length`. A unique column's values carry a keyed suffix of 8 characters
  so that distinct values stay distinct; e-mail providers carry it in every column
  (`name.ab12cd34@example.org`), so that an address masks to the same address in a unique
  and a non-unique column and still joins. When the column is too short for the suffix
  it is refused if unique, and left without the suffix if not.
* `shuffle`: each batch's values, moved between its rows by a keyed, seeded cyclic
  permutation (no row keeps its own position when the batch has two rows or more). Only
  `mask_batch` is meaningful: `mask` raises `TypeError`. A batch of one row is unchanged.
* `shift`: a date or timestamp moved by a keyed whole number of days in `[-N, N]`, never
  0; the time of day and the time zone (or its absence) stay. A string the driver returned
  for a value it could not read (MySQL's `0000-00-00`) is left as it is.

NULL stays NULL for every mask but `constant`.

Guarantees:

* Determinism: a mask's output depends only on the value, the salt and the rule (its kind,
  its Faker provider and locale, a shift's day count), never on the table or column, so the
  same e-mail masks to the same e-mail in every table and a foreign key still matches its
  masked parent; two runs with the same salt (and the same Faker release) give the same
  values. The column's type shapes the output only by cutting it to the column's length
  (a cut text is a prefix of the uncut one). Faker providers that count from today
  (`date_of_birth`, `date_this_year`, …) move with the date the run happens on.
* The keyed hash is HMAC-SHA256 with the salt as its key over the rule and a canonical,
  type-tagged encoding of the value (`_canonical`): without the salt a masked value cannot
  be traced back to its source, nor the source's mask computed; different salts give
  unrelated outputs.
* Uniqueness: the integer hash is a bijection (a keyed Feistel network with cycle walking)
  on each of the ranges [0, 2^7), [2^7, 2^8), [2^8, 2^15), [2^15, 2^16), [2^16, 2^23),
  [2^23, 2^24), [2^24, 2^31), [2^31, 2^32), [2^32, 2^63), [2^63, 2^64) and on their
  mirror images below zero (-1 - x), so every signed or unsigned 8, 16, 24, 32 or 64 bit
  column keeps its values in range and distinct, and a value masks alike whatever the
  width of the column holding it (an `integer` foreign key to a `bigint` key still
  matches). The text hash (at least 10 characters on a unique column) and the faker suffix
  (40 bits) keep distinct values distinct with overwhelming probability; a faker result
  equal to its source value is drawn again. Masked text shares no more with its source
  than chance allows (a fake name may still happen to contain a real one).

Speed: the HMAC key, the Faker generator and its provider are prepared once per masker;
the faker and integer masks keep a bounded cache (`CACHE_SIZE`) of value → result. Roughly,
per second on one core, once the pool is made: 250,000 faker e-mails or names (each new
pool entry, at most 16,384, costs a Faker call: 25 µs), 120,000 integer hashes,
200,000 text or uuid hashes, 170,000 shifts, millions of shuffled values; repeated values
come from the cache.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import inspect
import json
import random
import uuid
from bisect import bisect_right
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from dbci.data.config import MASK_KINDS, MaskRule
from dbci.data.model import Column
from dbci.errors import InputError

# Cached value → result pairs per masker (the cache is emptied when it is full).
CACHE_SIZE = 100_000
# Faker's values for a provider, locale and salt come from a pool of this many, each made
# the first time a value picks it (by a keyed hash): calling Faker for every value costs
# 20-30 µs; a pick costs one HMAC. Distinctness, where asked, comes from the keyed suffix.
POOL_SIZE = 1 << 14
# Characters of a text hash (fewer when the column is shorter).
HASH_TEXT_LENGTH = 16
# The shortest text hash a unique column takes (50 bits).
MIN_UNIQUE_HASH_TEXT = 10
# The faker suffix: 8 base32 characters (40 bits of the keyed hash).
SUFFIX_LENGTH = 8
# The shortest column a suffixed e-mail fits: `a.` + suffix + `@` + 9 characters of domain.
MIN_SUFFIXED_EMAIL = 20
# The largest shift, in days (100 years).
MAX_SHIFT_DAYS = 36_525

_VERSION = "dbci.data.mask/1"
_MISSING = object()
_FAKER_KINDS = ("text", "integer", "numeric", "boolean", "date", "timestamp", "time", "uuid")
_HASH_KINDS = ("text", "integer", "uuid", "bytes")
# The integer hash permutes each of these ranges onto itself (see the module docstring).
_INT_BOUNDS = tuple(1 << b for b in (7, 8, 15, 16, 23, 24, 31, 32, 63, 64))
_INT_TIERS = tuple(
    (lo, hi - lo, (hi - lo - 1).bit_length())
    for lo, hi in zip((0,) + _INT_BOUNDS[:-1], _INT_BOUNDS, strict=True)
)
_INT_STARTS = tuple(lo for lo, _, _ in _INT_TIERS)
_FEISTEL_ROUNDS = 8
_KEYED = ("hash", "faker", "shuffle", "shift")  # the masks that need the salt


class Masker:
    """Masks one column's values; made by `make_masker`."""

    def mask(self, value: Any) -> Any:
        """The masked value of one value (None stays None for every mask but constant)."""
        raise NotImplementedError

    def mask_batch(self, values: list[Any]) -> list[Any]:
        """The masked values of a batch of rows, in the rows' order."""
        mask = self.mask
        return [mask(value) for value in values]


def make_masker(rule: MaskRule, column: Column, *, unique: bool, salt: bytes, where: str) -> Masker:
    """The masker of `rule` for `column`, checked against the column's kind, length and
    nullability; `unique` says whether the column's values must stay distinct; `salt` is
    the secret key of every keyed hash; `where` names the column in messages
    (`public.customers.email`). Raises `InputError` when the rule cannot apply."""

    def refuse(problem: str) -> InputError:
        return InputError(f"[dbci.data.mask] {where}: {problem}")

    kind = rule.kind
    if kind not in MASK_KINDS:
        raise refuse(f"unknown mask `{kind}`; use one of {', '.join(MASK_KINDS)}")
    if kind in _KEYED and not salt:
        raise refuse(
            f"{kind} needs a secret salt and it is empty; set [dbci.data] salt (or DBCI_DATA_SALT)"
        )
    salt = bytes(salt)
    if kind == "keep":
        return _Keep()
    if kind == "null" or (kind == "constant" and rule.value is None):
        if not column.nullable:
            raise refuse(
                f"{kind} would put NULL into a NOT NULL column; "
                "use constant with a value, hash or faker instead"
            )
        return _Constant(None)
    if kind == "constant":
        if unique:
            raise refuse(
                "constant gives every row the same value but the column must stay unique; "
                "use hash or faker instead"
            )
        return _Constant(_constant_value(rule.value, column, refuse))
    if kind == "hash":
        return _make_hash(column, unique, salt, refuse, where)
    if kind == "faker":
        return _make_faker(rule, column, unique, salt, refuse, where)
    if kind == "shuffle":
        return _Shuffle(salt, _prefix("shuffle"))
    # shift
    days = rule.value
    if column.kind not in ("date", "timestamp"):
        raise refuse(
            f"shift moves dates and timestamps, not {_a(column.kind)} column; "
            "use another mask (hash, faker, constant, null, keep)"
        )
    if type(days) is not int or not 0 < days <= MAX_SHIFT_DAYS:
        raise refuse(
            f"shift needs a whole number of days from 1 to {MAX_SHIFT_DAYS}, "
            f'not {days!r}; write e.g. "shift:30d"'
        )
    return _Shift(salt, _prefix("shift", str(days)), days, where)


# --- keys -------------------------------------------------------------------------------


def _prefix(*rule: str) -> bytes:
    """The bytes that put the rule into every keyed hash of a masker (length-prefixed, so
    that no rule and value run into another rule and value)."""
    label = "\x1f".join((_VERSION,) + rule).encode("utf-8")
    return len(label).to_bytes(2, "big") + label


def _canonical(value: Any) -> bytes:
    """A value's bytes for the keyed hash: tagged by type, so that 1, "1" and True differ,
    and equal for equal values however the driver spelled them (Decimal 1.50 and 1.5, an
    aware timestamp in any time zone; the uuid hash reads a uuid given as text first)."""
    kind = type(value)
    if kind is str:
        text: str = value
        return b"s" + text.encode("utf-8", "surrogatepass")
    if kind is int:
        return b"i%d" % value
    if isinstance(value, bool):
        return b"b1" if value else b"b0"
    if isinstance(value, int):
        return b"i%d" % int(value)
    if isinstance(value, str):
        return b"s" + str(value).encode("utf-8", "surrogatepass")
    if isinstance(value, Decimal):
        sign, digits, exponent = value.as_tuple()
        if not isinstance(exponent, int):  # NaN, Infinity
            return b"n" + str(value).encode("ascii")
        kept = list(digits)
        while len(kept) > 1 and kept[-1] == 0:
            kept.pop()
            exponent += 1
        if kept == [0]:
            sign, exponent = 0, 0
        return b"n%d:%s:%d" % (sign, "".join(map(str, kept)).encode("ascii"), exponent)
    if isinstance(value, float):
        return b"f" + repr(value).encode("ascii")
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return b"t" + value.isoformat().encode("ascii")
        try:
            utc = value.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:  # year 1 or 9999 moved out of range
            return b"T" + value.isoformat().encode("ascii")
        return b"T" + utc.isoformat().encode("ascii")
    if isinstance(value, date):
        return b"d" + value.isoformat().encode("ascii")
    if isinstance(value, time):
        return b"h" + value.isoformat().encode("ascii")
    if isinstance(value, uuid.UUID):
        return b"u" + value.bytes
    if isinstance(value, bytes | bytearray | memoryview):
        return b"x" + bytes(value)
    if isinstance(value, dict | list):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
        return b"j" + text.encode("utf-8", "surrogatepass")
    return b"o" + f"{kind.__qualname__}:{value}".encode("utf-8", "surrogatepass")


def _a(kind: str) -> str:
    """`kind` with its indefinite article: "an integer", "a text"."""
    vowel = kind[:1] in ("a", "e", "i", "o") or kind.startswith("un")
    return f"an {kind}" if vowel else f"a {kind}"


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").lower()


# --- keep, null, constant ---------------------------------------------------------------


class _Keep(Masker):
    def mask(self, value: Any) -> Any:
        return value

    def mask_batch(self, values: list[Any]) -> list[Any]:
        return list(values)


class _Constant(Masker):
    def __init__(self, value: Any) -> None:
        self._value = value

    def mask(self, value: Any) -> Any:
        return self._value

    def mask_batch(self, values: list[Any]) -> list[Any]:
        return [self._value] * len(values)


def _int_range(column: Column) -> tuple[int, int]:
    bits = column.int_bits or 64
    if column.unsigned:
        return 0, (1 << bits) - 1
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def _constant_value(value: Any, column: Column, refuse: Callable[[str], InputError]) -> Any:
    """`value` as the column's driver takes it, or the refusal saying why it does not fit."""
    kind = column.kind
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    try:
        if kind == "text":
            if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
                raise ValueError
            text = str(value)
            if column.max_length is not None and len(text) > column.max_length:
                raise refuse(
                    f"constant {shown} has {len(text)} characters but the column takes "
                    f"{column.max_length}; use a shorter constant"
                )
            return text
        if kind == "integer":
            if type(value) is not int:
                raise ValueError
            lo, hi = _int_range(column)
            if not lo <= value <= hi:
                raise refuse(
                    f"constant {value} is outside the column's range {lo}..{hi}; "
                    "use a constant within it"
                )
            return value
        if kind == "numeric":
            if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
                raise ValueError
            return Decimal(str(value))
        if kind == "boolean":
            if not isinstance(value, bool):
                raise ValueError
            return value
        if kind == "date":
            if isinstance(value, str):
                return date.fromisoformat(value)
            if isinstance(value, date) and not isinstance(value, datetime):
                return value
            raise ValueError
        if kind == "timestamp":
            if isinstance(value, str):
                return datetime.fromisoformat(value)
            if isinstance(value, datetime):
                return value
            if isinstance(value, date):
                return datetime.combine(value, time())
            raise ValueError
        if kind == "time":
            if isinstance(value, str):
                return time.fromisoformat(value)
            if isinstance(value, time):
                return value
            raise ValueError
        if kind == "uuid":
            return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
        if kind == "json":
            json.dumps(value)
            return value
        if kind == "bytes":
            if isinstance(value, bytes):
                return value
            if isinstance(value, str):
                return value.encode("utf-8")
            raise ValueError
        return value  # other: as given (an enum's label, say)
    except (ValueError, TypeError, ArithmeticError):
        raise refuse(
            f"constant {shown} does not fit {_a(kind)} column ({column.type_name}); "
            "use a constant of the column's type"
        ) from None


# --- hash -------------------------------------------------------------------------------


def _make_hash(
    column: Column, unique: bool, salt: bytes, refuse: Callable[[str], InputError], where: str
) -> Masker:
    kind = column.kind
    if kind not in _HASH_KINDS:
        raise refuse(
            f"hash cannot keep the type of {_a(kind)} column ({column.type_name}); it takes "
            "text, integer, uuid and bytes columns: use faker, shift, constant, null or keep"
        )
    max_length = column.max_length
    if kind == "text":
        length = HASH_TEXT_LENGTH if max_length is None else min(HASH_TEXT_LENGTH, max_length)
        if length < 1 or (unique and length < MIN_UNIQUE_HASH_TEXT):
            raise refuse(
                f"a hash of {max_length} characters could repeat in a unique column; it "
                f"needs {MIN_UNIQUE_HASH_TEXT}: use faker (its suffix keeps values "
                "distinct) or keep"
            )
        return _HashText(salt, _prefix("hash"), length)
    if kind == "integer":
        return _HashInteger(salt, where)
    if kind == "uuid":
        return _HashUuid(salt, _prefix("hash"))
    length = 32 if max_length is None else min(32, max_length)
    if length < 1 or (unique and length < 8):
        raise refuse(
            f"a hash of {max_length} bytes could repeat in a unique column; "
            "widen the column to 8 bytes or use keep"
        )
    return _HashBytes(salt, _prefix("hash"), length)


class _Keyed(Masker):
    """A mask made of the keyed hash of the value (`_digest`), cut to `length`."""

    def __init__(self, salt: bytes, prefix: bytes, length: int = 32) -> None:
        self._salt = salt
        self._prefix = prefix
        self._length = length

    def _digest(self, value: Any) -> bytes:
        return hmac.digest(self._salt, self._prefix + _canonical(value), "sha256")


class _HashText(_Keyed):
    def mask(self, value: Any) -> Any:
        if value is None:
            return None
        return _b32(self._digest(value)[:10])[: self._length]


class _HashUuid(_Keyed):
    def mask(self, value: Any) -> Any:
        if value is None:
            return None
        source: Any = value
        if isinstance(value, str):
            try:
                source = uuid.UUID(value)
            except ValueError:
                pass
        masked = uuid.UUID(bytes=self._digest(source)[:16], version=4)
        return masked if isinstance(value, uuid.UUID) else str(masked)


class _HashBytes(_Keyed):
    def mask(self, value: Any) -> Any:
        if value is None:
            return None
        return self._digest(value)[: self._length]


class _HashInteger(Masker):
    """A keyed permutation of each range of `_INT_TIERS` (and its mirror below zero): a
    balanced-as-can-be Feistel network on the range's bit width, keyed BLAKE2b as the round
    function, walking the cycle until the result falls back into the range."""

    def __init__(self, salt: bytes, where: str) -> None:
        key = hmac.digest(salt, _prefix("hash", "integer"), "sha256")
        base = hashlib.blake2b(key=key, digest_size=8)
        self._rounds = []
        for number in range(_FEISTEL_ROUNDS):
            state = base.copy()
            state.update(bytes([number]))
            self._rounds.append(state)
        self._where = where
        self._cache: dict[int, int] = {}

    def _feistel(self, x: int, bits: int, tweak: int) -> int:
        right_bits = bits - (bits >> 1)
        left, right = x >> right_bits, x & ((1 << right_bits) - 1)
        left_bits = bits >> 1
        for state in self._rounds:
            h = state.copy()
            h.update(((tweak << 64) | right).to_bytes(9, "little"))
            f = int.from_bytes(h.digest(), "little") & ((1 << left_bits) - 1)
            left, right = right, left ^ f
            left_bits, right_bits = right_bits, left_bits
        return (left << right_bits) | right

    def mask(self, value: Any) -> Any:
        if value is None:
            return None
        cached = self._cache.get(value)
        if cached is not None:
            return cached
        number = value
        if type(number) is not int:
            if isinstance(number, Decimal | float) and number == int(number):
                number = int(number)
            elif not isinstance(number, int):
                raise InputError(
                    f"[dbci.data.mask] {self._where}: hash got a {type(value).__name__} "
                    "value in an integer column; mask it with keep or constant"
                )
            number = int(number)
        negative = number < 0
        u = -1 - number if negative else number
        if u >= _INT_BOUNDS[-1]:
            raise InputError(
                f"[dbci.data.mask] {self._where}: hash takes integers of at most 64 bits, "
                f"not {number}; mask the column with keep or constant"
            )
        tier = bisect_right(_INT_STARTS, u) - 1
        lo, size, bits = _INT_TIERS[tier]
        x = u - lo
        tweak = tier | (16 if negative else 0)
        while True:
            x = self._feistel(x, bits, tweak)
            if x < size:
                break
        result = -1 - (lo + x) if negative else lo + x
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        self._cache[value] = result
        return result


# --- faker ------------------------------------------------------------------------------


def _make_faker(
    rule: MaskRule,
    column: Column,
    unique: bool,
    salt: bytes,
    refuse: Callable[[str], InputError],
    where: str,
) -> Masker:
    from faker import Faker
    from faker.providers import BaseProvider

    provider = rule.value
    if not isinstance(provider, str) or not provider.isidentifier():
        raise refuse(f'faker needs a provider\'s name, not {provider!r}; e.g. value = "email"')
    locale = (rule.locale or "en_US").replace("-", "_")
    try:
        generator = Faker(locale, use_weighting=False).factories[0]
    except (AttributeError, ValueError, ImportError):
        raise refuse(
            f"unknown Faker locale `{locale}`; use one like en_US, de_DE or fr_FR"
        ) from None
    call = None if provider.startswith("_") else getattr(generator, provider, None)
    if not inspect.ismethod(call) or not isinstance(call.__self__, BaseProvider):
        raise refuse(
            f"Faker has no provider `{provider}` in {locale}; use one like email, name, "
            "phone_number, address, iban"
        )
    needed = [
        p.name
        for p in inspect.signature(call).parameters.values()
        if p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    if needed:
        raise refuse(
            f"Faker's `{provider}` needs arguments ({', '.join(needed)}); "
            "use a provider that takes none"
        )
    kind = column.kind
    if kind not in _FAKER_KINDS:
        raise refuse(
            f"faker cannot fill {_a(kind)} column ({column.type_name}); it takes "
            f"{', '.join(_FAKER_KINDS)} columns: use constant, null or keep"
        )
    if unique and kind != "text":
        raise refuse(f"faker cannot keep a unique {kind} column distinct; use hash or keep instead")
    generator.seed_instance(0)
    try:
        sample = call()
    except Exception as exc:  # a provider that fails without arguments
        raise refuse(
            f"Faker's `{provider}` fails without arguments ({type(exc).__name__}); "
            "use another provider"
        ) from None
    convert = _converter(kind, column)
    if sample is None or convert(sample, None) is _MISSING:
        raise refuse(
            f"Faker's `{provider}` gives {type(sample).__name__} values, "
            f"which do not suit {_a(kind)} column ({column.type_name}); "
            "use a provider of the column's type"
        )
    max_length = column.max_length
    email = (
        kind == "text" and provider.endswith("email") and isinstance(sample, str) and "@" in sample
    )
    suffix = ""  # "", "email" or "text"
    if kind == "text":
        if email and (max_length is None or max_length >= MIN_SUFFIXED_EMAIL):
            suffix = "email"
        elif unique:
            needs = MIN_SUFFIXED_EMAIL if email else SUFFIX_LENGTH
            if max_length is not None and max_length < needs:
                raise refuse(
                    f"a unique column of {max_length} characters is too short for faker's "
                    f"distinct values (needs {needs}); use hash, keep or a wider column"
                )
            suffix = "text"
    if kind == "integer":
        lo, hi = _int_range(column)
        if not lo <= sample <= hi:
            raise refuse(
                f"Faker's `{provider}` gives {sample}, outside the column's range "
                f"{lo}..{hi}; use a provider of smaller numbers"
            )
    return _FakerMasker(
        salt=salt,
        prefix=_prefix("faker", provider, locale),
        seed=generator.seed_instance,
        call=call,
        convert=convert,
        suffix=suffix,
        max_length=max_length if kind == "text" else None,
        int_range=_int_range(column) if kind == "integer" else None,
        where=where,
        provider=provider,
    )


def _converter(kind: str, column: Column) -> Callable[[Any, Any], Any]:
    """How a Faker result becomes a value of the column's kind (given the source value,
    for its time zone and type); `_MISSING` when it cannot."""

    def text(raw: Any, source: Any) -> Any:
        if isinstance(raw, bytes | bytearray | memoryview):
            return _MISSING
        return raw if type(raw) is str else str(raw)

    def integer(raw: Any, source: Any) -> Any:
        return raw if isinstance(raw, int) and not isinstance(raw, bool) else _MISSING

    def numeric(raw: Any, source: Any) -> Any:
        if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal):
            return _MISSING
        return float(raw) if isinstance(source, float) else Decimal(str(raw))

    def boolean(raw: Any, source: Any) -> Any:
        return raw if isinstance(raw, bool) else _MISSING

    def as_date(raw: Any, source: Any) -> Any:
        if isinstance(raw, datetime):
            return raw.date()
        return raw if isinstance(raw, date) else _MISSING

    def timestamp(raw: Any, source: Any) -> Any:
        if isinstance(raw, datetime):
            result = raw
        elif isinstance(raw, date):
            result = datetime.combine(raw, time())
        else:
            return _MISSING
        if isinstance(source, datetime):
            if source.tzinfo is not None and result.tzinfo is None:
                result = result.replace(tzinfo=source.tzinfo)
            elif source.tzinfo is None and result.tzinfo is not None:
                result = result.replace(tzinfo=None)
        return result

    def as_time(raw: Any, source: Any) -> Any:
        if isinstance(raw, datetime):
            return raw.time()
        return raw if isinstance(raw, time) else _MISSING

    def as_uuid(raw: Any, source: Any) -> Any:
        try:
            value = raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
        except ValueError:
            return _MISSING
        return str(value) if isinstance(source, str) else value

    converters: dict[str, Callable[[Any, Any], Any]] = {
        "text": text,
        "integer": integer,
        "numeric": numeric,
        "boolean": boolean,
        "date": as_date,
        "timestamp": timestamp,
        "time": as_time,
        "uuid": as_uuid,
    }
    return converters[kind]


class _FakerMasker(Masker):
    def __init__(
        self,
        *,
        salt: bytes,
        prefix: bytes,
        seed: Callable[[int], Any],
        call: Callable[[], Any],
        convert: Callable[[Any, Any], Any],
        suffix: str,
        max_length: int | None,
        int_range: tuple[int, int] | None,
        where: str,
        provider: str,
    ) -> None:
        self._salt = salt
        self._prefix = prefix
        self._seed = seed
        self._call = call
        self._convert = convert
        self._suffix = suffix
        self._max_length = max_length
        self._int_range = int_range
        self._where = where
        self._provider = provider
        self._cache: dict[Any, Any] = {}
        self._pool: dict[int, Any] = {}

    def mask(self, value: Any) -> Any:
        if value is None:
            return None
        canonical: bytes | None = None
        key: Any = value
        if type(value) is not str:
            key = canonical = _canonical(value)
        cached = self._cache.get(key, _MISSING)
        if cached is not _MISSING:
            return cached
        if canonical is None:
            canonical = _canonical(value)
        digest = hmac.digest(self._salt, self._prefix + canonical, "sha256")
        result: Any = None
        # A result equal to its source is drawn again (from the next 8 bytes of the hash).
        for start in (0, 8, 16):
            index = int.from_bytes(digest[start : start + 8], "big") % POOL_SIZE
            result = self._finish(self._drawn(index), value, digest)
            if result != value:
                break
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        self._cache[key] = result
        return result

    def _drawn(self, index: int) -> Any:
        """The pool's value `index`: Faker's output seeded by a keyed hash of the index,
        made the first time it is drawn."""
        raw = self._pool.get(index, _MISSING)
        if raw is _MISSING:
            seed = hmac.digest(
                self._salt, self._prefix + b"pool" + index.to_bytes(4, "big"), "sha256"
            )
            self._seed(int.from_bytes(seed[:8], "big"))
            raw = self._pool[index] = self._call()
        return raw

    def _finish(self, raw: Any, source: Any, digest: bytes) -> Any:
        if raw is None:
            return None
        result = self._convert(raw, source)
        if result is _MISSING:
            raise InputError(
                f"[dbci.data.mask] {self._where}: Faker's `{self._provider}` gave a "
                f"{type(raw).__name__}, which does not suit the column; use another provider"
            )
        if self._int_range is not None:
            lo, hi = self._int_range
            if not lo <= result <= hi:
                raise InputError(
                    f"[dbci.data.mask] {self._where}: Faker's `{self._provider}` gave "
                    f"{result}, outside the column's range {lo}..{hi}; use a provider of "
                    "smaller numbers"
                )
            return result
        max_length = self._max_length
        if self._suffix == "email":
            return _suffixed_email(result, _b32(digest[24:29]), max_length)
        if self._suffix == "text":
            suffix = _b32(digest[24:29])
            if max_length is None:
                return f"{result}-{suffix}"
            room = max_length - SUFFIX_LENGTH - 1
            return f"{result[:room]}-{suffix}" if room > 0 else suffix
        if max_length is not None and type(result) is str:
            return result[:max_length]
        return result


def _suffixed_email(address: str, suffix: str, max_length: int | None) -> str:
    """`local.SUFFIX@domain`, within `max_length` (at least `MIN_SUFFIXED_EMAIL`): the local
    part cut first, then the domain from the left; never the suffix."""
    local, at, domain = address.rpartition("@")
    if not at:
        local, domain = address, "example.org"
    if max_length is not None:
        fixed = 1 + SUFFIX_LENGTH + 1  # "." suffix "@"
        if len(local) + fixed + len(domain) > max_length:
            room = max_length - fixed - len(domain)
            if room < 1:
                room = 1
                domain = domain[-(max_length - fixed - 1) :].lstrip(".-") or "x"
            local = local[:room].rstrip(".-_+") or "x"
    return f"{local}.{suffix}@{domain}"


# --- shuffle, shift ---------------------------------------------------------------------


class _Shuffle(Masker):
    """A keyed cyclic permutation (Sattolo's algorithm) of each batch; the n-th batch's is
    seeded by HMAC(salt, rule + n), so the same batches in the same order shuffle alike."""

    def __init__(self, salt: bytes, prefix: bytes) -> None:
        self._salt = salt
        self._prefix = prefix
        self._batches = 0

    def mask(self, value: Any) -> Any:
        raise TypeError("shuffle moves values between the rows of a batch: call mask_batch")

    def mask_batch(self, values: list[Any]) -> list[Any]:
        seed = hmac.digest(self._salt, self._prefix + b"%d" % self._batches, "sha256")
        self._batches += 1
        result = list(values)
        below = random.Random(int.from_bytes(seed, "big")).randrange
        for i in range(len(result) - 1, 0, -1):
            j = below(i)
            result[i], result[j] = result[j], result[i]
        return result


class _Shift(Masker):
    def __init__(self, salt: bytes, prefix: bytes, days: int, where: str) -> None:
        self._salt = salt
        self._prefix = prefix
        self._days = days
        self._where = where

    def mask(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):  # what PyMySQL returns for a date it cannot read
            parsed: date
            try:
                if len(value) > 10:
                    parsed = datetime.fromisoformat(value)
                else:
                    parsed = date.fromisoformat(value)
            except ValueError:
                return value
            shifted = self.mask(parsed)
            return shifted.isoformat(" ") if isinstance(shifted, datetime) else shifted.isoformat()
        if not isinstance(value, date):
            raise InputError(
                f"[dbci.data.mask] {self._where}: shift got a {type(value).__name__} value, "
                "not a date or timestamp; mask the column another way"
            )
        digest = hmac.digest(self._salt, self._prefix + _canonical(value), "sha256")
        days = self._days
        offset = int.from_bytes(digest[:8], "big") % (2 * days) - days
        if offset >= 0:
            offset += 1
        delta = timedelta(days=offset)
        try:
            return value + delta
        except OverflowError:
            return value - delta
