"""Where the report templates live, and the Jinja2 environment every renderer shares.

An installed package may carry its own copy in `dbci/templates/`; a source checkout (and an
editable install) uses the repository's `templates/` directory.
"""

from __future__ import annotations

from pathlib import Path

import jinja2


def templates_dir() -> Path:
    """The directory holding the report templates.

    The packaged copy (`dbci/templates/`) is tried first, then the repository's
    `templates/` beside `src/`. Raises `RuntimeError` when neither exists.
    """
    here = Path(__file__).resolve()
    candidates = (here.parent.parent / "templates", here.parents[3] / "templates")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise RuntimeError(f"dbci's report templates are missing (looked in {tried})")


def environment(*, autoescape: bool) -> jinja2.Environment:
    """A Jinja2 environment on `templates_dir()`.

    Undefined names fail loudly (`StrictUndefined`); `trim_blocks` and `lstrip_blocks` keep
    block tags from leaving blank lines, and a template's final newline is kept. Pass
    `autoescape=True` for HTML and XML, `False` for Markdown and plain text.
    """
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
