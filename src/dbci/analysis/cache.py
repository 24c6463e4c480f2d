"""Findings cached by file content and configuration, so that a re-run lints only what
changed.

The key of a file is a hash of its path, its text as linted, and a salt made of
everything else that decides its findings: the dbci and SQLFluff versions, the dialect,
the project's SQLFluff config files and the analysis settings. An entry is one small
JSON file under `<project>/.dbci_cache/code/`; a damaged or unreadable entry is a miss.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from dbci.analysis.findings import Finding


class FindingsCache:
    """A directory of cached findings (`directory` None: nothing is cached)."""

    def __init__(self, directory: Path | None, salt: Any) -> None:
        self.directory = directory
        self._salt = hashlib.sha256(
            json.dumps(salt, sort_keys=True, default=str).encode("utf-8")
        ).digest()

    def key(self, display: str, text: str) -> str:
        digest = hashlib.sha256(self._salt)
        digest.update(display.encode("utf-8") + b"\0")
        digest.update(text.encode("utf-8", errors="surrogatepass"))
        return digest.hexdigest()

    def get(self, key: str) -> list[Finding] | None:
        if self.directory is None:
            return None
        try:
            data = json.loads((self.directory / f"{key}.json").read_text(encoding="utf-8"))
            return [Finding(**item) for item in data]
        except (OSError, ValueError, TypeError):
            return None

    def put(self, key: str, findings: list[Finding]) -> None:
        if self.directory is None:
            return
        data = [dict(f.to_dict(), suppression=f.suppression) for f in findings]
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Written whole, then renamed: a parallel run never reads half an entry.
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out)
            os.replace(tmp, self.directory / f"{key}.json")
        except OSError:
            pass  # a read-only checkout still gets its findings, only not cached
