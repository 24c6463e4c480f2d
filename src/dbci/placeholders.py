"""Flyway placeholders: `${name}` in scripts, replaced before they run.

Built-ins follow Flyway (`${flyway:defaultSchema}`, `${flyway:user}`,
`${flyway:database}`, `${flyway:timestamp}`, `${flyway:filename}`,
`${flyway:workingDirectory}`, `${flyway:table}`, `${flyway:environment}`). Names are
case-insensitive, as in Flyway. An undefined placeholder is an error naming file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dbci.errors import InputError


@dataclass(frozen=True)
class Placeholders:
    """The values in force for a run, and how they are written in scripts."""

    values: dict[str, str] = field(default_factory=dict)  # keys lower-cased
    prefix: str = "${"
    suffix: str = "}"
    enabled: bool = True

    @classmethod
    def build(
        cls,
        user_values: dict[str, str],
        builtins: dict[str, str],
        *,
        prefix: str,
        suffix: str,
        enabled: bool,
    ) -> Placeholders:
        """Combine the project's placeholders with the `flyway:` built-ins."""
        values = {f"flyway:{k}".lower(): v for k, v in builtins.items()}
        values.update({k.lower(): v for k, v in user_values.items()})
        return cls(values, prefix, suffix, enabled)

    def replace(self, text: str, *, filename: str, display_path: str) -> str:
        """Replace every placeholder in a script's text."""
        if not self.enabled or self.prefix not in text:
            return text
        pattern = re.compile(re.escape(self.prefix) + r"([^\r\n]+?)" + re.escape(self.suffix))

        def value(match: re.Match[str]) -> str:
            name = match.group(1).lower()
            if name == "flyway:filename":
                return filename
            if name in self.values:
                return self.values[name]
            raise InputError(
                f"no value for placeholder {match.group(0)}: define it in [flyway.placeholders] "
                "or DBCI_PLACEHOLDERS_" + match.group(1).upper(),
                file=display_path,
                line=text.count("\n", 0, match.start()) + 1,
            )

        return pattern.sub(value, text)
