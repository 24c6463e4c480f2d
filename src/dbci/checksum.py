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


def flyway_checksum(text: str) -> int:
    """Return Flyway's checksum of a script's text (already decoded from UTF-8)."""
    if text.startswith(_BOM):
        text = text[1:]
    crc = zlib.crc32(text.replace("\r", "").replace("\n", "").encode("utf-8"))
    return crc - (1 << 32) if crc >= (1 << 31) else crc
