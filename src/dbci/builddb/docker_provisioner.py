"""The `docker` provisioner: a database container for the build, started through the
Docker Engine API (the `docker` package) and removed afterwards.

```toml
[environments.build]
provisioner = "docker"
url = "postgresql://postgres:build@127.0.0.1/postgres"  # the port is the container's

[environments.build.dbci.docker]
image = "postgres:16"                         # pulled when missing
port = 5432                                   # the database's port inside the container
env = { POSTGRES_PASSWORD = "build" }         # the container's environment
wait_seconds = 60                             # until it accepts connections
```

The container's port is published on a free port of the Docker host; dbci connects with
the environment's URL, its port replaced by that one (its host too, when `DOCKER_HOST`
names a remote engine). The engine is `DOCKER_HOST`, else Docker's default socket.
"""

from __future__ import annotations

import dataclasses
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from dbci import cancel
from dbci.builddb.provisioners import BuildDatabase
from dbci.engines import open_database, registry
from dbci.errors import DatabaseUnavailable, DbciError, InputError
from dbci.log import Log, quiet
from dbci.settings.config import Settings

DEFAULT_WAIT_SECONDS = 60


@dataclasses.dataclass(frozen=True)
class DockerSettings:
    """`[environments.NAME.dbci.docker]`."""

    image: str
    port: int
    env: dict[str, str]
    wait_seconds: float


def docker_settings(settings: Settings) -> DockerSettings:
    """Read the environment's docker table; a missing or wrong value is one clear line."""
    where = f"[environments.{settings.environment}.dbci.docker]"
    table = settings.dbci.get("docker")
    if not isinstance(table, dict) or not isinstance(table.get("image"), str):
        raise InputError(
            f'{settings.where()}: the docker provisioner needs an image: image = "…" in {where}'
        )
    url = settings.require_database()
    port = table.get("port", registry.engine(url.dialect).default_port)
    if not isinstance(port, int) or isinstance(port, bool):
        raise InputError(f"{where}: port must be the database's port in the container")
    env = table.get("env", {})
    if not isinstance(env, dict):
        raise InputError(f'{where}: env must be a table of NAME = "value"')
    wait = table.get("wait_seconds", DEFAULT_WAIT_SECONDS)
    if not isinstance(wait, int | float) or isinstance(wait, bool) or wait <= 0:
        raise InputError(f"{where}: wait_seconds must be a positive number")
    return DockerSettings(table["image"], port, {str(k): str(v) for k, v in env.items()}, wait)


@contextmanager
def docker_database(
    settings: Settings, *, keep: bool = False, log: Log = quiet, client: Any = None
) -> Iterator[BuildDatabase]:
    """Start the environment's image, wait for the database, yield it, remove the container."""
    import docker
    from docker.errors import DockerException, ImageNotFound, NotFound

    wanted = docker_settings(settings)
    try:
        client = client or docker.from_env()
    except DockerException as exc:
        raise DatabaseUnavailable(f"cannot reach the Docker engine: {_first_line(exc)}") from None
    name = f"dbci-build-{uuid.uuid4().hex[:12]}"
    try:
        # Started and handed over whole: a signal in between would leave a container
        # that nothing removes.
        with cancel.cleaning_up():
            container = client.containers.run(
                wanted.image,
                detach=True,
                name=name,
                environment=wanted.env,
                ports={f"{wanted.port}/tcp": None},
                labels={"dbci": "build"},
            )
    except (ImageNotFound, NotFound) as exc:
        raise InputError(
            f"{settings.where()}: image {wanted.image!r} cannot be started: {_first_line(exc)}"
        ) from None
    except DockerException as exc:
        raise DatabaseUnavailable(
            f"{settings.where()}: image {wanted.image!r} cannot be started: {_first_line(exc)}"
        ) from None
    try:
        container.reload()
        host_port = _published_port(container.attrs, wanted.port)
        url = settings.require_database()
        # A remote engine publishes the port on its own host.
        engine = os.environ.get("DOCKER_HOST", "")
        host = urlsplit(engine).hostname if engine.startswith("tcp://") else None
        reached = dataclasses.replace(url, port=host_port, host=host or url.host or "127.0.0.1")
        built = dataclasses.replace(
            settings, database=reached, environment=None, provisioner="docker"
        )
        _wait_for(built, wanted.wait_seconds, wanted.image)
        description = f"docker {wanted.image} ({reached.masked()})"
        log(f"Build database: {description}")
        yield BuildDatabase(built, "docker", description)
    finally:
        if keep:
            log(f"Kept the build container {name}")
        else:
            try:
                with cancel.cleaning_up():
                    container.remove(force=True)
            except DockerException as exc:
                log(f"WARNING: could not remove the build container {name}: {_first_line(exc)}")


def _published_port(attrs: dict[str, Any], port: int) -> int:
    bindings = (attrs.get("NetworkSettings") or {}).get("Ports") or {}
    for binding in bindings.get(f"{port}/tcp") or []:
        if binding.get("HostPort"):
            return int(binding["HostPort"])
    raise DatabaseUnavailable(f"the build container publishes no host port for {port}/tcp")


def _wait_for(settings: Settings, seconds: float, image: str) -> None:
    """Connect until the database answers (a container's database takes a while)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            open_database(dataclasses.replace(settings, connect_timeout=2)).close()
            return
        except DbciError as exc:
            if time.monotonic() >= deadline:
                raise DatabaseUnavailable(
                    f"the database in {image} did not accept connections in {seconds:g} s: {exc}"
                ) from None
            cancel.wait(0.5)


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300]
