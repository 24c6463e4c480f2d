"""nss_wrapper for initdb when dbci runs as a user with no passwd entry.

`docker run --user 12345:12345` and OpenShift run a process as a user ID that /etc/passwd
does not list, and initdb then stops: "could not look up effective user ID 12345: user does
not exist" (it names the cluster's bootstrap superuser after it). The official postgres
image's fix is used here too: initdb runs with nss_wrapper (Debian's libnss-wrapper)
preloaded and a passwd and a group file that list the current user. Only initdb needs it:
pg_ctl and postgres start without it, as in that image, so the variables go into initdb's
environment alone and dbci's own `os.environ` is never touched.

`DBCI_NSS_WRAPPER` names the library when it is elsewhere than where it is looked for
(Debian's /usr/lib/<multiarch>/libnss_wrapper.so, then the linker's cache).
"""

from __future__ import annotations

import ctypes.util
import os
import sysconfig
from collections.abc import Mapping
from pathlib import Path

from dbci.errors import InputError

LIBRARY_VARIABLE = "DBCI_NSS_WRAPPER"
USER_NAME = "dbci"


def needed() -> bool:
    """Whether initdb needs nss_wrapper: the effective user is not root and has no passwd
    entry. (Under root, pgserver runs initdb as its own system user, which it creates.)"""
    if os.name != "posix" or os.geteuid() == 0:
        return False
    import pwd

    try:
        pwd.getpwuid(os.geteuid())
    except KeyError:
        return True
    return False


def find_library(environ: Mapping[str, str] = os.environ) -> str | None:
    """The nss_wrapper library to preload: `DBCI_NSS_WRAPPER` when set (None when it names
    no file), else Debian's path, else what the linker's cache knows; None when not found."""
    configured = environ.get(LIBRARY_VARIABLE, "")
    if configured:
        return configured if Path(configured).is_file() else None
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    for folder in (f"/usr/lib/{multiarch}", "/usr/lib", "/usr/lib64"):
        candidate = Path(folder) / "libnss_wrapper.so"
        if candidate.is_file():
            return str(candidate)
    # A bare name (libnss_wrapper.so) is what ld.so looks for in its own paths.
    return ctypes.util.find_library("nss_wrapper")


def initdb_environment(
    directory: Path, home: Path, environ: Mapping[str, str] = os.environ
) -> dict[str, str]:
    """`environ` for initdb with nss_wrapper preloaded: a passwd and a group file written in
    `directory` (the embedded server's own private folder) list the effective user as
    `dbci`, with `home` as its home. Raises InputError, one line, without the library."""
    uid, gid = os.geteuid(), os.getegid()
    library = find_library(environ)
    if library is None:
        configured = environ.get(LIBRARY_VARIABLE, "")
        missing = (
            f"{LIBRARY_VARIABLE}={configured} names no file"
            if configured
            else "nss_wrapper (libnss_wrapper.so) was not found"
        )
        raise InputError(
            f"the embedded PostgreSQL cannot start: user ID {uid} has no passwd entry, which "
            f"initdb needs, and {missing}: install libnss-wrapper (or set {LIBRARY_VARIABLE} "
            "to its libnss_wrapper.so), run as a user with a passwd entry, or configure a "
            "build environment (--build-environment, or the action's build-url)"
        )
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    passwd, group = directory / "passwd", directory / "group"
    passwd.write_text(f"{USER_NAME}:x:{uid}:{gid}:dbci:{home}:/bin/false\n")
    group.write_text(f"{USER_NAME}:x:{gid}:\n")
    preload = " ".join(filter(None, (library, environ.get("LD_PRELOAD", ""))))
    return {
        **environ,
        "LD_PRELOAD": preload,
        "NSS_WRAPPER_PASSWD": str(passwd),
        "NSS_WRAPPER_GROUP": str(group),
    }
