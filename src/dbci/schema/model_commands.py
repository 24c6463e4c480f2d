"""`dbci model` and `dbci generate` as plain functions (the command line renders them).

`model` writes the schema model: from a database (`dbci model -e dev`: every object of
it), or from the diff artifact (`dbci diff --source schemaModel --target env:dev model`:
the changes picked, made to the model). `generate` writes the next migration and its
undo script from the diff artifact (`dbci.schema.generate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dbci.errors import InputError
from dbci.schema.artifact import DEFAULT_PATH, MODEL, DiffArtifact, load_artifact
from dbci.schema.model_files import ModelWrite, write_model
from dbci.schema.sources import model_directory
from dbci.settings.config import Settings


@dataclass
class ModelResult:
    """What `model` did to the schema model's folder."""

    directory: Path
    source: str  # the database, or the diff the changes came from
    write: ModelWrite


def model_from_database(
    settings: Settings, *, include_grants: bool = False, include_owners: bool = False
) -> ModelResult:
    """Write the schema model of the settings' database (every object in its schemas)."""
    from dbci.schema.commands import take_snapshot

    database, snapshot = take_snapshot(
        settings, include_grants=include_grants, include_owners=include_owners
    )
    directory = model_directory(settings)
    return ModelResult(directory, database, write_model(snapshot, directory))


def model_from_artifact(
    settings: Settings, artifact: DiffArtifact, ids: list[int] | None
) -> ModelResult:
    """Make the picked changes of the diff to the schema model (one side of the diff must
    be `schemaModel`): the model becomes the other side, in those objects."""
    if MODEL not in (artifact.source, artifact.target):
        raise InputError(
            f"model changes the schema model, and the diff compared {artifact.source} with "
            f"{artifact.target}: diff with --source schemaModel (or write a database's model "
            "with dbci model -e ENVIRONMENT)"
        )
    _, changed = artifact.toward(MODEL, ids)
    directory = model_directory(settings)
    other = artifact.target if artifact.source == MODEL else artifact.source
    return ModelResult(directory, f"the diff with {other}", write_model(changed, directory))


def artifact_path(given: str | None, settings: Settings) -> Path:
    """`--artifact FILE` (from the current folder), else `.dbci_cache/diff.json` in the
    project."""
    return Path(given) if given else settings.project_dir / DEFAULT_PATH


def read_artifact(given: str | None, settings: Settings) -> DiffArtifact:
    """The artifact `--artifact` names, or the project's last one."""
    return load_artifact(artifact_path(given, settings))
