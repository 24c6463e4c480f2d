"""The diff artifact: what `dbci diff` compared and found, kept in a file so that `dbci
model` and `dbci generate` apply it without reading the databases again (Flyway's
`diff.artifactFilename`; `dbci diff … model` and `dbci diff … generate` chain on it).

It holds both schemas and the list of changes with their ids. `--changes ID,ID` picks
some of them: the schema a command writes toward is then the one it starts from with
only the picked objects taken from the other side.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbci.errors import InputError
from dbci.schema.diff import Diff, diff
from dbci.schema.model import Key, Snapshot

FORMAT = "dbci-diff/1"
DEFAULT_PATH = Path(".dbci_cache") / "diff.json"
MODEL = "schemaModel"
MIGRATIONS = "migrations"


@dataclass
class DiffArtifact:
    """Two schemas compared: `source` (the schema you have) and `target` (the one you
    want), named by their source specs."""

    source: str
    target: str
    a: Snapshot
    b: Snapshot

    def __post_init__(self) -> None:
        # The specs are written to the artifact and into generated scripts: a url: spec's
        # password goes no further than this run.
        self.source, self.target = shown_spec(self.source), shown_spec(self.target)

    @property
    def changes(self) -> Diff:
        """The diff from source to target (its change ids are the ones `diff` printed)."""
        return diff(self.a, self.b)

    def toward(self, start: str, ids: list[int] | None) -> tuple[Snapshot, Snapshot]:
        """(the side named `start`, that side with the picked changes made): what a
        command that changes `start` (the model, the migrations) must go from and to."""
        if start not in (self.source, self.target):
            raise InputError(f"the diff compared {self.source} with {self.target}, not {start}")
        here, there = (self.a, self.b) if start == self.source else (self.b, self.a)
        if ids is None:
            return here, there
        keys = _picked(self.changes, ids)
        objects = dict(here.objects)
        for key in keys:
            if key in there.objects:
                objects[key] = there.objects[key]
            else:
                objects.pop(key, None)
        return here, Snapshot(here.dialect, objects)

    def save(self, path: Path, found: Diff) -> None:
        """Write the artifact, `found` being the diff of its two schemas (its folder is
        created). orjson writes it: two schemas of thousands of tables in a few ms."""
        import orjson

        from dbci.schema.snapshot_file import orjson_default, to_data

        data = {
            "format": FORMAT,
            "source": self.source,
            "target": self.target,
            # For people and other tools; model and generate work from the two schemas.
            "changes": [
                {
                    "id": c.id,
                    "change": c.change,
                    "type": c.type,
                    "schema": c.schema,
                    "name": c.name,
                    "destructive": c.destructive,
                }
                for c in found.changes
            ],
            "a": to_data(self.a),
            "b": to_data(self.b),
        }
        options = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(orjson.dumps(data, default=orjson_default, option=options) + b"\n")
        except OSError as exc:
            raise InputError(f"cannot write the diff artifact {path}: {exc.strerror}") from None


def load_artifact(path: Path) -> DiffArtifact:
    """Read the artifact `dbci diff` wrote; a missing or foreign file is one clear line."""
    import orjson

    from dbci.schema.snapshot_file import from_data

    try:
        data: Any = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        raise InputError(
            f"no diff artifact at {path}: run dbci diff --source … --target … first"
        ) from None
    except (OSError, ValueError) as exc:  # orjson's JSONDecodeError is a ValueError
        raise InputError(f"cannot read the diff artifact: {exc}", file=path) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"not a dbci diff artifact (format {FORMAT})", file=path)
    return DiffArtifact(
        str(data.get("source")),
        str(data.get("target")),
        from_data(data.get("a"), str(path)),
        from_data(data.get("b"), str(path)),
    )


def shown_spec(spec: str) -> str:
    """A source spec as it may be written down: a URL's password as ***, at its place."""
    from dbci.settings.redact import hide_url_password

    kind, _, value = spec.partition(":")
    if kind != "url":
        return spec
    return f"url:{hide_url_password(value)}"


def parse_ids(text: str | None) -> list[int] | None:
    """`--changes 1,3,4` as ids (None: all)."""
    if text is None:
        return None
    try:
        ids = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InputError(f"--changes {text!r}: give change ids, as 1,3,4") from None
    if not ids:
        raise InputError("--changes: give at least one change id")
    return ids


def _picked(found: Diff, ids: list[int]) -> list[Key]:
    by_id = {c.id: c for c in found.changes}
    unknown = [i for i in ids if i not in by_id]
    if unknown:
        known = f"1 to {len(by_id)}" if by_id else "none: the schemas are the same"
        raise InputError(
            f"--changes: no change {', '.join(map(str, unknown))} in the diff (ids: {known})"
        )
    keys = []
    for i in ids:
        change = by_id[i]
        obj = change.after or change.before
        assert obj is not None
        keys.append(obj.key)
    return keys
