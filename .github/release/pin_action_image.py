#!/usr/bin/env python3
"""Pin a released action.yml to the image the release workflow pushed.

    python3 .github/release/pin_action_image.py ACTION_YML IMAGE DIGEST

rewrites the one `image: Dockerfile` line of action.yml's `runs:` block to
`image: docker://IMAGE@DIGEST`, so that a workflow using the released action pulls the
prebuilt image instead of building the Dockerfile in every job. Every other line stays as
it is (comments and formatting included): the change is made on the text, not by
re-serialising the YAML.

IMAGE is a lower-case repository without a tag (GHCR refuses upper case, and a tag beside
the digest would only mislead): `ghcr.io/OWNER/dbci`. DIGEST is `sha256:` and 64 lower-case
hex digits, the pushed index's digest. It refuses (exit 2, one line on standard error) a
malformed image or digest, and an action.yml that is not a Docker action built from
`Dockerfile` (already pinned, or changed shape), rather than write a release that pulls
the wrong thing. Standard library only: it runs on a bare runner.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
# A registry host (with an optional port) and one or more lower-case path components.
IMAGE = re.compile(
    r"[a-z0-9]+(?:[.-][a-z0-9]+)*(?::[0-9]+)?"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+"
)
_TOP_LEVEL = re.compile(r"[^\s#]")
_RUNS = re.compile(r"runs:\s*(?:#.*)?")
_USING = re.compile(r"\s+using:\s*[\"']?docker[\"']?\s*(?:#.*)?")
_IMAGE_LINE = re.compile(r"(?P<indent>\s+)image:\s*[\"']?Dockerfile[\"']?\s*(?:#.*)?")


class Refused(Exception):
    """The inputs or the file are not what a release may pin."""


def reference(image: str, digest: str) -> str:
    """`docker://IMAGE@DIGEST`, after checking both."""
    if not IMAGE.fullmatch(image):
        raise Refused(f"not a lower-case image repository without a tag: {image!r}")
    if not DIGEST.fullmatch(digest):
        raise Refused(f"not a sha256 digest (sha256: and 64 lower-case hex digits): {digest!r}")
    return f"docker://{image}@{digest}"


def pin(text: str, image: str, digest: str) -> str:
    """action.yml's text with its `runs.image: Dockerfile` line pointing at the image."""
    ref = reference(image, digest)
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if _RUNS.fullmatch(line.rstrip("\n"))]
    if len(starts) != 1:
        raise Refused("action.yml has no top-level runs: block (or more than one)")
    start = starts[0] + 1
    end = next((i for i in range(start, len(lines)) if _TOP_LEVEL.match(lines[i])), len(lines))
    block = range(start, end)
    if not any(_USING.fullmatch(lines[i].rstrip("\n")) for i in block):
        raise Refused("action.yml's runs: is not `using: docker`")
    found = [(i, m) for i in block if (m := _IMAGE_LINE.fullmatch(lines[i].rstrip("\n")))]
    if len(found) != 1:
        raise Refused(
            "action.yml's runs: has no `image: Dockerfile` line to pin "
            "(already pinned to an image, or not built from the Dockerfile)"
        )
    ((i, match),) = found
    newline = "\n" if lines[i].endswith("\n") else ""
    lines[i] = f"{match.group('indent')}image: {ref}{newline}"
    return "".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: pin_action_image.py ACTION_YML IMAGE DIGEST", file=sys.stderr)
        return 2
    path, image, digest = Path(argv[0]), argv[1], argv[2]
    try:
        pinned = pin(path.read_text(encoding="utf-8"), image, digest)
    except Refused as refused:
        print(f"pin_action_image: {path}: {refused}", file=sys.stderr)
        return 2
    path.write_text(pinned, encoding="utf-8")
    print(f"{path}: runs.image: docker://{image}@{digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
