"""A local HTTP stand-in for the Docker Engine API: no Docker engine runs here.

It answers the calls the `docker` package makes to run, inspect and remove a container,
and records them. Its "containers" run nothing: each publishes its port on the host and
port the test names (a real PostgreSQL server), so the provisioner's wait for the
database and everything after it talk to a real database.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

API_VERSION = "1.43"


@dataclass
class Engine:
    """What the stand-in knows and what it was asked."""

    published_port: int  # where every container's port "is" on the host
    images: set[str] = field(default_factory=lambda: {"postgres:16"})
    pullable: set[str] = field(default_factory=set)  # missing, but a pull finds them
    containers: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    url: str = ""


def _handler(engine: Engine) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: Any = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self, method: str) -> None:
            parts = urlsplit(self.path)
            path = re.sub(r"^/v[0-9.]+", "", parts.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"null") if length else None
            engine.calls.append(f"{method} {path}")
            if method == "GET" and path in ("/version", "/_ping"):
                return self._send(200, {"ApiVersion": API_VERSION, "Version": "stand-in"})
            if method == "POST" and path == "/containers/create":
                image = body["Image"]
                if image not in engine.images:
                    return self._send(404, {"message": f"No such image: {image}"})
                ident = f"c{len(engine.containers) + 1:063d}"
                engine.containers[ident] = {
                    "name": query.get("name"),
                    "body": body,
                    "running": False,
                }
                return self._send(201, {"Id": ident, "Warnings": []})
            if method == "POST" and path == "/images/create":
                image = query["fromImage"] + ":" + query.get("tag", "latest")
                if image in engine.pullable:
                    engine.images.add(image)
                    return self._send(200, {"status": "Downloaded"})
                return self._send(404, {"message": f"pull access denied for {image}"})
            match = re.fullmatch(r"/images/(.+)/json", path)
            if method == "GET" and match:
                if match.group(1) in engine.images:
                    return self._send(200, {"Id": "sha256:0", "RepoTags": [match.group(1)]})
                return self._send(404, {"message": "No such image"})
            match = re.fullmatch(r"/containers/([^/]+)(/json|/start)?", path)
            if match and match.group(1) in engine.containers:
                ident, action = match.group(1), match.group(2)
                container = engine.containers[ident]
                if method == "POST" and action == "/start":
                    container["running"] = True
                    return self._send(204)
                if method == "GET" and action == "/json":
                    exposed = list((container["body"].get("ExposedPorts") or {}).keys())
                    return self._send(
                        200,
                        {
                            "Id": ident,
                            "Name": "/" + str(container["name"]),
                            "Config": container["body"],
                            "State": {"Running": container["running"], "Status": "running"},
                            "HostConfig": {"LogConfig": {"Type": "json-file"}},
                            "NetworkSettings": {
                                "Ports": {
                                    p: [
                                        {
                                            "HostIp": "127.0.0.1",
                                            "HostPort": str(engine.published_port),
                                        }
                                    ]
                                    for p in exposed
                                }
                            },
                        },
                    )
                if method == "DELETE" and action is None:
                    del engine.containers[ident]
                    return self._send(204)
            return self._send(404, {"message": f"stand-in: no route for {method} {path}"})

        def do_GET(self) -> None:  # noqa: N802
            self._route("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._route("POST")

        def do_DELETE(self) -> None:  # noqa: N802
            self._route("DELETE")

    return Handler


@contextmanager
def docker_standin(published_port: int) -> Iterator[Engine]:
    """Serve the stand-in on a free local port; `engine.url` is its `DOCKER_HOST`."""
    engine = Engine(published_port)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(engine))
    engine.url = f"tcp://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield engine
    finally:
        server.shutdown()
        server.server_close()
