"""Flyway's migration checksum.

Flyway reads a script line by line (`BufferedReader.readLine`, which ends a line at
`\\n`, `\\r` or `\\r\\n`), strips a UTF-8 byte-order mark from the first line, and feeds
each line's UTF-8 bytes, without its terminator, to one CRC32. Feeding consecutive
chunks to a CRC equals one CRC over their concatenation, so the checksum is the CRC32
of the text with every CR and LF removed. Stored as a signed 32-bit integer.
"""

from __future__ import annotations

import zlib

_BOM = "\ufeff"
# The text is fed to the CRC in slices of this many characters: a large migration is never
# copied whole (once as UTF-8, once without line breaks) to take its checksum.
_SLICE = 1 << 20


def flyway_checksum(text: str) -> int:
    """Return Flyway's checksum of a script's text (already decoded from UTF-8)."""
    start = 1 if text.startswith(_BOM) else 0
    crc = 0
    for at in range(start, len(text), _SLICE):
        # Slices of code points: a character is never cut in two. Line breaks are dropped
        # from the bytes, which is fast whatever the text holds.
        data = text[at : at + _SLICE].encode("utf-8")
        crc = zlib.crc32(data.replace(b"\r", b"").replace(b"\n", b""), crc)
    return crc - (1 << 32) if crc >= (1 << 31) else crc


def flyway_checksum_of_utf8(data: bytes) -> int:
    """`flyway_checksum` of the text `data` holds in UTF-8, from the bytes themselves (the
    same bytes the text would encode to: valid UTF-8 decodes and encodes back unchanged)."""
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    crc = 0
    step = 1 << 22
    for at in range(start, len(data), step):
        piece = data[at : at + step]
        crc = zlib.crc32(piece.replace(b"\r", b"").replace(b"\n", b""), crc)
    return crc - (1 << 32) if crc >= (1 << 31) else crc
