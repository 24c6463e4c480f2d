"""The hidden marker of a report's pull/merge-request comment: how a later run finds the
comment it posted before (dbci.ci.comments), written into comment.md here."""

from __future__ import annotations


def comment_marker(project: str, environment: str | None, stage: str) -> str:
    """The hidden marker of one project's, environment's and stage's comment.

    An HTML comment, invisible in rendered Markdown:
    `<!-- dbci-report project=... environment=... stage=... -->`. Each value loses its
    newlines and any `-->`, and `%`, `=`, `<`, `>`, whitespace and control characters are
    percent-encoded, so no value can close the comment or pass for another field. A missing
    environment is written `-`.
    """
    env = "-" if environment is None else _marker_value(environment)
    return (
        f"<!-- dbci-report project={_marker_value(project)} environment={env} "
        f"stage={_marker_value(stage)} -->"
    )


def _marker_value(value: str) -> str:
    value = value.replace("\r", "").replace("\n", "")
    while "-->" in value:
        value = value.replace("-->", "")
    out: list[str] = []
    for char in value:
        if char in "%=<>" or char.isspace() or not char.isprintable():
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8"))
        else:
            out.append(char)
    return "".join(out) or "-"
