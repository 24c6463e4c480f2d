"""Text for a terminal or a CI log, made inert there.

What dbci prints carries data from the database and the pull request: object names (a
quoted PostgreSQL identifier may hold any text, newlines included), migration file names,
error messages. A CI runner reads its log for commands: GitHub Actions runs a line that
starts with `::` (after leading whitespace) and a `##[name]` anywhere in a line, Azure
Pipelines a `##vso[` (and formats `##[`) anywhere; GitLab folds sections on ANSI escape
sequences, and a terminal obeys them. So, before it is printed, every text:

* shows its control characters (ANSI escapes, carriage returns, line and paragraph
  separators, bidirectional overrides) as escapes (`\\x1b`, `\\r`, `\\u2028`): a runner splits
  lines on `\\r` too, and an escape sequence could rewrite what the log shows;
* gets a zero-width space before a line that starts like a command (`::`), or like the
  error line only dbci writes (`dbci: error:`), and between `##` and a following `[` or
  `vso[`. The text reads the same; no runner finds a command in it.

Newlines stay: the text's own lines are its lines.
"""

from __future__ import annotations

import re

ZERO_WIDTH_SPACE = "\u200b"

# C0 controls but tab and newline, DEL, C1 controls, the Unicode line and paragraph
# separators, and the bidirectional embeddings, overrides and isolates.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\r": "\\r", "\x1b": "\\x1b"}
# A line that a runner would read as a command (and one that would pass for dbci's error
# line, which the action turns into an annotation).
_COMMAND_LINE = re.compile(r"^(?=[^\S\n]*::)", re.MULTILINE)
_COMMAND_OR_ERROR_LINE = re.compile(r"^(?=[^\S\n]*(?:::|dbci: error:))", re.MULTILINE)
# GitHub's `##[name]` (v1) and Azure's `##vso[` anywhere in a line.
_OLD_COMMANDS = re.compile(r"##(?=(?:vso)?\[)", re.IGNORECASE)


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible_controls(text: str) -> str:
    """`text` with its control characters (but tab and newline) written as escapes."""
    return _CONTROLS.sub(_visible, text)


def printable(text: str, *, dbci_errors: bool = True) -> str:
    """`text` as it may be printed to a terminal or a CI log (see the module's doc).
    `dbci_errors=False` leaves the lines that start like dbci's error line as they are (for
    output in which dbci's own error lines are already)."""
    text = _OLD_COMMANDS.sub("##" + ZERO_WIDTH_SPACE, visible_controls(text))
    lines = _COMMAND_OR_ERROR_LINE if dbci_errors else _COMMAND_LINE
    return lines.sub(ZERO_WIDTH_SPACE, text)


def json_inert(text: str) -> str:
    """JSON text with every `[` after `##` or `##vso` written `\\u005b`: the same data, and
    no runner finds a command in it. (In JSON `#` only occurs inside strings, where
    `\\u005b` is `[`; JSON's own escaping already takes care of control characters.)"""
    return re.sub(r"(##(?:vso)?)\[", r"\1\\u005b", text, flags=re.IGNORECASE)
