"""Placeholders replaced before linting, and positions mapped back to the file.

SQLFluff sees the script as it will run, with Flyway's `${name}` placeholders replaced
(a placeholder in a table name would not parse otherwise); its findings and dbci's come
back in the replaced text's lines and columns, which `SourceMap.to_file` turns into the
file's own (a position inside a replaced value goes to the placeholder's first
character). A placeholder with no value gets a stand-in identifier, and the file a note.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from dbci.settings.placeholders import Placeholders


@dataclass(frozen=True)
class SourceMap:
    """Offsets where the linted text and the file's text differ, and their lines."""

    # (start in the linted text, start in the file, linted length, file length) of each
    # replaced placeholder, in order
    pieces: tuple[tuple[int, int, int, int], ...] = ()
    linted_lines: tuple[int, ...] = (0,)  # offset of each line's start, linted text
    file_lines: tuple[int, ...] = (0,)  # the same in the file

    def to_file(self, line: int, column: int) -> tuple[int, int]:
        """The file's (line, column), both from 1, of a position in the linted text."""
        if not self.pieces:
            return line, column
        index = min(max(line, 1), len(self.linted_lines)) - 1
        offset = self.linted_lines[index] + max(column, 1) - 1
        at = bisect.bisect_right([p[0] for p in self.pieces], offset) - 1
        if at < 0:
            file_offset = offset
        else:
            linted_start, file_start, linted_len, file_len = self.pieces[at]
            if offset < linted_start + linted_len:
                file_offset = file_start
            else:
                file_offset = file_start + file_len + (offset - linted_start - linted_len)
        file_line = bisect.bisect_right(self.file_lines, file_offset)
        return file_line, file_offset - self.file_lines[file_line - 1] + 1


@dataclass(frozen=True)
class Templated:
    """A script as it is linted, how to map positions back, and placeholders without values."""

    text: str
    source_map: SourceMap
    missing: list[tuple[str, int, int]] = field(default_factory=list)  # (name, line, column)


def _line_starts(text: str) -> tuple[int, ...]:
    return (0, *(m.end() for m in re.finditer("\n", text)))


def replace_placeholders(text: str, placeholders: Placeholders, filename: str) -> Templated:
    """`text` with every placeholder replaced, as `Placeholders.replace` does when the
    script runs, but a missing value is a stand-in (`placeholder_<name>`) and a note."""
    if not placeholders.enabled or placeholders.prefix not in text:
        return Templated(text, SourceMap())
    pattern = re.compile(
        re.escape(placeholders.prefix) + r"([^\r\n]+?)" + re.escape(placeholders.suffix)
    )
    parts: list[str] = []
    pieces: list[tuple[int, int, int, int]] = []
    missing: list[tuple[str, int, int]] = []
    file_lines = _line_starts(text)
    done = linted = 0
    for match in pattern.finditer(text):
        name = match.group(1)
        key = name.lower()
        if key == "flyway:filename":
            value = filename
        elif key in placeholders.values:
            value = placeholders.values[key]
        else:
            value = "placeholder_" + re.sub(r"\W", "_", name)
            line = bisect.bisect_right(file_lines, match.start())
            missing.append((match.group(0), line, match.start() - file_lines[line - 1] + 1))
        parts.append(text[done : match.start()])
        linted += match.start() - done
        pieces.append((linted, match.start(), len(value), match.end() - match.start()))
        parts.append(value)
        linted += len(value)
        done = match.end()
    parts.append(text[done:])
    replaced = "".join(parts)
    return Templated(
        replaced,
        SourceMap(tuple(pieces), _line_starts(replaced), file_lines),
        missing,
    )
