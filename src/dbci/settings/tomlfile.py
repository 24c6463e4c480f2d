"""The config file: finding `dbci.toml` or `flyway.toml`, reading its TOML, its
`${env.NAME}` references, its values checked for type by dotted key, and errors that point at
the line where the key is written (`dbci.toml:12: ...`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dbci.errors import InputError

CONFIG_NAMES = ("dbci.toml", "flyway.toml")


def find_config(project_dir: Path) -> Path | None:
    """`dbci.toml`, else `flyway.toml`, in the project directory."""
    for name in CONFIG_NAMES:
        candidate = project_dir / name
        if candidate.is_file():
            return candidate
        if candidate.exists():
            # A folder (or a device) by that name is a mistake, not "no config": going on
            # without it would run against defaults the user never meant.
            what = "a directory" if candidate.is_dir() else "not a regular file"
            raise InputError(f"is {what}, not a config file", file=candidate)
    return None


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; a syntax error names file, line and column."""
    import tomllib  # only with a config file to read (5 ms of a command's start otherwise)

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read config: {exc.strerror}", file=path) from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"config is not UTF-8 (byte 0x{raw[exc.start]:02x})", file=path, line=line
        ) from None
    except tomllib.TOMLDecodeError as exc:
        text = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", text)
        if match:
            message = text[: match.start()].strip()
            line, col = int(match.group(1)), int(match.group(2))
            raise InputError(f"invalid TOML: {message}", file=path, line=line, column=col) from None
        if "(at end of document)" in text:
            message = text.replace("(at end of document)", "").strip()
            line = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
            raise InputError(
                f"invalid TOML: {message} at end of file", file=path, line=line
            ) from None
        raise InputError(f"invalid TOML: {text}", file=path) from None


def split_list(text: str) -> list[str]:
    """The items of a comma-separated list, stripped, empty ones dropped (`"a, b,"` gives
    ["a", "b"]): a setting written as one string, as Flyway accepts it, or an environment
    variable."""
    return [part.strip() for part in text.split(",") if part.strip()]


ENV_REFERENCE = re.compile(r"\$\{env\.([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_env(text: str, environ: Mapping[str, str]) -> str | None:
    """`text` with its `${env.NAME}` references replaced, or None when one names a variable
    that is not set (for readers of the file that must not fail on it: the protection
    check, the scrubbing of secrets; the settings themselves say which is missing)."""
    if any(name not in environ for name in ENV_REFERENCE.findall(text)):
        return None
    return ENV_REFERENCE.sub(lambda m: environ[m.group(1)], text)


class _Source:
    """The parsed file, with `${env.NAME}` resolution and type checks that name the key."""

    def __init__(self, doc: dict[str, Any], path: Path | None, environ: Mapping[str, str]):
        self.doc = doc
        self.path = path
        self.environ = environ
        self._text: list[str] | None = None

    def table(self, key: str) -> dict[str, Any]:
        return self.check_table(self.doc.get(key, {}), key)

    def check_table(self, value: Any, name: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(name, f"{name} must be a table")
        return value

    def value(self, value: Any, name: str) -> Any:
        if isinstance(value, str):
            return ENV_REFERENCE.sub(lambda m: self._env(m.group(1), name), value)
        if isinstance(value, list):
            return [self.value(v, name) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v, f"{name}.{k}") for k, v in value.items()}
        return value

    def typed(self, value: Any, kind: type[Any], name: str) -> Any:
        value = self.value(value, name)
        if kind is list and isinstance(value, str):
            value = split_list(value)  # Flyway accepts "a,b" as well as ["a", "b"]
        if kind is int and isinstance(value, bool):
            raise self.error(name, f"{name} must be a whole number")
        if kind is str and isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)  # baselineVersion = 1
        # A wrong value is quoted back, but for a password's or a url's (which may hold one).
        shown = "" if name.rsplit(".", 1)[-1] in ("password", "url") else f", not {value!r}"
        if not isinstance(value, kind):
            raise self.error(name, f"{name} must be {_KIND_NAMES[kind]}{shown}")
        if kind is list and not all(isinstance(item, str) for item in value):
            # Every list setting holds names or paths; a number or a table in one is a typo.
            raise self.error(name, f"{name} must be a list of strings{shown}")
        return value

    def _env(self, var: str, name: str) -> str:
        if var not in self.environ:
            raise self.error(name, f"{name} uses ${{env.{var}}} but {var} is not set")
        return self.environ[var]

    def error(self, name: str, message: str) -> InputError:
        """An error pointing at the line where the key is written, when it can be found."""
        return InputError(message, file=self.path, line=self._line_of(name))

    def _line_of(self, name: str) -> int | None:
        """The line of the dotted key `name` (`environments.prod.url`): the line inside its
        own table first, where several tables have a key of that name; else the first line
        that sets (or opens a table named by) its last part."""
        if self.path is None:
            return None
        if self._text is None:
            self._text = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        table = ""
        for number, line in enumerate(self._text, start=1):
            header = _TABLE_HEADER.match(line)
            if header:
                table = _dotted(header.group(1))
                if table == name:
                    return number
                continue
            assignment = _ASSIGNMENT.match(line)
            if assignment and ".".join(filter(None, (table, _dotted(assignment.group(1))))) == name:
                return number
        key = name.rsplit(".", 1)[-1]
        pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=|^\s*\[.*\b{re.escape(key)}\]")
        for number, line in enumerate(self._text, start=1):
            if pattern.search(line):
                return number
        return None


_KIND_NAMES = {
    bool: "true or false",
    int: "a whole number",
    str: "a string",
    list: "a list",
    dict: "a table",
}
# A TOML table header (`[environments.prod]`, `[[x]]`) and a key's assignment (`a.b = …`).
_TABLE_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_ASSIGNMENT = re.compile(r"^\s*([A-Za-z0-9_\-.\"' ]+?)\s*=")


def _dotted(key: str) -> str:
    """A TOML dotted key as plain `a.b.c` (blanks and quotes around each part dropped)."""
    return ".".join(part.strip().strip("\"'") for part in key.split("."))
