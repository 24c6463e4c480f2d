"""Migration versions as Flyway compares them: dot-separated numbers, `_` meaning `.`."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

_VERSION = re.compile(r"^\d+(\.\d+)*$")


@functools.total_ordering
@dataclass(frozen=True)
class Version:
    """A migration version.

    `text` is how Flyway writes it (in `info` and the history table's `version`
    column); comparison is numeric by parts with trailing zeros ignored, so
    `1.10 > 1.9` and `1 == 1.0`.
    """

    text: str
    key: tuple[int, ...] = field(compare=False, repr=False)

    @classmethod
    def parse(cls, raw: str) -> Version:
        """Parse `1.2.3` or `1_2_3`; raise ValueError for anything else."""
        text = raw.replace("_", ".")
        if not _VERSION.match(text):
            raise ValueError(f"invalid version {raw!r}: only digits separated by '.' or '_'")
        parts = [int(p) for p in text.split(".")]
        while len(parts) > 1 and parts[-1] == 0:
            parts.pop()
        return cls(text, tuple(parts))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __lt__(self, other: Version) -> bool:
        return self.key < other.key

    def __str__(self) -> str:
        return self.text
