"""Reading a migration file: its text, checked (the encoding, no NUL byte, not empty),
as one clear error when it is not SQL text; a large UTF-8 file kept as its bytes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from dbci.errors import InputError

# Above this size a file with a character beyond U+00FF is kept as its UTF-8 bytes
# (MigrationScript.raw) rather than as text, which Python would hold at 2 or 4 bytes a
# character, all of it, for that one character.
LARGE_SCRIPT_BYTES = 16 << 20
# The lead byte of a UTF-8 sequence of a character beyond U+00FF.
_WIDE = re.compile(rb"[\xc4-\xf4]")
_UTF8 = ("utf-8", "utf8")


def read_large_script(path: Path, display: str, encoding: str) -> tuple[str, bytes | None]:
    """(the text, None), or, for a large UTF-8 file that Python would hold at two or four
    bytes a character, ("", its bytes): checked as `read_script` checks, never decoded
    whole."""
    try:
        size = os.stat(path).st_size
    except OSError:
        size = 0
    if size <= LARGE_SCRIPT_BYTES or encoding.lower().replace("_", "-") not in _UTF8:
        return read_script(path, display, encoding), None
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read migration: {exc.strerror}", file=display) from None
    if not _WIDE.search(data):
        del data
        return read_script(path, display, encoding), None
    _check_utf8(data, display)
    return "", data


def _check_utf8(data: bytes, display: str) -> None:
    """`read_script`'s checks, on bytes: valid UTF-8 (decoded a slice at a time), no NUL
    byte, not empty."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    step = 1 << 22
    for at in range(0, len(data), step):
        try:
            decoder.decode(data[at : at + step], final=at + step >= len(data))
        except UnicodeDecodeError as exc:
            offset = at + exc.start
            raise InputError(
                f"is not valid UTF-8 (byte 0x{data[offset]:02x}); save it as UTF-8 or set "
                "flyway.encoding",
                file=display,
                line=data.count(b"\n", 0, offset) + 1,
            ) from None
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise InputError("contains NUL bytes: not a SQL text file", file=display, line=line)


def read_script(path: Path, display: str, encoding: str = "UTF-8") -> str:
    """Read a script as text; binary or wrongly encoded files are one clear error."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read migration: {exc.strerror}", file=display) from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16's byte order mark
            raise InputError(
                f"is UTF-16, not {encoding}: save it as UTF-8 or set flyway.encoding",
                file=display,
                line=1,
            ) from None
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"is not valid {encoding} (byte 0x{data[exc.start]:02x}); "
            "save it as UTF-8 or set flyway.encoding",
            file=display,
            line=line,
        ) from None
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r} (flyway.encoding)") from None
    del data  # a large migration is held once, as text
    # In the decoded text: a UTF-16 file (with encoding = "UTF-16") has NUL bytes on disk.
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputError("contains NUL bytes: not a SQL text file", file=display, line=line)
    if not _NOT_BLANK.search(text):  # a byte order mark alone is empty too
        raise InputError("migration is empty", file=display)
    return text


# Anything but whitespace and a byte order mark (searched for: `strip()` would copy the text).
_NOT_BLANK = re.compile(r"[^\s\ufeff]")
