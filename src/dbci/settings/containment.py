"""Containment: the files dbci reads from a project stay in the project.

A migration, callback, per-script `.conf` or SQL test that is a symbolic link (or sits in
a folder that is one) to a file outside the project directory would have its contents
printed, put in the PR comment, the summary, report.html and the dry run: a link to the
checkout's `.git/config` (which holds the token `actions/checkout` writes) or to
`/etc/passwd` is a leak waiting for a pull request to open it. So every such file is
checked where it resolves to, before a byte of it is read, and refused when that is

- outside the project directory, unless the folder it was found in was configured outside
  the project (`locations = ["../shared"]`, an absolute path, `[dbci] tests` likewise):
  such a folder, resolved, is allowed too. A folder written as inside the project that is
  (or passes through) a link pointing outside is not explicit, and is refused;
- inside a version-control folder (`.git`, `.hg`, `.svn`), wherever that is: no migration
  is ever kept there, and the `.git/config` of the repository the project is in (often the
  project directory itself) holds the CI token;
- not a regular file (a FIFO or a device would block the read, or never end).

Links that stay inside the project (a shared folder of the same repository) are followed
as before; a file keeps the name it was found under (Flyway's `script` column and checksum
are unchanged). Links to folders below a searched folder are not followed (as `os.walk`
does not): no link loop can make a search go round for ever.

Cost: the searched folder is resolved once; a file that is not a link is inside it by
construction (every folder walked through is a real folder, not a link), so only links
are resolved: the folder a link points into is resolved once per search (links usually
point into a few shared folders), the link itself with one `readlink` and one `lstat`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from dbci.errors import InputError

# Version-control metadata folders: never searched, and nothing resolving into one is read.
VCS_FOLDERS = frozenset({".git", ".hg", ".svn"})

LOCATION_HINT = "configure a location outside the project explicitly to use one"
TESTS_HINT = "set [dbci] tests to a folder outside the project explicitly to use one"


@dataclass(frozen=True)
class Scope:
    """A folder dbci searches (a location, the SQL tests' folder) and where the files found
    in it may resolve to."""

    path: Path  # as configured, joined to the project directory: files are named under it
    allowed: tuple[str, ...]  # real folders its files may resolve into
    hint: str  # how to use a folder outside the project, for the refusal
    # folder as a link names it -> where it resolves: each resolved once per search
    resolved: dict[str, str] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class FoundFile:
    """A non-folder entry found under a searched folder (plain strings: a search of 2,000
    files makes no more paths than it must)."""

    path: str  # under the searched folder, as found (not where a link points)
    relative: str  # to the searched folder, '/'-separated: Flyway's `script`
    link: bool  # a symbolic link: where it points decides
    kind: str | None  # what it is when neither a regular file nor a link ("a FIFO")

    @property
    def name(self) -> str:
        """The file's name."""
        return self.relative.rpartition("/")[2]


def scope(folder: Path, project_dir: Path, display: str, hint: str = LOCATION_HINT) -> Scope:
    """The scope of `folder` (absolute: the configured path joined to the project
    directory), checked itself: a folder written as inside the project that resolves
    outside it, or into a version-control folder, is refused (`InputError` naming
    `display`)."""
    project_real = os.path.realpath(project_dir)
    real = os.path.realpath(folder)
    # Explicit means written as outside: judged on the path as configured, `..` taken
    # lexically, no link followed. A link inside the project is never a way out of it.
    written = os.path.normpath(folder)
    explicit = not (
        _within(written, os.path.normpath(project_dir)) or _within(written, project_real)
    )
    allowed = (project_real, real) if explicit else (project_real,)
    _refuse_if_escaping(real, allowed, display, hint)
    return Scope(folder, allowed, hint)


def walk(folder: Path) -> Iterator[FoundFile]:
    """Every entry under `folder` that is not a folder, depth first, each folder's entries
    in name order before its subfolders' (the order `os.walk` with sorted names gives).

    Links to folders are not followed and version-control folders are not entered. A
    folder that cannot be listed is skipped, as `os.walk` skips it.
    """
    stack = [(os.fspath(folder), "")]  # (folder, its path relative to `folder` + "/")
    while stack:
        directory, prefix = stack.pop()
        try:
            with os.scandir(directory) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            continue
        subfolders: list[tuple[str, str]] = []
        for entry in entries:
            relative = prefix + entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name.lower() not in VCS_FOLDERS:
                        subfolders.append((entry.path, relative + "/"))
                elif entry.is_symlink():
                    if not _links_to_folder(entry):  # not followed: no loops
                        yield FoundFile(entry.path, relative, True, None)
                elif entry.is_file(follow_symlinks=False):
                    yield FoundFile(entry.path, relative, False, None)
                else:
                    kind = _kind(entry.stat(follow_symlinks=False).st_mode)
                    yield FoundFile(entry.path, relative, False, kind)
            except OSError:
                continue  # gone since listed
        stack.extend(reversed(subfolders))


def check(where: Scope, found: FoundFile, display: str, what: str = "migration") -> None:
    """Refuse (`InputError` naming `display`) a found file that resolves outside its
    scope's allowed folders or into a version-control folder, or that is not a regular
    file. Call it before reading the file: nothing of a refused file is ever read. A
    link to nothing is one error too (`cannot read migration: …`, `what` naming it)."""
    if found.kind is not None:
        raise InputError(f"is not a regular file ({found.kind}): refused", file=display)
    if not found.link:
        return  # inside the (checked) scope folder through real folders only
    _refuse_if_escaping(_resolve(found.path, where.resolved), where.allowed, display, where.hint)
    try:
        mode = os.stat(found.path).st_mode
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror}", file=display) from None
    if not stat.S_ISREG(mode):
        raise InputError(f"is not a regular file ({_kind(mode)}): refused", file=display)


def sibling(where: Scope, path: str, display: str) -> bool:
    """Whether the file `path`, beside a file found in `where` (its `.conf`), exists;
    refused as `check` refuses a found file (a broken link inside the project counts as
    no file, as before)."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return False
    if stat.S_ISLNK(mode):
        _refuse_if_escaping(_resolve(path, where.resolved), where.allowed, display, where.hint)
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return False
    if not stat.S_ISREG(mode):
        raise InputError(f"is not a regular file ({_kind(mode)}): refused", file=display)
    return True


def _refuse_if_escaping(real: str, allowed: tuple[str, ...], display: str, hint: str) -> None:
    if _in_vcs_folder(real):
        raise InputError(
            f"resolves into a version-control folder (to {real}): refused; "
            "nothing is read from .git, .hg or .svn",
            file=display,
        )
    if not any(_within(real, root) for root in allowed):
        raise InputError(f"resolves outside the project (to {real}): refused; {hint}", file=display)


def _resolve(link: str, folders: dict[str, str]) -> str:
    """`os.path.realpath(link)` for a symbolic link, with the folder it points into
    resolved once for all the links that point into it (`folders` remembers)."""
    try:
        target = os.path.join(os.path.dirname(link), os.readlink(link))
    except OSError:
        return os.path.realpath(link)
    folder, name = os.path.split(target)
    if name in ("", ".", ".."):
        return os.path.realpath(link)
    real_folder = folders.get(folder)
    if real_folder is None:
        real_folder = folders[folder] = os.path.realpath(folder)
    resolved = os.path.join(real_folder, name)
    try:
        if stat.S_ISLNK(os.lstat(resolved).st_mode):  # a chain of links: follow it all
            return os.path.realpath(link)
    except OSError:
        pass  # nothing there: where it would be is the answer (a dangling link)
    return resolved


def _links_to_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False  # a link loop: a file that cannot be read, as `os.walk` lists it


def _within(path: str, root: str) -> bool:
    """Whether `path` is `root` or below it (both normalised, absolute)."""
    if path == root:
        return True
    prefix = root if root.endswith(os.sep) else root + os.sep
    return path.startswith(prefix)


def _in_vcs_folder(real: str) -> bool:
    # Any component, in any case (`.GIT` is `.git` on a case-insensitive file system).
    return not VCS_FOLDERS.isdisjoint(part.lower() for part in real.split(os.sep))


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a file"
