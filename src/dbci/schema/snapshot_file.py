"""A snapshot as a file: stable, sorted, pretty JSON, and reading it back with checks.

The same database always gives byte-identical output: objects are sorted by kind,
schema and name, keys are sorted, and nothing varies between runs (no timestamps, no
server or connection details).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, cast

import orjson

from dbci.errors import InputError
from dbci.schema.model import FORMAT, DbObject, Snapshot, object_from_dict


def dumps(snapshot: Snapshot) -> str:
    """The snapshot as JSON text (two-space indent, sorted keys), ending in a newline.

    orjson writes it: the standard library's encoder takes its slow pure-Python path
    whenever it indents (about a second for a 2,000-table schema). orjson hands each
    dataclass to `_fields`, so that its fields are sorted like every other key.
    """
    options = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS
    return orjson.dumps(to_data(snapshot), default=_fields, option=options).decode("utf-8") + "\n"


def to_data(snapshot: Snapshot) -> dict[str, Any]:
    """The snapshot as data for orjson (with `default=_fields` and passthrough dataclasses),
    for files that hold a snapshot inside them (the diff artifact)."""
    return {
        "format": FORMAT,
        "dialect": snapshot.dialect,
        "schemas": list(snapshot.schemas_read()),
        "objects": snapshot.sorted_objects(),
    }


def orjson_default(value: Any) -> dict[str, Any]:
    """What orjson calls for a model object (see `to_data`)."""
    return _fields(value)


def _fields(value: Any) -> dict[str, Any]:
    """A model dataclass as a dict (a snapshot object gets its "type" too)."""
    if not dataclasses.is_dataclass(value):
        raise TypeError(f"cannot write {type(value).__name__} to a snapshot")
    if isinstance(value, DbObject):
        return {"type": value.kind, **value.__dict__}
    return cast(dict[str, Any], value.__dict__)  # an instance's, never a class's mapping proxy


def save(snapshot: Snapshot, path: Path) -> None:
    """Write the snapshot to `path` (its folder is created)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dumps(snapshot), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write snapshot {path}: {exc.strerror}") from None


def loads(text: str, where: str) -> Snapshot:
    """Parse snapshot JSON; anything that is not dbci's snapshot format is one clear error."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InputError(
            f"not a dbci snapshot (invalid JSON: {exc.msg})", file=where, line=exc.lineno
        ) from None
    return from_data(data, where)


class OlderSnapshot(InputError):
    """A snapshot written by an older dbci, in a format that read fewer kinds of objects:
    comparing with it would report everything it left out as drift."""


def from_data(data: Any, where: str) -> Snapshot:
    """A snapshot from its parsed JSON (a snapshot file's, or one inside another file)."""
    if not isinstance(data, dict) or "format" not in data:
        raise InputError('not a dbci snapshot (no "format" key)', file=where)
    if _format_version(data["format"]) < _format_version(FORMAT):
        raise OlderSnapshot(
            f"snapshot format {data['format']!r} was written by an older dbci, which read "
            "fewer kinds of objects; take the snapshot again with this version",
            file=where,
        )
    if data["format"] != FORMAT:
        raise InputError(
            f"snapshot format {data['format']!r} is not the one this dbci reads ({FORMAT!r}); "
            "take the snapshot again with this version",
            file=where,
        )
    dialect = data.get("dialect")
    objects = data.get("objects")
    if not isinstance(dialect, str) or not isinstance(objects, list):
        raise InputError('not a dbci snapshot ("dialect" or "objects" missing)', file=where)
    schemas = data.get("schemas", [])  # absent from the files of an older dbci
    if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
        raise InputError('not a dbci snapshot ("schemas" is not a list of names)', file=where)
    snapshot = Snapshot(dialect, schemas=tuple(schemas))
    for index, item in enumerate(objects):
        snapshot.add(_object(item, index, where))
    return snapshot


def _format_version(name: Any) -> int:
    """The number of a `dbci-snapshot/N` format name; a large one for anything else, so
    that only a known older format counts as older."""
    prefix, _, number = str(name).rpartition("/")
    return int(number) if prefix == "dbci-snapshot" and number.isdigit() else 1 << 30


def load(path: Path) -> Snapshot:
    """Read a snapshot file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read snapshot: {exc.strerror}", file=path) from None
    except UnicodeDecodeError:
        raise InputError("not a dbci snapshot (not UTF-8 text)", file=path) from None
    return loads(text, str(path))


def _object(item: Any, index: int, where: str) -> Any:
    try:
        return object_from_dict(item)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        kind = item.get("type") if isinstance(item, dict) else None
        raise InputError(
            f"not a dbci snapshot: object {index} ({kind or 'no type'}) is malformed ({exc})",
            file=where,
        ) from None
