"""`debian:bookworm-slim`, made here from Debian's packages: the Dockerfile's base.

No container registry is reachable where the image test runs, so the base the Dockerfile
names is made the way Debian's own images are (debuerreotype): `debootstrap
--variant=minbase bookworm` from Debian's archive, then "slimmed" as the `-slim` variants
are: dpkg told to leave out documentation, manuals and translations (and those already
unpacked removed), apt's caches and lists emptied, and apt set up as in the official image
(no caches kept, no translations fetched). It is imported under the name the Dockerfile
uses, with the official image's PATH and command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from support.docker_engine import DockerEngine

SUITE = "bookworm"
TAG = "debian:bookworm-slim"
MIRROR = os.environ.get("DBCI_DEBIAN_MIRROR", "http://deb.debian.org/debian")
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# debuerreotype's "slimify" list: what dpkg leaves out of every package it unpacks.
DPKG_EXCLUDES = """\
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/man/*
"""
APT_CONFIG = {
    "docker-clean": (
        'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb '
        '/var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n'
        'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb '
        '/var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };\n'
        'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";\n'
    ),
    "docker-no-languages": 'Acquire::Languages "none";\n',
    "docker-gzip-indexes": 'Acquire::GzipIndexes "true";\n',
    "docker-autoremove-suggests": 'Apt::AutoRemove::SuggestsImportant "false";\n',
}
SOURCES = f"""\
Types: deb
URIs: {MIRROR}
Suites: {SUITE} {SUITE}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: {MIRROR.rsplit("/", 1)[0]}/debian-security
Suites: {SUITE}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


def _debootstrap() -> str:
    found = shutil.which("debootstrap") or (
        "/usr/sbin/debootstrap" if Path("/usr/sbin/debootstrap").is_file() else None
    )
    if found is not None:
        return found
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "debootstrap"],
        check=True,
        capture_output=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        timeout=600,
    )
    return "/usr/sbin/debootstrap"


def _slim(rootfs: Path) -> None:
    """What debuerreotype does for the -slim variants, and the official image's apt setup."""
    (rootfs / "etc/dpkg/dpkg.cfg.d/docker").write_text(DPKG_EXCLUDES)
    for name, text in APT_CONFIG.items():
        (rootfs / "etc/apt/apt.conf.d" / name).write_text(text)
    for folder in ("usr/share/groff", "usr/share/info", "usr/share/linda", "usr/share/lintian",
                   "usr/share/man"):
        shutil.rmtree(rootfs / folder, ignore_errors=True)
    for doc in (rootfs / "usr/share/doc").glob("*"):
        for item in doc.iterdir() if doc.is_dir() else []:
            if item.name != "copyright":
                shutil.rmtree(item) if item.is_dir() and not item.is_symlink() else item.unlink()
    for locale in (rootfs / "usr/share/locale").glob("*"):
        if locale.name != "locale.alias":
            shutil.rmtree(locale) if locale.is_dir() else locale.unlink()
    (rootfs / "etc/apt/sources.list").unlink(missing_ok=True)
    (rootfs / "etc/apt/sources.list.d/debian.sources").write_text(SOURCES)
    for cache in ("var/lib/apt/lists", "var/cache/apt"):
        for item in (rootfs / cache).rglob("*"):
            if item.is_file() and item.name != "lock":
                item.unlink()
    # debootstrap leaves the host's name and resolver behind; Docker supplies its own.
    for name in ("etc/hostname", "etc/resolv.conf"):
        (rootfs / name).unlink(missing_ok=True)
    (rootfs / "etc/hostname").write_text("localhost\n")


def make_base(engine: DockerEngine, workdir: Path) -> None:
    """Debootstrap bookworm (minbase) into `workdir`, slim it and import it as TAG."""
    rootfs = workdir / "rootfs"
    result = subprocess.run(
        [_debootstrap(), "--variant=minbase", SUITE, str(rootfs), MIRROR],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if result.returncode != 0:
        raise AssertionError(f"debootstrap failed:\n{(result.stdout + result.stderr)[-3000:]}")
    _slim(rootfs)
    tar = subprocess.run(
        ["tar", "--numeric-owner", "--xattrs", "-C", str(rootfs), "-c", "."],
        capture_output=True,
        check=True,
        timeout=600,
    )
    engine.docker(
        "import",
        "--change", f"ENV PATH={PATH}",
        "--change", 'CMD ["bash"]',
        "-",
        TAG,
        input=tar.stdout,
    )
    shutil.rmtree(rootfs, ignore_errors=True)
