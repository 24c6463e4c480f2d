"""Which columns look personal (`dbci.data.personal`), by name and by sampled values.

The expected answers come from outside the code under test: published IBAN and payment card
test numbers (whose one-digit corruptions mod-97 and Luhn are known to catch), addresses
Python's `ipaddress` and `email.headerregistry` accept, and Faker's own generators.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import random
import uuid
from decimal import Decimal
from email.headerregistry import Address

import pytest
from faker import Faker

from dbci.data.personal import personal_by_name, personal_by_values

# --- by name ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "says"),
    [
        ("email", "email"),
        ("customer_email", "email"),
        ("EmailAddress", "email"),
        ("e_mail", "email"),
        ("mail", "email"),
        ("email2", "email"),
        ("phone", "phone"),
        ("mobile_number", "phone"),
        ("tel", "phone"),
        ("fax", "phone"),
        ("phoneNumber", "phone"),
        ("name", "person's name"),
        ("first_name", "person's name"),
        ("lastName", "person's name"),
        ("FIRSTNAME", "person's name"),
        ("surname", "person's name"),
        ("full_name", "person's name"),
        ("given_name", "person's name"),
        ("family_name", "person's name"),
        ("username", "person's name"),
        ("user_name", "person's name"),
        ("card_holder_name", "person's name"),
        ("name_first", "person's name"),
        ("address", "address"),
        ("billing_address_line1", "address"),
        ("street", "address"),
        ("city", "address"),
        ("city_name", "address"),
        ("zip", "address"),
        ("zipCode", "address"),
        ("postcode", "address"),
        ("postal_code", "address"),
        ("birth_date", "birth date"),
        ("date_of_birth", "birth date"),
        ("dob", "birth date"),
        ("birthday", "birth date"),
        ("birthdate", "birth date"),
        ("born_at", "birth date"),
        ("ssn", "national id"),
        ("social_security_number", "national id"),
        ("national_id", "national id"),
        ("passport_no", "national id"),
        ("tax_id", "national id"),
        ("iban", "bank account"),
        ("bic", "bank account"),
        ("account_number", "bank account"),
        ("bank_account", "bank account"),
        ("card_number", "payment card"),
        ("credit_card", "payment card"),
        ("cc_number", "payment card"),
        ("pan", "payment card"),
        ("ip", "IP address"),
        ("ip_address", "IP address"),
        ("IPAddress", "IP address"),
        ("last_login_ip", "IP address"),
        ("ipv6", "IP address"),
        ("salary", "salary"),
        ("gender", "gender"),
        ("sex", "gender"),
        ("password", "password or secret"),
        ("password_hash", "password or secret"),
        ("api_key", "password or secret"),
        ("reset_token", "password or secret"),
    ],
)
def test_personal_names(column: str, says: str) -> None:
    assert personal_by_name(column) == f"its name says {says}"


@pytest.mark.parametrize(
    "column",
    [
        # whole words only: `zip`, `shipping`, `recipe` hold no `ip`; `hotel` no `tel`
        "shipping",
        "shipping_method",
        "recipe",
        "tipping_point",
        "hotel",
        "scorecard",
        "mailing",
        # things' names, not people's
        "filename",
        "file_name",
        "hostname",
        "host_name",
        "table_name",
        "tablename",
        "column_name",
        "type_name",
        "typname",
        "product_name",
        "company_name",
        "country_name",
        "bank_name",
        "category_name",
        # about the data, not the data
        "email_verified_at",
        "email_id",
        "phone_type",
        "gender_id",
        "name_length",
        "password_changed_at",
        "token_count",
        "is_email_verified",
        "has_phone",
        "server_address",
        # nothing personal at all
        "id",
        "created_at",
        "amount",
        "status",
        "description",
        "order_total",
    ],
)
def test_impersonal_names(column: str) -> None:
    assert personal_by_name(column) is None


# --- by values: what must be found ------------------------------------------------------

# ISO 13616 example IBANs as the national registries and the SWIFT IBAN registry print them.
IBANS = [
    "GB82 WEST 1234 5698 7654 32",
    "DE89 3704 0044 0532 0130 00",
    "FR14 2004 1010 0505 0001 3M02 606",
    "NL91 ABNA 0417 1643 00",
    "BE68 5390 0754 7034",
    "CH93 0076 2011 6238 5295 7",
    "ES91 2100 0418 4502 0005 1332",
    "IT60 X054 2811 1010 0000 0123 456",
    "AT61 1904 3002 3457 3201",
    "PL61 1090 1014 0000 0712 1981 2874",
    "GB82WEST12345698765432",
    "DE89370400440532013000",
]
# Payment processors' published test card numbers (Stripe, PayPal, Braintree).
CARDS = [
    "4111111111111111",
    "4012888888881881",
    "4242424242424242",
    "5555555555554444",
    "5105105105105100",
    "378282246310005",
    "371449635398431",
    "6011111111111117",
    "6011000990139424",
    "3530111333300000",
    "3566002020360505",
    "30569309025904",
    "4111 1111 1111 1111",
    "5555-5555-5555-4444",
]


def _digit_changed(text: str) -> str:
    """`text` with its last digit replaced by another: one substitution, which mod-97 and
    the Luhn check are both known to detect."""
    at = max(i for i, c in enumerate(text) if c.isdigit())
    return text[:at] + str((int(text[at]) + 3) % 10) + text[at + 1 :]


def test_emails_found() -> None:
    fake = Faker("en_US")
    fake.seed_instance(7)
    emails = [fake.email() for _ in range(50)]
    for address in emails:  # the references agree these are addresses
        assert Address(addr_spec=address).domain
    assert personal_by_values(emails) == "50 of 50 sampled values look like e-mail addresses"


def test_count_and_share_in_the_message() -> None:
    fake = Faker("en_US")
    fake.seed_instance(8)
    values = [fake.email() for _ in range(41)] + [fake.word() for _ in range(9)]
    random.Random(1).shuffle(values)
    values += [None, "", "   "]  # not counted
    assert personal_by_values(values) == "41 of 50 sampled values look like e-mail addresses"


def test_threshold_at_least_half_of_at_least_five() -> None:
    emails = ["ann@example.org", "bob@example.net", "cy@example.com"]
    assert personal_by_values(emails + ["a"]) is None  # 4 non-empty values: too few
    assert personal_by_values(emails[:2] + ["a", "b", "c"]) is None  # 2 of 5
    assert personal_by_values(emails + ["a", "b", "c"]) == (
        "3 of 6 sampled values look like e-mail addresses"
    )
    assert personal_by_values(emails + [None] * 20) is None  # NULLs are not a sample


def test_ibans_found_and_corrupted_ones_not() -> None:
    assert personal_by_values(IBANS) == (
        f"{len(IBANS)} of {len(IBANS)} sampled values look like IBANs"
    )
    assert personal_by_values([_digit_changed(iban) for iban in IBANS]) is None


def test_faker_ibans_found() -> None:
    fake = Faker("de_DE")
    fake.seed_instance(3)
    assert personal_by_values([fake.iban() for _ in range(30)]) == (
        "30 of 30 sampled values look like IBANs"
    )


def test_cards_found_and_corrupted_ones_not() -> None:
    assert personal_by_values(CARDS) == (
        f"{len(CARDS)} of {len(CARDS)} sampled values look like payment card numbers"
    )
    assert personal_by_values([_digit_changed(card) for card in CARDS]) is None


def test_ip_addresses_found() -> None:
    rng = random.Random(5)
    v4 = [str(ipaddress.IPv4Address(rng.getrandbits(32))) for _ in range(20)]
    v6 = [str(ipaddress.IPv6Address(rng.getrandbits(128))) for _ in range(20)]
    objects = [ipaddress.ip_address("10.1.2.3"), ipaddress.ip_interface("192.168.0.7/24")]
    assert personal_by_values(v4 + v6 + objects) == "42 of 42 sampled values look like IP addresses"


def test_ssns_found_and_never_issued_ones_not() -> None:
    # 078-05-1120 (the Woolworth wallet card) and 219-09-9999 (a 1940 SSA leaflet) are the
    # published examples; the rest follow the SSA's format.
    rng = random.Random(9)
    ssns = ["078-05-1120", "219-09-9999"] + [
        f"{rng.randint(1, 665):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
        for _ in range(18)
    ]
    assert (
        personal_by_values(ssns) == "20 of 20 sampled values look like US social security numbers"
    )
    never_issued = ["000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000"]
    assert personal_by_values(never_issued) is None


def test_phone_numbers_found() -> None:
    written = [
        "+1 415 555 2671",
        "+44 20 7946 0958",
        "+49 30 901820",
        "+33 1 23 45 67 89",
        "+14155552671",
        "(415) 555-2671",
        "(415)555-2671x123",
        "415-555-2671",
        "415.555.2671",
        "030 1234567",
        "0171/1234567",
        "020 7946 0958",
        "01 23 45 67 89",
        "0049 30 901820",
    ]
    assert personal_by_values(written) == (
        f"{len(written)} of {len(written)} sampled values look like phone numbers"
    )
    for locale in ("en_US", "de_DE", "fr_FR", "en_GB"):
        fake = Faker(locale)
        fake.seed_instance(11)
        found = personal_by_values([fake.phone_number() for _ in range(40)])
        assert found is not None and found.endswith("look like phone numbers"), locale


# --- by values: what must not be found --------------------------------------------------


def _impersonal_samples() -> dict[str, list[object]]:
    rng = random.Random(13)
    day = datetime.date(2024, 1, 1)
    return {
        "small integers": [rng.randint(0, 10**6) for _ in range(50)],
        "integers as text": [str(rng.randint(10**6, 10**12)) for _ in range(50)],
        "16-digit integers": [rng.randint(10**15, 10**16 - 1) for _ in range(50)],
        "snowflake ids": [rng.randint(10**18, 2**63 - 1) for _ in range(50)],
        "amounts": [Decimal(rng.randint(0, 10**7)) / 100 for _ in range(50)],
        "amounts as text": [f"{rng.randint(0, 10**7) / 100:.2f}" for _ in range(50)],
        "thousands": [f"{rng.randint(10**6, 10**9):,}" for _ in range(50)],
        "dates": [day + datetime.timedelta(days=i * 37) for i in range(50)],
        "dates as text": [(day + datetime.timedelta(days=i * 37)).isoformat() for i in range(50)],
        "european dates": [
            (day + datetime.timedelta(days=i * 37)).strftime("%d.%m.%Y") for i in range(50)
        ],
        "us dates": [
            (day + datetime.timedelta(days=i * 37)).strftime("%m/%d/%Y") for i in range(50)
        ],
        "timestamps": [
            datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(hours=i)
            for i in range(50)
        ],
        "times": [f"{i % 24:02d}:{i % 60:02d}:00" for i in range(50)],
        "uuids": [uuid.UUID(int=rng.getrandbits(128)) for _ in range(50)],
        "uuids as text": [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(50)],
        "md5 digests": [hashlib.md5(str(i).encode()).hexdigest() for i in range(50)],
        "sha256 digests": [hashlib.sha256(str(i).encode()).hexdigest() for i in range(50)],
        "year ranges": [f"{y}-{y + 1}" for y in range(1970, 2020)],
        "versions": [f"{i % 5}.{i % 13}.{i}" for i in range(50)],
        "codes": [f"ORD-{rng.randint(10000, 99999)}" for _ in range(50)],
        "booleans": [bool(i % 2) for i in range(50)],
        "words": _words(50),
    }


def _words(count: int) -> list[str]:
    fake = Faker("en_US")
    fake.seed_instance(17)
    return fake.words(count)


@pytest.mark.parametrize("kind", sorted(_impersonal_samples()))
def test_impersonal_values(kind: str) -> None:
    assert personal_by_values(_impersonal_samples()[kind]) is None
