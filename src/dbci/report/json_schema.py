"""The JSON Schema of report.json ("dbci-report/1") and the one line that names its first
violation.

The schema is the contract between the stages that write report.json (`dbci.report.document`,
`build.stage`, `check.stage`, `check.drift`, `code.findings`, `deploy.stage`) and everything
that reads it: the renderers of `dbci report` and `deploy --plan`. It holds the shapes those
readers rely on: which values are objects, arrays, strings or numbers, which may be null,
and which keys must be there. Values are not restricted to the words dbci writes (a status,
a severity): the renderers show any text, and a report from a newer dbci keeps rendering.
Unknown keys are allowed everywhere, for the same reason.

A section of a stage that did not run is null (or missing); inside a section, the keys dbci
always writes and DESIGN.md lists are required, so a report the renderers cannot read is
refused with the JSON path of its first problem (`code.findings[3].line: expected an integer
or null, found a string`) before any file is written.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

SCHEMA_ID = "dbci-report/1"

_STR: dict[str, Any] = {"type": "string"}
_STR_OR_NULL: dict[str, Any] = {"type": ["string", "null"]}
_INT_OR_NULL: dict[str, Any] = {"type": ["integer", "null"]}
_BOOL: dict[str, Any] = {"type": "boolean"}
_MS: dict[str, Any] = {"type": "number"}  # a duration in milliseconds


def _object(
    properties: dict[str, Any], required: Sequence[str] = (), *, nullable: bool = False
) -> dict[str, Any]:
    """An object with typed `properties` (others allowed) and `required` keys."""
    schema: dict[str, Any] = {
        "type": ["object", "null"] if nullable else "object",
        "properties": properties,
    }
    if required:
        schema["required"] = list(required)
    return schema


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


# A migration as the build applied it (BuiltMigration.to_dict).
_BUILT_MIGRATION = _object(
    {
        "version": _STR_OR_NULL,
        "description": _STR,
        "type": _STR,
        "script": _STR,
        "checksum": _INT_OR_NULL,
        "duration_ms": _MS,
        "status": _STR,
    },
    ("version", "description", "type", "script", "checksum", "duration_ms", "status"),
)

# A pending migration (check.target.TargetState.pending) and one a deploy applied.
_PENDING_MIGRATION = _object(
    {
        "version": _STR_OR_NULL,
        "description": _STR,
        "type": _STR,
        "script": _STR,
        "checksum": _INT_OR_NULL,
    },
    ("script",),
)
# What the server said about a deployed migration's statements (engines.base.Notice):
# RAISE NOTICE/WARNING, MySQL warnings and notes. Optional: reports before it lack it.
_NOTICE = _object(
    {"message": _STR, "sql_state": _STR, "error_code": {"type": "integer"}},
    ("message", "sql_state", "error_code"),
)
_APPLIED_MIGRATION = _object(
    {
        "version": _STR_OR_NULL,
        "description": _STR,
        "script": _STR,
        "duration_ms": _MS,
        "notices": _array(_NOTICE),
    },
    ("script",),
)

# An object that a diff found changed (schema.diff.Change), as changes and drift write it.
_OBJECT_NAME = {"change": _STR, "type": _STR, "schema": _STR_OR_NULL, "name": _STR}


def _change_detail(before: str, after: str, marked: str) -> dict[str, Any]:
    """One part of a changed object that changes (schema.change_details): what and which
    (a column and its name), how (`change`), a `detail` or the two values (`before`/`after`
    for a change, `expected`/`actual` for drift), the `lines` of a text diff, the mark."""
    return _object(
        {
            "what": _STR,
            "name": _STR,
            "change": _STR,
            "detail": _STR_OR_NULL,
            before: _STR_OR_NULL,
            after: _STR_OR_NULL,
            "lines": _array(_STR),
            marked: _BOOL,
        },
        ("what", "name", "change"),
    )


def _changed_object(
    before: str, after: str, marked: str, detail_names: tuple[str, str]
) -> dict[str, Any]:
    """A changed object; `marked` says whether its change may lose data (`destructive`
    for a change, `revert_destructive` for drift: whether reverting it does); `details`
    what changes inside it, the two values named `detail_names`. Neither is required:
    reports of an older dbci have no mark and no details."""
    return _object(
        {
            **_OBJECT_NAME,
            before: _STR_OR_NULL,
            after: _STR_OR_NULL,
            marked: _BOOL,
            "details": _array(_change_detail(*detail_names, marked)),
        },
        ("change", "type", "schema", "name", before, after),
    )


_FINDING = _object(
    {
        "rule": _STR,
        "severity": _STR,
        "file": _STR,
        "line": _INT_OR_NULL,
        "column": _INT_OR_NULL,
        "message": _STR,
        "source": _STR,
        "table": _STR,  # optional: the table whose rows the risk depends on
    },
    ("rule", "severity", "file", "line", "column", "message", "source"),
)

_BUILD = _object(
    {
        "status": _STR,
        "provisioner": _STR,
        "database": _STR,
        "migrations": _array(_BUILT_MIGRATION),
        "undo_verified": {"type": ["boolean", "null"]},
        "undo": _array(
            _object(
                {
                    "version": _STR,
                    "script": _STR,
                    "status": _STR,
                    "not_restored": _array(_STR),
                },
                ("script", "status"),
            )
        ),
        "tests": _array(
            _object(
                {"name": _STR, "status": _STR, "message": _STR_OR_NULL, "duration_ms": _MS},
                ("name", "status"),
            )
        ),
        "snapshot": _STR_OR_NULL,
        "duration_ms": _MS,
        "timings": {"type": "object", "additionalProperties": _MS},
        "error": _STR_OR_NULL,
    },
    ("status", "migrations", "undo_verified", "tests", "error"),
    nullable=True,
)

_CHANGES = _object(
    {
        "from_version": _STR_OR_NULL,
        "to_version": _STR_OR_NULL,
        "pending": _array(_PENDING_MIGRATION),
        "objects": _array(
            _changed_object("before_sql", "after_sql", "destructive", ("before", "after"))
        ),
    },
    ("from_version", "to_version", "pending", "objects"),
    nullable=True,
)

_DRIFT = _object(
    {
        "detected": _BOOL,
        "source": _STR,
        "items": _array(
            _changed_object(
                "expected_sql", "actual_sql", "revert_destructive", ("expected", "actual")
            )
        ),
        "repo": _array(
            _object({"kind": _STR, "message": _STR, "file": _STR_OR_NULL}, ("kind", "message"))
        ),
        "fail_on_drift": _BOOL,
    },
    ("detected", "items", "repo"),
    nullable=True,
)

_CODE = _object(
    {
        "files_checked": {"type": "integer", "minimum": 0},
        "files": _array(_STR),
        "dialect": _STR,
        "scope": _STR,
        "fail_on": _STR,
        "findings": _array(_FINDING),
    },
    ("files_checked", "findings"),
    nullable=True,
)

_DRYRUN = _object(
    {"sql": _STR_OR_NULL, "pending": _array(_STR), "error": _STR_OR_NULL},
    ("sql", "pending", "error"),
    nullable=True,
)

_DEPLOY = _object(
    {
        "status": _STR,
        "from_version": _STR_OR_NULL,
        "to_version": _STR_OR_NULL,
        "applied": _array(_APPLIED_MIGRATION),
        "targets": _array(
            _object(
                {
                    "environment": _STR,
                    "status": _STR,
                    "from_version": _STR_OR_NULL,
                    "to_version": _STR_OR_NULL,
                    "applied": _array(_APPLIED_MIGRATION),
                    "drift": _array(_object(_OBJECT_NAME, ("change", "type", "schema", "name"))),
                    "drift_gate": {"enum": ["passed", "refused", "ignored", None]},
                    "error": _STR_OR_NULL,
                    "still_pending": _INT_OR_NULL,
                    "duration_ms": _MS,
                },
                ("environment", "status"),
            )
        ),
    },
    ("status", "targets"),
    nullable=True,
)

# `dbci data refresh` (data.refresh.RefreshResult): what each table of the target got.
_DATA = _object(
    {
        "status": _STR,
        "source": _STR,
        "target": _STR,
        "rows": {"type": "integer"},
        "seconds": {"type": "number"},
        "error": _STR_OR_NULL,
        "tables": _array(
            _object(
                {
                    "schema": _STR,
                    "name": _STR,
                    "how": {"enum": ["start", "parent", "child", "whole", "empty", "skipped"]},
                    "rows": {"type": "integer"},
                    "selection": _STR,
                    "masked": _array(_STR),
                },
                ("schema", "name", "how", "rows"),
            )
        ),
    },
    ("status", "source", "target", "tables"),
    nullable=True,
)

# What a check saw, for `deploy --plan` (check.stage.plan_of): deploy refuses unless the
# pending migrations and the target's schema are still these.
_PLAN = _object(
    {
        "environment": _STR_OR_NULL,
        "database": _STR_OR_NULL,
        "pending": _array(
            _object(
                {"version": _STR_OR_NULL, "script": _STR, "checksum": _INT_OR_NULL},
                ("script", "checksum"),
            )
        ),
        "schema_sha256": {
            "type": "string",
            "pattern": "^[0-9a-f]{64}$",
            "description": "a SHA-256 digest in hex",
        },
    },
    ("pending", "schema_sha256"),
    nullable=True,
)

REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "dbci report.json",
    "type": "object",
    "properties": {
        "schema": {"const": SCHEMA_ID},
        "status": _STR,
        "project": _STR_OR_NULL,
        "environment": _STR_OR_NULL,
        "started_at": _STR_OR_NULL,
        "finished_at": _STR_OR_NULL,
        "build": _BUILD,
        "changes": _CHANGES,
        "drift": _DRIFT,
        "code": _CODE,
        "dryrun": _DRYRUN,
        "deploy": _DEPLOY,
        "data": _DATA,
        "plan": _PLAN,
        # The stage's words for each failed gate (optional: older reports lack it).
        "gates_failed": _array(_STR),
    },
    "required": ["schema"],
}
"""report.json's JSON Schema (draft 2020-12)."""


def report_problem(data: Any) -> str | None:
    """The first place where `data` breaks `REPORT_SCHEMA`, as one line naming its JSON
    path (`code.findings[3].line: expected an integer or null, found a string`), or None
    when `data` is a valid report."""
    errors = list(_validator().iter_errors(data))
    if not errors:
        return None
    first = min(errors, key=lambda error: _document_order(data, error))
    return _describe(first)


@functools.cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(REPORT_SCHEMA)
    return Draft202012Validator(REPORT_SCHEMA)


def _document_order(data: Any, error: Any) -> tuple[tuple[int, ...], str]:
    """Where an error's value is in the file: the position of each key or item on its
    path, so that the error met first reading the file comes first."""
    positions: list[int] = []
    node = data
    for step in error.absolute_path:
        if isinstance(node, dict):
            keys = list(node)
            positions.append(keys.index(step) if step in node else len(keys))
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int):
            positions.append(step)
            node = node[step] if 0 <= step < len(node) else None
        else:
            break
    if error.validator == "required" and isinstance(node, dict):
        # A missing key is noticed at the end of its object, after the values it has.
        positions.append(len(node))
    return tuple(positions), str(error.validator)


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ARTICLES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


def json_path(path: Iterable[Any]) -> str:
    """`code.findings[3].line` for the path ("code", "findings", 3, "line"); a key that is
    not a plain name is quoted (`timings["a b"]`)."""
    text = ""
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif _IDENTIFIER.match(str(step)):
            text += f".{step}" if text else str(step)
        else:
            text += f"[{json.dumps(str(step), ensure_ascii=False)}]"
    return text


def _describe(error: Any) -> str:
    path = list(error.absolute_path)
    where = json_path(path) or "the report"
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "required":
        instance = error.instance if isinstance(error.instance, dict) else {}
        missing = next((key for key in error.validator_value if key not in instance), None)
        if missing is not None:
            return f"{json_path([*path, missing])}: missing"
    if error.validator == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_ARTICLES.get(name, name) for name in names)
        return f"{where}: expected {wanted}, found {_json_type(error.instance)}"
    if error.validator == "pattern" and schema.get("description"):
        return f"{where}: not {schema['description']}"
    if error.validator == "const":
        return f"{where}: expected {json.dumps(error.validator_value)}"
    if error.validator == "minimum":
        return f"{where}: expected at least {error.validator_value}"
    message = " ".join(str(error.message).split())
    if len(message) > 200:
        message = message[:199] + "…"
    return f"{where}: {message}"


def _json_type(value: Any) -> str:
    """The JSON type of a parsed value, with its article (`a string`, `null`)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
