"""Reading report.json for the report stage: one clear line for a file that is not one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dbci.errors import InputError
from dbci.report_json import SCHEMA, SECTIONS


def load_report(path: Path) -> dict[str, Any]:
    """The report at `path`, every section present (null when its stage did not run)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the report: {exc.strerror}", file=path) from None
    try:
        data = json.loads(raw.decode("utf-8", errors="replace"))
        # A `\udc80` escape decodes to a lone surrogate, which no UTF-8 output can hold:
        # such text (SQL from a file of another encoding) is shown with U+FFFD instead.
        text = json.dumps(data, ensure_ascii=False)
        if any("\ud800" <= c <= "\udfff" for c in text):
            data = json.loads(text.encode("utf-8", errors="replace").decode("utf-8"))
    except ValueError as exc:
        raise InputError(f"not JSON: {exc}", file=path) from None
    if not isinstance(data, dict) or "schema" not in data:
        raise InputError('not a dbci report (no "schema" key)', file=path)
    if data["schema"] != SCHEMA:
        raise InputError(f"report schema {data['schema']!r}: this dbci reads {SCHEMA!r}", file=path)
    for name in SECTIONS:
        section = data.setdefault(name, None)
        if section is not None and not isinstance(section, dict):
            raise InputError(f"section {name!r} is not an object", file=path)
    data.setdefault("status", "passed")
    for key in ("project", "environment", "started_at", "finished_at"):
        data.setdefault(key, None)
    return data
