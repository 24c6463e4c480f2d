"""A unified line diff of two SQL texts for report.html: removed and added lines marked,
long runs of unchanged lines folded (the template shows a fold as a closed `<details>`)."""

from __future__ import annotations

import difflib
from typing import Any

CONTEXT = 2  # unchanged lines shown next to a change
MIN_FOLD = 2  # a run that would hide fewer lines than this is shown whole


def lines(text: str) -> list[str]:
    """`text`'s lines as a browser shows them: CRLF and CR are line breaks, as LF is."""
    parts = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return parts[:-1] if len(parts) > 1 and parts[-1] == "" else parts


def _block(kind: str, lines: list[str]) -> dict[str, Any]:
    return {"fold": False, "lines": [(kind, line) for line in lines]}


def _equal(run: list[str], first: bool, last: bool) -> list[dict[str, Any]]:
    """A run of unchanged lines: `CONTEXT` lines kept next to each change, the rest folded."""
    keep_head = 0 if first else CONTEXT
    keep_tail = 0 if last else CONTEXT
    if len(run) - keep_head - keep_tail < MIN_FOLD:
        return [_block("eq", run)]
    blocks = []
    if keep_head:
        blocks.append(_block("eq", run[:keep_head]))
    folded = run[keep_head : len(run) - keep_tail]
    blocks.append({"fold": True, "lines": [("eq", line) for line in folded]})
    if keep_tail:
        blocks.append(_block("eq", run[len(run) - keep_tail :]))
    return blocks


def sql_diff(before: str | None, after: str | None) -> list[dict[str, Any]]:
    """The blocks of the diff from `before` to `after`, in order: each `{"fold": bool,
    "lines": [(kind, text), ...]}`, kind one of `del`, `ins`, `eq`. A text that is None (an
    added or dropped object) gives the other one whole, every line added or removed."""
    if before is None and after is None:
        return []
    if before is None:
        return [_block("ins", lines(after or ""))]
    if after is None:
        return [_block("del", lines(before))]
    old, new = lines(before), lines(after)
    opcodes = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    blocks: list[dict[str, Any]] = []
    for i, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            blocks += _equal(old[i1:i2], i == 0, i == len(opcodes) - 1)
            continue
        if i2 > i1:
            blocks.append(_block("del", old[i1:i2]))
        if j2 > j1:
            blocks.append(_block("ins", new[j1:j2]))
    return blocks


def folds(before: str | None, after: str | None) -> int:
    """How many folded runs the diff of `before` and `after` has."""
    return sum(1 for block in sql_diff(before, after) if block["fold"])
