"""Finding migration scripts on disk, by Flyway's naming rules.

`V<version>__<description>.sql` (versioned), `U<version>__…` (undo), `B<version>__…`
(baseline migration), `R__<description>.sql` (repeatable), with the prefixes, separator
and suffixes configured (`sqlMigrationPrefix`, …; an empty prefix too), names split as
Flyway's `ResourceNameParser` splits them (`naming.parse_name`). Locations are searched
recursively; `script` is the path relative to its location, as Flyway records it.
Files named for Flyway's callback events (`beforeMigrate.sql`,
`afterEachMigrate__grants.sql`, …) are callbacks: collected by event, run by `callbacks`.
Each file is read by `reading` (and its `<script>.conf` here); duplicate versions and
repeatable descriptions are refused.

Every file is checked before it is read (`containment`): one that resolves outside the
project (unless its location was configured outside it), into a version-control folder,
or that is not a regular file is refused. The SQL tests' folder is checked here too, so
that every command refuses such a project, not only the build that would read the tests.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dbci.errors import InputError
from dbci.migrate.naming import MigrationKind, naming_prefixes, parse_name
from dbci.migrate.reading import read_large_script, read_script
from dbci.migrate.version import Version
from dbci.settings import containment
from dbci.settings.config import Settings

DEFAULT_TESTS = "tests/sql"  # the SQL unit tests' folder (`[dbci] tests`)


@dataclass(frozen=True)
class MigrationScript:
    """One migration file: its identity from the name, its location, its raw text."""

    kind: MigrationKind
    version: Version | None
    description: str
    script: str  # relative to its location, '/'-separated: the history table's `script`
    path: Path
    display_path: str  # relative to the project directory, for messages
    content: str = field(repr=False)  # the text; "" for a file held as `raw` instead
    execute_in_transaction: bool | None = None  # from `<file>.conf`; None = decide by content
    # A large UTF-8 file with a character beyond U+00FF (`€`, `’`, an emoji), which Python
    # would hold at two or four bytes a character: kept as its bytes, split a window at a
    # time (`prepare.prepare`, `sqlsplit.split_windows`).
    raw: bytes | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        """The script's text (a file held as `raw` is decoded whole for it)."""
        return self.raw.decode("utf-8") if self.raw is not None else self.content

    @property
    def size(self) -> int:
        """The file's size in UTF-8 bytes."""
        return len(self.raw) if self.raw is not None else len(self.content.encode("utf-8"))

    @property
    def versioned(self) -> bool:
        return self.version is not None

    @property
    def known_version(self) -> Version:
        """The version of a script that has one (versioned, undo, baseline)."""
        if self.version is None:
            raise ValueError(f"{self.display_path} is repeatable: it has no version")
        return self.version

    @functools.cached_property
    def checksum(self) -> int:
        """Flyway's checksum of the file as written (taken once: a large migration's costs
        seconds, and the status, validation and the runner all ask for it)."""
        from dbci.migrate.checksum import flyway_checksum, flyway_checksum_of_utf8

        if self.raw is not None:
            return flyway_checksum_of_utf8(self.raw)
        return flyway_checksum(self.content)


@dataclass(frozen=True)
class NamingProblem:
    """A `.sql` file that is neither a migration nor a callback."""

    display_path: str
    reason: str


@dataclass
class Discovered:
    """Every migration found, by kind, plus the files whose names did not parse."""

    versioned: list[MigrationScript] = field(default_factory=list)
    undo: list[MigrationScript] = field(default_factory=list)
    baseline: list[MigrationScript] = field(default_factory=list)
    repeatable: list[MigrationScript] = field(default_factory=list)
    naming_problems: list[NamingProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # event name ("beforeMigrate") -> its callback scripts, in file-name order
    callbacks: dict[str, list[MigrationScript]] = field(default_factory=dict)

    def undo_for(self, version: Version) -> MigrationScript | None:
        """The undo script (`U<version>__…`) of a version, if there is one."""
        return next((u for u in self.undo if u.version == version), None)


def discover(settings: Settings) -> Discovered:
    """Find and read every migration in the configured locations.

    Raises `InputError` for duplicate versions or descriptions, unreadable or
    non-text files, and (with `validateMigrationNaming`) badly named files.
    """
    found = Discovered()
    seen: set[str] = set()
    prefixes = naming_prefixes(settings)
    for location in settings.locations:
        root = location_dir(location, settings.project_dir)
        display = _display(root, settings.project_dir)
        if not root.is_dir():
            message = f"location {location!r} not found ({display})"
            if settings.fail_on_missing_locations:
                raise InputError(message)
            found.warnings.append(message)
            continue
        where = containment.scope(root, settings.project_dir, display)
        # A file's display path is its location's and its path in it: no Path per file.
        shown = "" if display == "." else display.rstrip("/") + "/"
        for entry in containment.walk(root):
            if entry.path in seen:
                continue
            seen.add(entry.path)
            _classify(entry, shown + entry.relative, where, settings, found, prefixes)
    sql_test_files(settings)  # refused here too: every command, before anything runs
    found.naming_problems.sort(key=lambda problem: problem.display_path)
    if settings.validate_migration_naming and found.naming_problems:
        # Flyway (ResourceNameValidator.validateSQLMigrationNaming) fails with "Invalid SQL
        # filenames found:" and every file's message; here the first, and how many more.
        first = found.naming_problems[0]
        more = len(found.naming_problems) - 1
        raise InputError(
            f"invalid migration file name: {first.reason}"
            + (f"; {more} more such file{'s' if more > 1 else ''}" if more else ""),
            file=first.display_path,
        )
    for problem in found.naming_problems:
        found.warnings.append(f"{problem.display_path}: not a migration ({problem.reason})")
    for kind_list, label in (
        (found.versioned, "version"),
        (found.undo, "undo version"),
        (found.baseline, "baseline version"),
    ):
        kind_list.sort(key=lambda m: (m.version, m.script))
        _reject_duplicates(kind_list, lambda m: m.version, label)
    found.repeatable.sort(key=lambda m: (m.description, m.script))
    _reject_duplicates(found.repeatable, lambda m: m.description, "repeatable description")
    for scripts in found.callbacks.values():
        scripts.sort(key=lambda m: (m.path.name, m.script))
    return found


def location_dir(location: str, project_dir: Path) -> Path:
    """The folder a `locations` entry names (a plain path, `filesystem:` or `classpath:`)."""
    scheme, sep, rest = location.partition(":")
    if not sep or len(scheme) == 1:  # a plain path (or a Windows drive letter)
        rest = location
    elif scheme == "classpath":
        rest = str(Path("src/main/resources") / rest.lstrip("/"))
    elif scheme != "filesystem":
        raise InputError(f"unsupported location {location!r}: use filesystem:PATH")
    path = Path(rest).expanduser()
    return path if path.is_absolute() else project_dir / path


def sql_test_files(settings: Settings) -> list[Path]:
    """The SQL unit tests (`.sql` files under `[dbci] tests`, default `tests/sql/`), in
    name order; none when the folder does not exist. Each is checked as a migration is
    (`containment`), before anything reads it."""
    folder = settings.dbci.get("tests", DEFAULT_TESTS)
    if not isinstance(folder, str):
        raise InputError("[dbci] tests must be a folder name (default tests/sql)")
    root = settings.project_dir / Path(folder).expanduser()
    if not root.is_dir():
        return []
    where = containment.scope(
        root, settings.project_dir, _display(root, settings.project_dir), containment.TESTS_HINT
    )
    files: list[Path] = []
    for entry in containment.walk(root):
        if entry.name.endswith(".sql"):
            path = Path(entry.path)
            containment.check(where, entry, _display(path, settings.project_dir), "SQL test")
            files.append(path)
    return sorted(files)


def display_path(path: Path, project_dir: Path) -> str:
    """A path as messages show it: relative to the project directory, else as it is."""
    return _display(path, project_dir)


def _display(path: Path, project_dir: Path) -> str:
    try:
        return path.relative_to(project_dir).as_posix()
    except ValueError:
        return str(path)


def _classify(
    entry: containment.FoundFile,
    display: str,
    where: containment.Scope,
    settings: Settings,
    found: Discovered,
    prefixes: list[tuple[str, MigrationKind]],
) -> None:
    """File one `.sql` file by its name (org.flywaydb.core.internal.resource
    .ResourceNameParser): a migration of some kind, a callback, or a naming problem."""
    parsed = parse_name(entry.name, settings, prefixes)
    if parsed is None:
        return  # not SQL: READMEs, `.sql.conf` script configs, …
    # Before anything else looks at it: a refused file is never read, whatever its name.
    containment.check(where, entry, display)
    path = Path(entry.path)
    if parsed.problem is not None or parsed.kind is None:
        found.naming_problems.append(NamingProblem(display, parsed.problem or ""))
        return
    if parsed.kind is MigrationKind.CALLBACK:
        callback = MigrationScript(
            kind=MigrationKind.CALLBACK,
            version=None,
            description=parsed.description or parsed.prefix,
            script=entry.relative,
            path=path,
            display_path=display,
            content=read_script(path, display, settings.encoding),
            execute_in_transaction=_script_config(entry.path, display, where),
        )
        found.callbacks.setdefault(parsed.prefix, []).append(callback)
        return
    kind = parsed.kind
    version = None if kind is MigrationKind.REPEATABLE else Version.parse(parsed.version)
    text, raw = read_large_script(path, display, settings.encoding)
    script = MigrationScript(
        kind=kind,
        version=version,
        description=parsed.description,
        script=entry.relative,
        path=path,
        display_path=display,
        content=text,
        execute_in_transaction=_script_config(entry.path, display, where),
        raw=raw,
    )
    {
        MigrationKind.VERSIONED: found.versioned,
        MigrationKind.UNDO: found.undo,
        MigrationKind.BASELINE: found.baseline,
        MigrationKind.REPEATABLE: found.repeatable,
    }[kind].append(script)


def _script_config(path: str, display: str, where: containment.Scope) -> bool | None:
    """Read Flyway's per-script config `<script>.conf` (`executeInTransaction=false`)."""
    conf = path + ".conf"
    if not containment.sibling(where, conf, display + ".conf"):
        return None
    value: bool | None = None
    try:
        with open(conf, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=display + ".conf") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"is not valid UTF-8 (byte 0x{data[exc.start]:02x})",
            file=display + ".conf",
            line=data.count(b"\n", 0, exc.start) + 1,
        ) from None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, text = line.partition("=")
        if not sep:
            raise InputError("expected key=value", file=display + ".conf", line=number)
        if key.strip() == "executeInTransaction":
            if text.strip().lower() not in ("true", "false"):
                raise InputError(
                    "executeInTransaction must be true or false",
                    file=display + ".conf",
                    line=number,
                )
            value = text.strip().lower() == "true"
    return value


def _reject_duplicates(
    scripts: list[MigrationScript], key: Callable[[MigrationScript], object], label: str
) -> None:
    for first, second in zip(scripts, scripts[1:], strict=False):
        if key(first) == key(second):
            raise InputError(
                f"found more than one migration with {label} {key(first)}: "
                f"{first.display_path} and {second.display_path}"
            )
