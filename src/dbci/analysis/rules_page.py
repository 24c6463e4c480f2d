"""The rules page, `docs/rules.md`: one section per dbci rule, generated from the rule
modules' docstrings, and where every rule's documentation is on the web.

`python -m dbci.analysis.rules_page > docs/rules.md` (or `make rules-page`) writes the page;
a test regenerates it and fails when the committed file differs. Each section's heading is
`## DB103 drop-column`, so its anchor (GitHub's, from the heading) is `#db103-drop-column`.
Findings link a rule id to its section (`rule_url`); SQLFluff's codes link to SQLFluff's
rules reference. A URL is built only from a rule id that matches a strict pattern (and,
for dbci's, names one of its rules): nothing a file or a report carries can make one.
"""

from __future__ import annotations

import inspect
import re
import sys
import textwrap

from dbci.analysis.rules import RULES, RULES_BY_ID, Rule

# The project's home (pyproject.toml's [project.urls] Repository, checked by a test).
PROJECT_URL = "https://github.com/your-org/dbci"
RULES_PAGE_PATH = "docs/rules.md"
RULES_PAGE_URL = f"{PROJECT_URL}/blob/main/{RULES_PAGE_PATH}"
# SQLFluff's rules reference: every rule's entry has the anchor `rule-<CODE>`.
SQLFLUFF_RULES_URL = "https://docs.sqlfluff.com/en/stable/reference/rules.html"

_DBCI_ID = re.compile(r"DB\d{3}")
_DBCI_ID_START = re.compile(r"DB\d{3}\b")
# SQLFluff's rule codes (LT01, AL05, CP02, …); PRS, TMP and LXR are not rules and have no
# entry in its reference.
_SQLFLUFF_CODE = re.compile(r"[A-Z]{2}\d{2}")
_SLUG = re.compile(r"[a-z0-9-]+")


def anchor(rule: Rule) -> str:
    """The anchor of `rule`'s section on the rules page: `db103-drop-column`."""
    slug = f"{rule.id} {rule.name}".lower().replace(" ", "-")
    if not _SLUG.fullmatch(slug):
        raise ValueError(f"rule {rule.id}: its name {rule.name!r} is not a slug")
    return slug


def rule_url(rule_id: object, source: object) -> str | None:
    """Where rule `rule_id` of `source` ("dbci" or "sqlfluff") is documented, or None for
    an id that is not a known dbci rule or an SQLFluff rule code."""
    if not isinstance(rule_id, str):
        return None
    if source == "dbci" and _DBCI_ID.fullmatch(rule_id) and rule_id in RULES_BY_ID:
        return f"{RULES_PAGE_URL}#{anchor(RULES_BY_ID[rule_id])}"
    if source == "sqlfluff" and _SQLFLUFF_CODE.fullmatch(rule_id):
        return f"{SQLFLUFF_RULES_URL}#rule-{rule_id}"
    return None


def rule_doc(rule: Rule) -> str:
    """The part of `rule`'s module docstring about it: from the paragraph that starts
    with its id to the next one that starts with another rule's id (a module may hold
    several rules, as `notes` does)."""
    doc = inspect.getdoc(inspect.getmodule(type(rule))) or ""
    paragraphs = doc.strip().split("\n\n")
    starts = [i for i, p in enumerate(paragraphs) if p.startswith(rule.id)]
    if not starts:
        return doc.strip()
    section = [paragraphs[starts[0]]]
    for paragraph in paragraphs[starts[0] + 1 :]:
        if _DBCI_ID_START.match(paragraph):
            break
        section.append(paragraph)
    return "\n\n".join(section).strip()


def rule_summary(rule: Rule) -> str:
    """The docstring's first paragraph on one line, without its `DB103 drop-column:`."""
    first = " ".join(rule_doc(rule).split("\n\n", 1)[0].split())
    first = re.sub(rf"^{re.escape(rule.id)}\s+{re.escape(rule.name)}:\s*", "", first)
    return first[:1].upper() + first[1:]


def _dialects(rule: Rule) -> str:
    return ", ".join(sorted(rule.dialects)) if rule.dialects is not None else "all"


def _markdown(doc: str) -> str:
    """A docstring as Markdown: its indented SQL blocks become ```sql fences."""
    out: list[str] = []
    for paragraph in doc.split("\n\n"):
        lines = paragraph.split("\n")
        if all(line.startswith("    ") or not line.strip() for line in lines):
            out.append("```sql\n" + textwrap.dedent(paragraph).strip("\n") + "\n```")
        else:
            out.append(paragraph)
    return "\n\n".join(out)


def render_page() -> str:
    """The whole of docs/rules.md."""
    parts = [
        "# dbci's rules",
        "",
        "<!-- Generated from the docstrings in src/dbci/analysis/rules/ by "
        "`python -m dbci.analysis.rules_page > docs/rules.md` (`make rules-page`): "
        "do not edit by hand. -->",
        "",
        "The rules `dbci check` runs over migration scripts, besides SQLFluff's. The severity",
        "is the default: `[dbci.check.code.severity]` changes it per rule, and",
        "`-- dbci:ignore DB101` suppresses a rule on one statement (see the README's",
        '"Code analysis"). SQLFluff\'s own rules are documented in its',
        f"[rules reference]({SQLFLUFF_RULES_URL}).",
        "",
        "| id | name | severity | dialects |",
        "|---|---|---|---|",
    ]
    for rule in RULES:
        parts.append(
            f"| [{rule.id}](#{anchor(rule)}) | {rule.name} | {rule.severity} | {_dialects(rule)} |"
        )
    for rule in RULES:
        doc = rule_doc(rule)
        body = doc.split("\n\n", 1)[1] if "\n\n" in doc else ""
        parts += [
            "",
            f"## {rule.id} {rule.name}",
            "",
            f"Severity: {rule.severity}. Dialects: {_dialects(rule)}.",
            "",
            rule_summary(rule),
        ]
        if body:
            parts += ["", _markdown(body)]
    return "\n".join(parts) + "\n"


def main() -> None:
    """Print the rules page (`python -m dbci.analysis.rules_page > docs/rules.md`)."""
    sys.stdout.write(render_page())


if __name__ == "__main__":
    main()
