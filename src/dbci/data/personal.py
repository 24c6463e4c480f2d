"""Which columns look personal: `dbci data refresh` refuses to copy such a column unmasked
unless the user writes `keep` for it. Both checks err on the safe side (a false alarm costs a
`keep`; a miss copies people's data), but not blindly.

By name (`personal_by_name`): the column's name is split into lower-case words at
underscores, dashes, spaces, case changes and digits, the digits dropped
(`billingAddress2` is `billing address`, `IPAddress` is `ip address`), and whole words (or
runs of words) are matched, so `zip` and `shipping` never say `ip`. The categories: e-mail
(`email`, `mail`, `e_mail`), phone (`phone`, `mobile`, `tel`, `fax`, `msisdn`), a person's
name (below), address (`address`, `addr`, `street`, `city`, `zip`, `postcode`, `postal`),
birth (`birth`, `birthday`, `birthdate`, `dob`, `born`), national id (`ssn`, `social
security`, `national id`, `passport`, `tax id`, `driver license`, `id card`), bank account
(`iban`, `bic`, `bank`, `account number`, `routing number`, `sort code`), payment card
(`card`, `credit card`, `cc number`, `pan`, `cvv`), IP address (`ip`, `ipv4`, `remote
addr`), MAC address, salary (`salary`, `wage`, `income`), gender (`gender`, `sex`), and
passwords and secrets (`password`, `passwd`, `pwd`, `passphrase`, `secret`, `token`, `api
key`, `private key`): not personal data as such, but a copy of production credentials in a
development database is as much a leak, so they need a mask (or `keep`) too.

The rules that keep false alarms down:

* A person's name: the word `name` is personal (`name`, `customer_name`, `name_first`)
  unless the word before it names a thing (`file`, `host`, `table`, `column`, `type`,
  `product`, `company`, `category`, `country`, … in `_THINGS`): `table_name` or
  `product_name` is not a person's. Run-together words count only with a person's prefix:
  `firstname`, `lastname`, `surname`, `username`, `nickname`, `fname` are personal;
  `filename`, `hostname`, `tablename`, `typname` are not. `username` and `user_name` are
  personal (they often are a person's name or e-mail).
* `address` is not personal after `server`, `host`, `memory`, `network`, `endpoint`, …
  (`server_address`); `ip address`, `email address` and `mac address` are their own kind.
* A column about the data rather than the data is not personal: a name that ends in `id`,
  `count`, `at`, `on`, `status`, `type`, `verified`, `enabled`, `sent`, `version`, … (in
  `_ABOUT`: `email_verified_at`, `phone_type`, `city_id`), or starts with `is`, `has`,
  `can`, `allow`, … (`has_phone`). A birth is personal whatever follows it (`born_at`).
* When several words match, the last one decides what the column holds (`card_holder_name`
  is a name, `billing_address_city` an address).

By values (`personal_by_values`): the sample's non-null values as text (bytes decoded as
UTF-8, else skipped); a category is reported when at least 5 values are non-empty and at
least half of them match it. The categories, each value counted once, in this order:
e-mail addresses (`local@domain.tld`), IBANs (2 letters, 2 check digits, 11 to 30 letters
and digits, spaces allowed, passing the ISO 13616 mod-97 check), payment card numbers
(13 to 19 digits, spaces or dashes allowed, first digit 2 to 6, passing the Luhn check), US
social security numbers (`###-##-####`, without the never-issued 000, 666 and 9xx areas,
00 groups and 0000 serials), IP addresses (what Python's `ipaddress` reads as an IPv4 or
IPv6 address, optionally with a prefix length), and phone numbers (7 to 15 digits, with a
`+` or `00` country prefix, or with at least three groups of digits, or two groups the first
of which starts with the national `0` or is in parentheses, or as one group of 9 to 11
digits that starts with a single `0`; an extension allowed). Dates,
times, amounts, plain integers, uuids and hex digests match none of them.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

# --- by name ----------------------------------------------------------------------------

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")

_NAME = "person's name"
# category label -> words and runs of words that say it (run-together forms included).
_CATEGORIES: dict[str, tuple[str, ...]] = {
    "email": (
        "email",
        "emails",
        "mail",
        "mails",
        "emailaddress",
        "emailaddr",
        "mailaddress",
        "e mail",
        "email address",
        "mail address",
    ),
    "phone": (
        "phone",
        "phones",
        "phonenumber",
        "telephone",
        "tel",
        "mobile",
        "mobilephone",
        "mobilenumber",
        "cellphone",
        "fax",
        "msisdn",
        "cell phone",
        "cell number",
    ),
    "IP address": (
        "ip",
        "ips",
        "ipaddress",
        "ipaddr",
        "ipv",
        "ip address",
        "ipv address",
        "ip addr",
        "remote addr",
        "remote address",
        "remoteaddr",
        "client addr",
        "client address",
    ),
    "MAC address": ("mac address", "macaddress", "macaddr", "mac addr"),
    "address": (
        "address",
        "addresses",
        "addr",
        "street",
        "streetaddress",
        "city",
        "zip",
        "zipcode",
        "postcode",
        "postalcode",
        "postal",
        "housenumber",
        "house number",
    ),
    "birth date": ("birth", "birthday", "birthdate", "birthdates", "dob", "dateofbirth", "born"),
    "national id": (
        "ssn",
        "ssns",
        "social security",
        "socialsecurity",
        "national id",
        "nationalid",
        "national insurance",
        "passport",
        "passportnumber",
        "tax id",
        "taxid",
        "tax number",
        "taxnumber",
        "driver license",
        "drivers license",
        "driving license",
        "driver licence",
        "drivers licence",
        "driving licence",
        "driverlicense",
        "driverslicense",
        "id card",
        "idcard",
        "identity card",
        "identity number",
    ),
    "bank account": (
        "iban",
        "bic",
        "bank",
        "bankaccount",
        "bank account",
        "account number",
        "accountnumber",
        "account no",
        "account num",
        "acct number",
        "acct no",
        "routing number",
        "routingnumber",
        "sort code",
        "sortcode",
        "swift code",
        "swift bic",
    ),
    "payment card": (
        "card",
        "cards",
        "creditcard",
        "credit card",
        "cardnumber",
        "card number",
        "ccnumber",
        "cc number",
        "cc num",
        "cc no",
        "pan",
        "cvv",
        "cvc",
    ),
    "salary": ("salary", "salaries", "wage", "wages", "income"),
    "gender": ("gender", "sex"),
    "password or secret": (
        "password",
        "passwords",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "secrets",
        "token",
        "apikey",
        "api key",
        "privatekey",
        "private key",
    ),
    _NAME: (
        "name",
        "names",
        "username",
        "surname",
        "surnames",
        "forename",
        "forenames",
        "fname",
        "lname",
    ),
}
_LONGEST_RUN = max(len(p.split()) for words in _CATEGORIES.values() for p in words)
_PHRASES: dict[tuple[str, ...], str] = {
    tuple(phrase.split()): label for label, phrases in _CATEGORIES.items() for phrase in phrases
}

# Prefixes that make a run-together `...name` a person's (`firstname`, `custname`).
_PERSON_NAME_PREFIXES = frozenset(
    """first last full given family sur middle maiden nick user display fore real legal
    birth contact customer cust client member person employee emp patient owner holder
    cardholder sender recipient guest parent mother father spouse f l m""".split()
)
# Words before `name` that make it a thing's name, not a person's.
_THINGS = frozenset(
    """file files host table tables column col type product products company schema class
    domain field key brand category model app application service queue bucket database db
    index tag role group event template function method module package project branch repo
    repository job task step stage plan feature metric attribute attr param parameter
    variable var property entity object resource relation constraint trigger view sequence
    enum label store shop business org organization organisation team department dept region
    site page route path dir directory folder device machine server node cluster env
    environment topic channel course item sku tier level status unit currency language locale
    timezone zone campaign list image asset document doc report dataset source target layer
    color colour font icon sheet tab section menu widget component config setting option rule
    policy permission scope genre format extension mime bank pool network container volume
    cert certificate provider plugin cookie header query action command operation endpoint api
    country state province county continent region venue room building warehouse
    game team league award badge skill""".split()
)
# Words before `address` that make it a machine's.
_ADDRESS_THINGS = frozenset(
    """server host memory base bind listen broadcast network net node endpoint proxy smtp
    contract gateway web url link callback""".split()
)
# A last word that makes the column about the data rather than the data.
_ABOUT = frozenset(
    """id ids uuid guid count counts cnt total at on ts verified confirmed validated valid
    enabled disabled visible hidden public opt optin optout opted consent consented sent
    bounced bounce bounces status type types kind format template length len size changed
    updated created modified expires expired version provider policy preference preferences
    pref prefs flag flags attempts attempt retries required regex pattern masked mask domain
    field column""".split()
)
# A first word that makes the column a yes/no about the data.
_QUESTION = frozenset(
    "is has have can should allow allows use uses needs show hide require requires".split()
)


def name_words(column: str) -> list[str]:
    """The lower-case words of a column's name: `billingAddress2` -> billing, address, 2."""
    return [word.lower() for word in _WORD.findall(column)]


def personal_by_name(column: str) -> str | None:
    """Why the column's name says it holds personal data ("its name says email"), or None.
    The rules are in the module docstring."""
    words = [word for word in name_words(column) if not word.isdigit()]
    if not words or (len(words) > 1 and words[0] in _QUESTION):
        return None
    # Every match as (start, end, label); runs of words first, longest first.
    matches: list[tuple[int, int, str]] = []
    i = 0
    while i < len(words):
        for size in range(min(_LONGEST_RUN, len(words) - i), 0, -1):
            label = _PHRASES.get(tuple(words[i : i + size]))
            if label is None and size == 1:
                label = _compound_name(words[i])
            if label is not None:
                matches.append((i, i + size, label))
                i += size
                break
        else:
            i += 1
    if not matches:
        return None
    start, end, label = matches[-1]
    if label != "birth date" and end < len(words) and words[-1] in _ABOUT:
        return None
    before = words[start - 1] if start > 0 else None
    if label == _NAME and words[start] in ("name", "names") and before is not None:
        if any(m[1] == start and m[2] == "address" for m in matches):
            label = "address"  # `city_name`, `street_name`
        elif before in _THINGS:
            return None
    if label == "address" and words[start] in ("address", "addresses", "addr"):
        if before in _ADDRESS_THINGS:
            return None
    return f"its name says {label}"


def _compound_name(word: str) -> str | None:
    """`name` for a run-together person's name (`firstname`, `custnames`), else None."""
    for tail in ("name", "names"):
        if word.endswith(tail) and word[: -len(tail)] in _PERSON_NAME_PREFIXES:
            return _NAME
    return None


# --- by values --------------------------------------------------------------------------

_EMAIL = re.compile(
    r"[^\s@\"(),:;<>\[\]\\]+@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}", re.UNICODE
)
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_CARD = re.compile(r"[2-6][0-9]{12,18}")
_CARD_SPELLING = re.compile(r"[0-9]+(?:[ -][0-9]+)*")
_SSN = re.compile(r"([0-9]{3})-([0-9]{2})-([0-9]{4})")
_PHONE = re.compile(
    r"(?P<number>(?:\+|00)?[ ]?(?:\([0-9]{1,5}\)[ \-]?[0-9]+|[0-9]+)(?:[ ().\-/]{1,3}[0-9]+)*)"
    r"(?:\s*(?:x|ext\.?|extension|#)\s*[0-9]{1,6})?",
    re.IGNORECASE,
)
_DIGIT_GROUP = re.compile(r"[0-9]+")
_DATE = re.compile(r"[0-9]{4}([-/.])[0-9]{1,2}\1[0-9]{1,2}|[0-9]{1,2}([-/.])[0-9]{1,2}\2[0-9]{2,4}")
_THOUSANDS = re.compile(r"[0-9]{1,3}(?:([.,' ])[0-9]{3})(?:\1[0-9]{3})*")

_VALUE_LABELS = {
    "email": "e-mail addresses",
    "iban": "IBANs",
    "card": "payment card numbers",
    "ssn": "US social security numbers",
    "ip": "IP addresses",
    "phone": "phone numbers",
}


def personal_by_values(values: Sequence[Any]) -> str | None:
    """Why a sample of a column's values looks personal ("41 of 50 sampled values look like
    e-mail addresses"), or None: when at least 5 values are non-empty and at least half of
    them are of one category (module docstring)."""
    texts: list[str] = []
    for value in values:
        if value is None or isinstance(value, bool):
            continue
        if isinstance(value, bytes | bytearray | memoryview):
            try:
                text = bytes(value).decode("utf-8")
            except UnicodeDecodeError:
                continue
        else:
            text = str(value)
        text = text.strip()
        if text:
            texts.append(text)
    if len(texts) < 5:
        return None
    counts = Counter(category for category in map(value_category, texts) if category)
    if not counts:
        return None
    category, count = counts.most_common(1)[0]
    if 2 * count < len(texts):
        return None
    return f"{count} of {len(texts)} sampled values look like {_VALUE_LABELS[category]}"


def value_category(text: str) -> str | None:
    """The category one value (as text) belongs to: email, iban, card, ssn, ip, phone, or
    None."""
    if len(text) > 320:
        return None
    if "@" in text:
        return "email" if _EMAIL.fullmatch(text) else None
    compact = text.replace(" ", "").upper()
    if _IBAN.fullmatch(compact) and _iban_valid(compact):
        return "iban"
    if _CARD_SPELLING.fullmatch(text):
        digits = text.replace(" ", "").replace("-", "")
        if _CARD.fullmatch(digits) and _luhn_valid(digits):
            return "card"
    ssn = _SSN.fullmatch(text)
    if ssn:
        area, group, serial = ssn.groups()
        valid = area not in ("000", "666") and area[0] != "9" and group != "00"
        return "ssn" if valid and serial != "0000" else None
    if ":" in text or "." in text:
        if _is_ip(text):
            return "ip"
    return "phone" if _is_phone(text) else None


def _iban_valid(iban: str) -> bool:
    """ISO 13616: the first four characters moved to the end, letters as 10..35, mod 97 is
    1."""
    moved = iban[4:] + iban[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def _luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check of a card number."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _is_ip(text: str) -> bool:
    try:
        if "/" in text:
            ipaddress.ip_interface(text)
        else:
            ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_phone(text: str) -> bool:
    """A phone number in an international or a national format (module docstring)."""
    match = _PHONE.fullmatch(text)
    if match is None:
        return False
    number = match.group("number")
    groups = _DIGIT_GROUP.findall(number)
    digits = sum(len(group) for group in groups)
    if number.startswith("+") or (number.startswith("00") and len(groups) > 1):
        return 8 <= digits <= 15
    if len(groups) == 1:  # a national number written without spaces: 0 and 8 to 10 digits
        return re.fullmatch(r"0[1-9][0-9]{7,9}", number) is not None
    if not 7 <= digits <= 15:
        return False
    if _DATE.fullmatch(number) or _THOUSANDS.fullmatch(number):
        return False
    separators = set(re.sub(r"[0-9]", "", number))
    if separators == {"."} and len(groups) < 3:
        return False  # a decimal
    if len(groups) >= 3:
        return True
    return number.startswith("(") or groups[0].startswith("0")
