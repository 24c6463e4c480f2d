"""Reading report.json for the report stage and `deploy --plan`: one clear line for a file
that is not a dbci report, or whose values have the wrong shapes (JSON Schema
`dbci.report.json_schema.REPORT_SCHEMA`), before anything is rendered or deployed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dbci.errors import InputError
from dbci.report.document import SCHEMA, SECTIONS


def load_report(path: Path) -> dict[str, Any]:
    """The report at `path`, every section present (null when its stage did not run).

    Raises `InputError` (exit 2, one line naming the file) for a file that cannot be read,
    is not JSON, is not a dbci report, is of another schema version, or breaks the schema
    (the line names the JSON path of the first problem).
    """
    data = _parse(path)
    if not isinstance(data, dict) or "schema" not in data:
        raise InputError('not a dbci report (no "schema" key)', file=path)
    if data["schema"] != SCHEMA:
        value = data["schema"]
        shown = repr(value) if isinstance(value, str) else json.dumps(value)
        if len(shown) > 80:
            shown = shown[:79] + "…"
        raise InputError(f"report schema {shown}: this dbci reads {SCHEMA!r}", file=path)
    from dbci.report.json_schema import report_problem

    problem = report_problem(data)
    if problem is not None:
        raise InputError(problem, file=path)
    for name in SECTIONS:
        data.setdefault(name, None)
    data.setdefault("status", "passed")
    for key in ("project", "environment", "started_at", "finished_at"):
        data.setdefault(key, None)
    return data


def _parse(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the report: {exc.strerror or exc}", file=path) from None
    try:
        data = json.loads(raw.decode("utf-8", errors="replace"))
        # A `\udc80` escape decodes to a lone surrogate, which no UTF-8 output can hold:
        # such text (SQL from a file of another encoding) is shown with U+FFFD instead.
        text = json.dumps(data, ensure_ascii=False)
        if any("\ud800" <= c <= "\udfff" for c in text):
            data = json.loads(text.encode("utf-8", errors="replace").decode("utf-8"))
    except ValueError as exc:
        raise InputError(f"not JSON: {exc}", file=path) from None
    except RecursionError:  # `[[[[…` thousands deep: no report is nested like that
        raise InputError("not a dbci report (nested too deeply)", file=path) from None
    return data
